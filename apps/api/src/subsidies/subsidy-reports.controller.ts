import { XLSX_CONTENT_TYPE } from '../http/constants';
import { Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SubsidyReportsService } from '@forest-ledger/forestry';
import type { HttpResponse } from '../http/http';
import { Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { contentDisposition } from '../tickets/content-disposition';
import { SubsidyReportQuery, SubsidyReportResponse } from './dto/subsidies.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** Subsidy figures per township and per programme (issue 7), as JSON and as an Excel workbook. */
@ApiTags('流转奖补 (transfer subsidies)')
@Controller('v1')
@ApiErrorCodes('subsidy', 'party')
export class SubsidyReportsController {
  constructor(private readonly reports: SubsidyReportsService) {}

  @Get('subsidy-reports')
  @Roles(...STAFF_READERS)
  @ApiOperation({
    summary:
      'Per township and per programme: contracts, transferred area, subsidies approved, paid, clawed back and recovered, remaining budget, and whether each township has a pilot',
    description: "region is a county (all its townships) or one township (else 400 INVALID_PROGRAMME, field region); programme restricts the figures to that programme's claims.",
  })
  @ApiOkResponse({ type: SubsidyReportResponse })
  @ApiErrors(400, 401, 403)
  report(@Query() query: SubsidyReportQuery): Promise<SubsidyReportResponse> {
    return this.reports.report(query.region, { programmeCode: query.programme });
  }

  @Get('subsidy-reports.xlsx')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'The same report as an Excel workbook: sheet 乡镇奖补 (townships with a total row) and sheet 奖补项目 (programmes)' })
  @ApiProduces(XLSX_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'An .xlsx attachment' })
  @ApiErrors(400, 401, 403)
  async workbook(@Query() query: SubsidyReportQuery, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    const buffer = await this.reports.reportWorkbook(query.region, { programmeCode: query.programme });
    const suffix = query.programme ? `-${query.programme}` : '';
    res.header('Content-Type', XLSX_CONTENT_TYPE);
    res.header('Content-Disposition', contentDisposition('attachment', `流转奖补统计-${query.region}${suffix}.xlsx`, `subsidies-${query.region}${suffix}.xlsx`));
    return new StreamableFile(buffer, { length: buffer.length });
  }
}
