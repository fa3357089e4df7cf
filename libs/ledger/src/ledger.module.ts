import { Module } from '@nestjs/common';
import { LedgerReads } from './ledger-reads';
import { LedgerService } from './ledger.service';

@Module({ providers: [LedgerService, LedgerReads], exports: [LedgerService, LedgerReads] })
export class LedgerModule {}
