import type { AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER, XLSX_CONTENT_TYPE } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { importRejected, ParcelClaimsService, ParcelsService } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CurrentUser, Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import {
  AttachabilityCheckDto,
  AttachabilityResponse,
  ImportParcelTableDto,
  ImportRowErrorResponse,
  ListParcelsQuery,
  ParcelClaimsResponse,
  ParcelImportResponse,
  ParcelPageResponse,
  ParcelResponse,
  ParcelSummaryResponse,
  RefusedParcelResponse,
} from './dto/parcels.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** `attachment` with an ASCII fallback name and the real (Chinese) name as RFC 5987 `filename*`. */
function attachment(fileName: string, asciiFallback: string): string {
  return `attachment; filename="${asciiFallback}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

@ApiTags('parcels')
@ApiExtraModels(ImportRowErrorResponse, RefusedParcelResponse)
@Controller('v1')
@ApiErrorCodes('parcel', 'tableRead', 'party')
export class ParcelsController {
  constructor(
    private readonly parcels: ParcelsService,
    private readonly claims: ParcelClaimsService,
    private readonly commands: CommandRunner,
  ) {}

  @Post('regions/:villageCode/parcel-imports')
  @Roles('ADMIN')
  @ApiOperation({
    summary: "Import a village's parcel table (all rows or none)",
    description:
      'One row per parcel (宗地), Chinese headers as in the 林权证登记信息 table (林权证号, 权利人, 证件号码, 坐落, 林班, 小班, 面积(亩), 林种, 主要树种, 起始日期, 终止日期, 发证状态, 是否抵押, 是否查封 …). ' +
      'Send the file as JSON `{ fileName, contentBase64 }`: .xlsx, or CSV in UTF-8 or GB18030. The request body is limited to 1 MB, so the file to about 750 KB. ' +
      'Every right holder must be registered first (the roster import), under the same name. Any error and nothing is written: 422 IMPORT_REJECTED with `details.errors` = ImportRowErrorResponse[] (row, column, message in Chinese / English). ' +
      'A file that is not a readable table is a 400 (IMPORT_EMPTY_FILE, IMPORT_UNSUPPORTED_FORMAT, IMPORT_NO_HEADER …).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: ParcelImportResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  importTable(
    @Param('villageCode') villageCode: string,
    @Body() dto: ImportParcelTableDto,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<ParcelImportResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, async (em) => {
      const result = await this.parcels.importVillageTable(em, villageCode, Buffer.from(dto.contentBase64, 'base64'), dto.fileName);
      // Thrown inside the command: its transaction rolls back, although nothing was written anyway.
      if (!result.ok) throw importRejected(villageCode, result.errors);
      return { villageCode: result.villageCode, imported: result.imported, areaMu: result.areaMu };
    });
  }

  @Get('parcels')
  @Roles('ADMIN', 'AUDITOR', 'APPROVER', 'FARM_OPERATOR', 'VILLAGER')
  @ApiOperation({
    summary: 'List parcels (keyset pages by id)',
    description: 'A VILLAGER sees the parcels they hold; a FARM_OPERATOR must give regionCode and sees no holder ID numbers.',
  })
  @ApiOkResponse({ type: ParcelPageResponse })
  @ApiErrors(400, 401, 403, 404)
  list(@Query() query: ListParcelsQuery, @CurrentUser() user: AuthUser): Promise<ParcelPageResponse> {
    return this.parcels.list(user, query);
  }

  @Get('parcels/:id')
  @Roles('ADMIN', 'AUDITOR', 'APPROVER', 'FARM_OPERATOR', 'VILLAGER')
  @ApiOperation({ summary: 'Get a parcel by id or certificate number', description: 'A VILLAGER gets only a parcel they hold; any other is a 404.' })
  @ApiOkResponse({ type: ParcelResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('id') id: string, @CurrentUser() user: AuthUser): Promise<ParcelResponse> {
    return this.parcels.get(user, id);
  }

  @Get('parcels/:id/claims')
  @Roles('ADMIN', 'AUDITOR', 'APPROVER', 'FARM_OPERATOR', 'VILLAGER')
  @ApiOperation({
    summary: 'What holds a parcel and over which dates (one forest, one claim)',
    description:
      'Every cooperation project (林票, its term), carbon project (its crediting period; a CLOSED one only the span of its issued vintages), transfer contract (流转) and state-land use contract holding the parcel, oldest first. ' +
      'By id or certificate number; a VILLAGER gets only a parcel they hold (any other is a 404).',
  })
  @ApiOkResponse({ type: ParcelClaimsResponse })
  @ApiErrors(401, 403, 404)
  claimsOn(@Param('id') id: string, @CurrentUser() user: AuthUser): Promise<ParcelClaimsResponse> {
    return this.claims.claimsOn(user, id);
  }

  @Get('regions/:code/parcel-summary')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({ summary: 'Parcel count and area (in total, per certificate state, mortgaged, seized) per village, township and the region' })
  @ApiOkResponse({ type: ParcelSummaryResponse })
  @ApiErrors(401, 403, 404)
  summary(@Param('code') code: string): Promise<ParcelSummaryResponse> {
    return this.parcels.summary(code);
  }

  @Get('regions/:code/parcel-summary.xlsx')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({ summary: 'The parcel summary as an Excel workbook (宗地汇总)' })
  @ApiProduces(XLSX_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'An .xlsx attachment' })
  @ApiErrors(401, 403, 404)
  async summaryWorkbook(@Param('code') code: string, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    const { fileName, buffer } = await this.parcels.summaryWorkbook(code);
    res.header('Content-Type', XLSX_CONTENT_TYPE);
    res.header('Content-Disposition', attachment(fileName, `parcel-summary-${code.replace(/[^A-Za-z0-9_-]/g, '_')}.xlsx`));
    return new StreamableFile(buffer, { length: buffer.length });
  }

  @Post('parcels/attachability-checks')
  @HttpCode(HttpStatus.OK)
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: 'Check that parcels may back a new cooperation project, transfer contract or lease',
    description:
      'Refused (422 PARCEL_NOT_ATTACHABLE, `details.refused` = RefusedParcelResponse[]): unknown, mortgaged (抵押), seized (查封), or certificate not issued to the household (发放到户). Writes nothing.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: AttachabilityResponse })
  @ApiErrors(400, 401, 403, 409, 422)
  checkAttachable(@Body() dto: AttachabilityCheckDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<AttachabilityResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async (em) => ({
      ok: true as const,
      purpose: dto.purpose,
      parcels: await this.parcels.assertAttachable(em, dto.parcelIds, dto.purpose),
    }));
  }
}
