import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditService } from '@forest-ledger/access';
import { BatchCoalescer } from '../ledger/batch-coalescer';
import { PostCoalescer } from '../ledger/post-coalescer';
import { AuditableRequest, successRecord } from './audit';

/** Makes every group commit of POST /v1/entries and /v1/entries/batch carry the audit rows of its requests. */
@Injectable()
export class AuditedCommits implements OnModuleInit {
  constructor(
    private readonly posts: PostCoalescer,
    private readonly batches: BatchCoalescer,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    const audited = (committed: Array<{ tag: unknown; result: unknown }>) =>
      this.audit.insertManyPart(committed.map(({ tag, result }) => successRecord(tag as AuditableRequest, 201, result)));
    this.posts.useCommitHook(audited);
    this.batches.useCommitHook(audited);
  }
}
