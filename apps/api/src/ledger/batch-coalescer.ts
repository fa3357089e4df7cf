import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CommandKey, Fingerprint, IdempotencyService, IdempotentResult } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import { type BatchResult, EntryDraft, LedgerService } from '@forest-ledger/ledger';
import { GroupCommit, SharedOutcome } from './group-commit';

/**
 * Group commit for batch requests (POST /v1/entries/batch): concurrent batches share a transaction (GroupCommit), each
 * still all or nothing. Batches of random accounts nearly always share one, so alone they would wait for each other's
 * locks in turn; together they take them once.
 */
@Injectable()
export class BatchCoalescer extends GroupCommit<BatchResult> {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly ledger: LedgerService,
    idempotency: IdempotencyService,
  ) {
    super(dataSource, idempotency);
  }

  /** Posts the batch `drafts` (keys `${scopedKey(id)}#${i}`) at most once per caller and key. */
  submit(id: CommandKey, drafts: EntryDraft[], fingerprint: Fingerprint, tag?: unknown): Promise<IdempotentResult<BatchResult>> {
    return this.enqueue(id, drafts, fingerprint, tag);
  }

  protected postTogether(em: EntityManager, requests: EntryDraft[][]): Promise<Array<SharedOutcome<BatchResult>>> {
    return this.ledger.postGroups(em, requests);
  }

  protected postAlone(em: EntityManager, drafts: EntryDraft[]): Promise<BatchResult> {
    return this.ledger.postBatch(em, drafts);
  }
}
