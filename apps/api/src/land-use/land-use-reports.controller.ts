import { XLSX_CONTENT_TYPE } from '../http/constants';
import { Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { businessToday, LandUseReportsService } from '@forest-ledger/forestry';
import type { HttpResponse } from '../http/http';
import { Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { contentDisposition } from '../tickets/content-disposition';
import { LandUseAgingResponse, LandUseCashYearResponse, LandUseRegisterResponse, LandUseReportQuery } from './dto/land-use.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** Reports of the paid-use contracts (issue 8): aging of receivables, the contract register, cash per year; JSON and one Excel workbook. */
@ApiTags('国有林地有偿使用 (state forest land)')
@Controller('v1/land-use-reports')
@ApiErrorCodes('landUse', 'party')
export class LandUseReportsController {
  constructor(private readonly reports: LandUseReportsService) {}

  @Get('aging')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'Aging of what lessees owe on asOf (default today), per lessee and per farm: current, 1–30, 31–90, 91–365, over 365 days past due' })
  @ApiOkResponse({ type: LandUseAgingResponse })
  @ApiErrors(400, 401, 403)
  aging(@Query() query: LandUseReportQuery): Promise<LandUseAgingResponse> {
    return this.reports.aging(query.asOf ?? businessToday());
  }

  @Get('register')
  @Roles(...STAFF_READERS)
  @ApiOperation({
    summary: 'The contract register with totals per mode (scheduled rent, deposit held, outstanding, appraised value)',
    description: 'CANCELLED drafts are listed with their state but left out of the totals per mode; each total counts them in `cancelled`.',
  })
  @ApiOkResponse({ type: LandUseRegisterResponse })
  @ApiErrors(401, 403)
  register(): Promise<LandUseRegisterResponse> {
    return this.reports.register();
  }

  @Get('cash')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'Cash received per calendar year: rent, deposits received and returned, credit refunded, net' })
  @ApiOkResponse({ type: [LandUseCashYearResponse] })
  @ApiErrors(401, 403)
  cash(): Promise<LandUseCashYearResponse[]> {
    return this.reports.cashByYear();
  }

  @Get('workbook.xlsx')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'The three reports (aging on asOf, register, cash per year) as one Excel workbook' })
  @ApiProduces(XLSX_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'An .xlsx attachment' })
  @ApiErrors(400, 401, 403)
  async workbook(@Query() query: LandUseReportQuery, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    const asOf = query.asOf ?? businessToday();
    const { fileName, buffer } = await this.reports.reportsWorkbook(asOf);
    res.header('Content-Type', XLSX_CONTENT_TYPE);
    res.header('Content-Disposition', contentDisposition('attachment', fileName, `land-use-${asOf}.xlsx`));
    return new StreamableFile(buffer, { length: buffer.length });
  }
}
