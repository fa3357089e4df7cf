import { ApiErrorCodes } from '../http/error-codes';
import type { AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER, PDF_CONTENT_TYPE } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { businessToday, DisclosuresService, renderDisclosureNoticePdf } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CurrentUser, Public, Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { contentDisposition } from '../tickets/content-disposition';
import {
  DisclosureDaysDto,
  DisclosureLineResponse,
  DisclosureLinesQuery,
  DisclosureQuery,
  DisclosureResponse,
  ObjectionDto,
  PublicVillageDisclosuresResponse,
  PublishDisclosureDto,
  RegionDisclosureDaysResponse,
  ResolveObjectionDto,
  WithdrawDisclosureDto,
} from './dto/disclosures.dto';

/** Village disclosure (公示) of 林票 issuances and dividends before they go ahead (issue 18 §3): staff routes. */
@ApiErrorCodes('disclosure', 'party', 'project', 'dividend', 'ticket', 'issuancePlan', 'incomeRight')
@ApiTags('公示 (village disclosure)')
@Controller()
export class DisclosuresController {
  constructor(
    private readonly disclosures: DisclosuresService,
    private readonly commands: CommandRunner,
  ) {}

  @Post('v1/regions/:code/disclosure-days')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Set how many days lists stay up for objections in a county, township or village (0 = off, null = inherit)',
    description:
      'A village uses its own setting, else its township’s, else its county’s; none is 0. With days > 0, dividend approval and 林票 issuance of its collective need a cleared disclosure (422 DISCLOSURE_REQUIRED).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: RegionDisclosureDaysResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  setDays(
    @Param('code') code: string,
    @Body() dto: DisclosureDaysDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<RegionDisclosureDaysResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.disclosures.setDays(em, { userId: user.userId }, code, dto.disclosureDays));
  }

  @Get('v1/regions/:code/disclosure-days')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: "A region's disclosure days: its own setting and what applies there" })
  @ApiOkResponse({ type: RegionDisclosureDaysResponse })
  @ApiErrors(401, 403, 404)
  days(@Param('code') code: string): Promise<RegionDisclosureDaysResponse> {
    return this.disclosures.days(code);
  }

  @Post('v1/disclosures')
  @Roles('ADMIN')
  @ApiOperation({
    summary:
      "Publish a subject's list to its village (公示) for the region's days: a 林票 issuance (as GET /v1/projects/:code/issuance-preview plans it) or a dividend (the allocation as it would be paid)",
    description:
      'Names are masked (姓 + *). The period starts the day after publication (民法典 §201) and lasts the days set for the village (422 DISCLOSURE_OFF when 0). A new round supersedes a PUBLISHED one; ' +
      'the same list again is 422 PLAN_UNCHANGED (also after an upheld objection: the plan must change); 422 OBJECTION_OPEN while the latest round has one open.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: DisclosureResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  publish(@Body() dto: PublishDisclosureDto, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<DisclosureResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.disclosures.publish(em, { userId: user.userId }, dto));
  }

  @Get('v1/disclosures')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'Disclosures, newest first (at most 500): by village, state, kind and subject' })
  @ApiOkResponse({ type: [DisclosureResponse] })
  @ApiErrors(400, 401, 403, 404)
  list(@Query() query: DisclosureQuery): Promise<DisclosureResponse[]> {
    return this.disclosures.list(query);
  }

  @Get('v1/disclosures/:id')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'A disclosure round with its period, phase today and objections' })
  @ApiOkResponse({ type: DisclosureResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('id') id: string): Promise<DisclosureResponse> {
    return this.disclosures.get(id);
  }

  @Get('v1/disclosures/:id/lines')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: "A round's lines with the holders' codes and full names (and the masked name shown), by seq" })
  @ApiOkResponse({ type: [DisclosureLineResponse] })
  @ApiErrors(400, 401, 403, 404)
  lines(@Param('id') id: string, @Query() query: DisclosureLinesQuery): Promise<DisclosureLineResponse[]> {
    return this.disclosures.lines(id, query);
  }

  @Post('v1/disclosures/:id/objections')
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Record an objection raised in the village (text, who, when) on a PUBLISHED round; while it is open the subject cannot go ahead (422 OBJECTION_OPEN)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: DisclosureResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  object(
    @Param('id') id: string,
    @Body() dto: ObjectionDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<DisclosureResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.disclosures.recordObjection(em, { userId: user.userId }, id, dto));
  }

  @Post('v1/disclosures/:id/objections/:objectionId/resolve')
  @Roles('ADMIN', 'APPROVER')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Resolve an open objection: UPHELD (the round is superseded; publish the corrected plan as a new round) or DISMISSED (with the reason)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: DisclosureResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  resolve(
    @Param('id') id: string,
    @Param('objectionId') objectionId: string,
    @Body() dto: ResolveObjectionDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<DisclosureResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.disclosures.resolveObjection(em, { userId: user.userId }, id, objectionId, dto));
  }

  @Post('v1/disclosures/:id/withdraw')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Take a PUBLISHED round down (the plan was dropped), with the reason' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: DisclosureResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  withdraw(
    @Param('id') id: string,
    @Body() dto: WithdrawDisclosureDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<DisclosureResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.disclosures.withdraw(em, { userId: user.userId }, id, dto.reason));
  }

  @Get('v1/public/villages/:code/disclosures')
  @Public()
  @ApiOperation({
    summary: "A village's disclosures, no login: what is published now and before (the last 20), with the period's dates and the masked lists (姓 + *, units, amounts)",
    description: 'No party codes, no ID numbers; the project’s state farm and the collective appear as 国有林场 and 村集体经济组织. The page /disclosure/:village shows it.',
  })
  @ApiOkResponse({ type: PublicVillageDisclosuresResponse })
  @ApiErrors(404)
  village(@Param('code') code: string, @Res({ passthrough: true }) res: HttpResponse): Promise<PublicVillageDisclosuresResponse> {
    res.header('Cache-Control', 'no-cache');
    return this.disclosures.publicVillage(code);
  }

  @Get('v1/public/disclosures/:id/notice.pdf')
  @Public()
  @ApiOperation({ summary: 'The printable notice of one round for the village board (A4 PDF, masked list), no login' })
  @ApiProduces(PDF_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'A PDF' })
  @ApiErrors(404)
  async notice(@Param('id') id: string, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    const { disclosure: d, village } = await this.disclosures.publicDisclosure(id);
    const buffer = await renderDisclosureNoticePdf({
      village: village.name,
      township: village.township,
      county: village.county,
      kindLabel: d.kindLabel,
      title: d.title,
      id: d.id,
      round: d.round,
      phaseLabel: d.phaseLabel,
      publishedOn: d.publishedOn,
      startsOn: d.startsOn,
      endsOn: d.endsOn,
      days: d.days,
      totalUnits: d.totalUnits,
      totalAmount: d.totalAmount,
      lines: d.lines,
      printedOn: businessToday(),
    });
    res.header('Content-Type', PDF_CONTENT_TYPE);
    res.header('Content-Disposition', contentDisposition('inline', `${village.name}公示-${d.id}.pdf`, `disclosure-${d.id}.pdf`));
    res.header('Cache-Control', 'no-cache');
    return new StreamableFile(buffer, { length: buffer.length });
  }
}
