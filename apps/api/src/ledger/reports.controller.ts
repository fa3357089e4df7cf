import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ChainVerifier, LedgerReportsService } from '@forest-ledger/ledger';
import { Env, inReportTransaction, longTimeouts, ReadDatabase } from '@forest-ledger/platform';
import { Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { ChainReportResponse, TrialBalanceQuery, TrialBalanceResponse } from './dto/ledger.dto';
import { ApiErrorCodes } from '../http/error-codes';

@ApiTags('ledger: reports')
@Controller('v1')
@ApiErrorCodes('ledger')
export class ReportsController {
  constructor(
    private readonly reports: LedgerReportsService,
    private readonly verifier: ChainVerifier,
    private readonly readDb: ReadDatabase,
    private readonly env: Env,
  ) {}

  @Get('reports/trial-balance')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'Trial balance per asset (and per owner), now or as of an effective date' })
  @ApiOkResponse({ type: TrialBalanceResponse })
  @ApiErrors(400)
  async trialBalance(@Query() query: TrialBalanceQuery): Promise<TrialBalanceResponse> {
    // Sums every posting: one snapshot under the report timeouts, not the commands' 15 s; on the read replica when there is one within its lag bound.
    return inReportTransaction(await this.readDb.dataSource(), longTimeouts(this.env), (em) => this.reports.trialBalance(query, em));
  }

  @Get('admin/ledger/verify')
  @Roles('ADMIN', 'AUDITOR')
  @ApiOperation({ summary: 'Recompute the hash chain and the cached balances; report the first broken link' })
  @ApiOkResponse({ type: ChainReportResponse })
  @ApiErrors()
  verify(): Promise<ChainReportResponse> {
    return this.verifier.verify();
  }
}
