import { Module } from '@nestjs/common';
import { ChainVerifier } from './chain-verifier';
import { LedgerReads } from './ledger-reads';
import { LedgerReportsService } from './ledger-reports.service';
import { LedgerService } from './ledger.service';

@Module({
  providers: [LedgerService, LedgerReportsService, LedgerReads, ChainVerifier],
  exports: [LedgerService, LedgerReportsService, LedgerReads, ChainVerifier],
})
export class LedgerModule {}
