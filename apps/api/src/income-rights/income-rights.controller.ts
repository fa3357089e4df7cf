import { ApiErrorCodes } from '../http/error-codes';
import { IDEMPOTENCY_HEADER, XLSX_CONTENT_TYPE } from '../http/constants';
import { Body, Controller, Get, HttpStatus, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { IncomeRightsService } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import {
  CreateSchemeDto,
  ProgressQuery,
  ProgressResponse,
  SchemeIssuanceResponse,
  SchemeIssueDto,
  SchemePreviewQuery,
  SchemePreviewResponse,
  SchemeResponse,
  TargetResponse,
  TargetsDto,
} from './dto/income-rights.dto';

/** `attachment` with an ASCII fallback name and the real (Chinese) name as RFC 5987 `filename*`. */
function attachment(fileName: string, asciiFallback: string): string {
  return `attachment; filename="${asciiFallback}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

@ApiErrorCodes('incomeRight', 'quantification', 'project', 'ticket', 'issuancePlan', 'parcel', 'party', 'disclosure', 'ledger')
@ApiTags('income-rights')
@Controller('v1')
export class IncomeRightsController {
  constructor(
    private readonly schemes: IncomeRightsService,
    private readonly commands: CommandRunner,
  ) {}

  @Post('income-right-schemes')
  @Roles('ADMIN')
  @ApiOperation({
    summary: "Create a collective income-right scheme (集体林地收益权) over the collective's parcels, as a DRAFT",
    description:
      'The collective alone (no farm, no cash): a project of kind INCOME_RIGHT with its parcels (held by the collective, attachable, in no open project), a census date and a quantification rule ' +
      "(PER_HOUSEHOLD, PER_PERSON or WEIGHTED with the household weight the collective's office entered). Its wallet project:<code>:wallet:CNY receives the land's income.",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: SchemeResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  create(@Body() dto: CreateSchemeDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<SchemeResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.schemes.create(em, dto));
  }

  @Get('income-right-schemes')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'List the income-right schemes (by code, at most 500)' })
  @ApiOkResponse({ type: [SchemeResponse] })
  @ApiErrors(401, 403)
  list(): Promise<SchemeResponse[]> {
    return this.schemes.list();
  }

  @Get('income-right-schemes/:code')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'A scheme with its rule, parcels, series and income wallet' })
  @ApiOkResponse({ type: SchemeResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('code') code: string): Promise<SchemeResponse> {
    return this.schemes.get(code);
  }

  @Get('income-right-schemes/:code/issuance-preview')
  @Roles(...STAFF_READERS)
  @ApiOperation({
    summary: 'The issuance as it would be made now (the roster on the census date), nothing written: the split and every household with its units',
    description:
      'Equal claims get equal whole units; what cannot be divided equally stays with the collective (split.remainderUnits). 422 HOUSEHOLD_HEAD when a household has no active head.',
  })
  @ApiOkResponse({ type: SchemePreviewResponse })
  @ApiErrors(400, 401, 403, 404, 422)
  preview(@Param('code') code: string, @Query() query: SchemePreviewQuery): Promise<SchemePreviewResponse> {
    return this.schemes.preview(code, query.seriesCode);
  }

  @Post('income-right-schemes/:code/issuance')
  @Roles('ADMIN')
  @ApiOperation({
    summary: 'Issue the scheme: whole units per household in its head’s name, certificates 集体林地收益权证书 numbered gaplessly; the scheme becomes ACTIVE',
    description:
      'Same machinery as 林票: ledger asset LP.<seriesCode>, holder accounts, register, movements (transfer restriction, default COLLECTIVE_MEMBERS; inheritance exempt), certificates and dividends.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: SchemeIssuanceResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  issue(@Param('code') code: string, @Body() dto: SchemeIssueDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<SchemeIssuanceResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em, key) => this.schemes.issue(em, code, dto, key));
  }

  @Post('regions/:code/income-right-targets')
  @Roles('ADMIN')
  @ApiOperation({ summary: "Set the county's issuance dates for income-right certificates (e.g. 40 % by 07-31, 80 % by 08-31, 100 % by 09-30), replacing the previous ones" })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: [TargetResponse] })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  setTargets(@Param('code') code: string, @Body() dto: TargetsDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<TargetResponse[]> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.schemes.setTargets(em, code, dto.targets));
  }

  @Get('regions/:code/income-right-progress')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'Households issued / to issue per village and township (and in total) against the county’s dates, as of a day (收益权证书发放进度)' })
  @ApiOkResponse({ type: ProgressResponse })
  @ApiErrors(400, 401, 403, 404, 422)
  progress(@Param('code') code: string, @Query() query: ProgressQuery): Promise<ProgressResponse> {
    return this.schemes.progress(code, query.asOf);
  }

  @Get('regions/:code/income-right-progress.xlsx')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'The progress report as an Excel workbook (numbers as numeric cells)' })
  @ApiProduces(XLSX_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'An .xlsx attachment' })
  @ApiErrors(400, 401, 403, 404, 422)
  async progressWorkbook(@Param('code') code: string, @Query() query: ProgressQuery, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    const { fileName, buffer } = await this.schemes.progressWorkbook(code, query.asOf);
    res.header('Content-Type', XLSX_CONTENT_TYPE);
    res.header('Content-Disposition', attachment(fileName, `income-right-progress-${code.replace(/[^A-Za-z0-9_-]/g, '_')}.xlsx`));
    return new StreamableFile(buffer, { length: buffer.length });
  }
}
