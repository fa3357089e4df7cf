import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CommandKey, Fingerprint, IdempotencyService, IdempotentResult } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import { EntryDraft, LedgerService, type PostResult } from '@forest-ledger/ledger';
import { GroupCommit, SharedOutcome } from './group-commit';

/** Group commit for single-entry requests (POST /v1/entries): concurrent ones share a transaction (GroupCommit). */
@Injectable()
export class PostCoalescer extends GroupCommit<PostResult> {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly ledger: LedgerService,
    idempotency: IdempotencyService,
  ) {
    super(dataSource, idempotency);
  }

  /** Posts `draft` (whose idempotencyKey is scopedKey(id), unique per caller) at most once per caller and key. */
  submit(id: CommandKey, draft: EntryDraft, fingerprint: Fingerprint, tag?: unknown): Promise<IdempotentResult<PostResult>> {
    return this.enqueue(id, [draft], fingerprint, tag);
  }

  protected postTogether(em: EntityManager, requests: EntryDraft[][]): Promise<Array<SharedOutcome<PostResult>>> {
    return this.ledger.postEach(
      em,
      requests.map(([draft]) => draft),
    );
  }

  protected postAlone(em: EntityManager, [draft]: EntryDraft[]): Promise<PostResult> {
    return this.ledger.post(em, draft);
  }
}
