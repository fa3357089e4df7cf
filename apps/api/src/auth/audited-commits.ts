import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditService } from '@forest-ledger/access';
import { PostCoalescer } from '../ledger/post-coalescer';
import { AuditableRequest, successRecord } from './audit';

/** Makes every group commit of POST /v1/entries carry the audit rows of its requests. */
@Injectable()
export class AuditedCommits implements OnModuleInit {
  constructor(
    private readonly coalescer: PostCoalescer,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.coalescer.useCommitHook((committed) => this.audit.insertManyPart(committed.map(({ tag, result }) => successRecord(tag as AuditableRequest, 201, result))));
  }
}
