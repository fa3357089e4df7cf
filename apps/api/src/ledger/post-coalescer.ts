import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  CommandKey,
  Fingerprint,
  idempotencyConflict,
  IdempotencyService,
  IdempotentResult,
  inTransaction,
  replayOf,
  StatementPart,
  storedHashOf,
  unavailabilityOf,
} from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import { EntryDraft, LedgerService, PostOutcome, type PostResult } from '@forest-ledger/ledger';

type Outcome = { ok: true; value: IdempotentResult<PostResult> } | { ok: false; error: unknown };

/** A request to post one entry under an Idempotency-Key, waiting for its commit. */
interface Submission {
  /** The caller and its Idempotency-Key; the draft's idempotencyKey is scopedKey(id). */
  id: CommandKey;
  draft: EntryDraft;
  fingerprint: Fingerprint;
  /** The caller's own data for the commit hook (e.g. what to audit). */
  tag: unknown;
  settle: (outcome: Outcome) => void;
}

/**
 * The application's own write for the requests that succeeded (the audit trail), as a statement the commit runs
 * after the entries: carried in the idempotency answers' statement (one round trip), or alone.
 */
export type CommitHook = (committed: Array<{ tag: unknown; result: PostResult }>) => StatementPart;

const CREATED = 201;
/** Bounds one shared transaction: enough to amortise a commit, small enough to keep lock hold times short. */
const MAX_SUBMISSIONS = 128;
const MAX_POSTINGS = 10_000;
/** Requests retried alone at once after a shared commit met a lock timeout: each may wait the lock timeout. */
const ALONE_CONCURRENCY = 4;

/**
 * Group commit for single-entry requests (the TigerBeetle idea, on PostgreSQL): requests that
 * arrive while a commit is in flight share the next transaction, with one idempotency claim,
 * one lock statement and one write statement for all of them. Under no load a request commits
 * alone at once; under load the batch grows by itself.
 *
 * Each request keeps its own semantics: its Idempotency-Key is claimed and answered as if alone,
 * a request that breaks a rule gets its own error and stores nothing, the others still commit.
 * If the shared transaction fails for an unexpected reason or a lock timeout, every request is retried
 * alone; after an outage or another timeout every request gets that error (the API answers 503).
 */
@Injectable()
export class PostCoalescer implements OnApplicationShutdown {
  private pending: Submission[] = [];
  /** One shared commit at a time (two in flight measured no faster on the benchmark). */
  private flushing: Promise<void> | null = null;
  private commitHook: CommitHook | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly idempotency: IdempotencyService,
  ) {}

  /** Posts `draft` (whose idempotencyKey is scopedKey(id), unique per caller) at most once per caller and key. */
  submit(id: CommandKey, draft: EntryDraft, fingerprint: Fingerprint, tag?: unknown): Promise<IdempotentResult<PostResult>> {
    return new Promise((resolve, reject) => {
      this.pending.push({ id, draft, fingerprint, tag, settle: (o) => (o.ok ? resolve(o.value) : reject(o.error)) });
      this.kick();
    });
  }

  /** Lets the application add its own rows (the audit trail) to each shared commit. */
  useCommitHook(hook: CommitHook): void {
    this.commitHook = hook;
  }

  async onApplicationShutdown(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private kick(): void {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = this.flush(this.take()).finally(() => {
      this.flushing = null;
      this.kick();
    });
  }

  private take(): Submission[] {
    let postings = 0;
    let n = 0;
    while (n < this.pending.length && n < MAX_SUBMISSIONS && (n === 0 || postings + this.pending[n].draft.postings.length <= MAX_POSTINGS)) {
      postings += this.pending[n].draft.postings.length;
      n += 1;
    }
    return this.pending.splice(0, n);
  }

  private async flush(batch: Submission[]): Promise<void> {
    // One leader per key; a same-key follower gets the leader's answer (or a 409 for another body).
    const leaders = new Map<string, Submission>();
    const followers: Submission[] = [];
    for (const s of batch) {
      if (leaders.has(s.draft.idempotencyKey)) followers.push(s);
      else leaders.set(s.draft.idempotencyKey, s);
    }
    let results: Map<string, Outcome>;
    try {
      results = await inTransaction(this.dataSource, (em) => this.commitTogether(em, [...leaders.values()]));
    } catch (error) {
      results = new Map();
      // An outage, a saturated pool or a statement timeout would fail each request alone too (and
      // slowly, one after another); a lock timeout of one request alone is the same answer again.
      // Only a lock timeout of a shared commit is worth splitting: the requests on free rows go through.
      const cause = unavailabilityOf(error)?.cause;
      if (cause !== undefined && (cause !== 'LOCK_TIMEOUT' || leaders.size === 1)) {
        for (const s of leaders.values()) results.set(s.draft.idempotencyKey, { ok: false, error });
      } else {
        const alone = [...leaders.values()];
        const next = async (): Promise<void> => {
          for (let s = alone.shift(); s; s = alone.shift()) results.set(s.draft.idempotencyKey, await this.commitAlone(s));
        };
        await Promise.all(Array.from({ length: cause === 'LOCK_TIMEOUT' ? ALONE_CONCURRENCY : 1 }, next));
      }
    }
    for (const s of leaders.values()) s.settle(results.get(s.draft.idempotencyKey)!);
    for (const s of followers) {
      const first = results.get(s.draft.idempotencyKey)!;
      const leader = leaders.get(s.draft.idempotencyKey)!;
      if (!first.ok) s.settle(first);
      else if (storedHashOf(s.fingerprint) !== storedHashOf(leader.fingerprint)) s.settle({ ok: false, error: idempotencyConflict(s.id.key) });
      else s.settle({ ok: true, value: { ...first.value, replayed: true } });
    }
  }

  private async commitAlone(s: Submission): Promise<Outcome> {
    try {
      const value = await this.idempotency.execute<PostResult>(s.id, s.fingerprint, async (em) => {
        const body = await this.ledger.post(em, s.draft);
        // The audit row rides in the answer's statement.
        return { status: CREATED, body, alongside: this.commitHook ? [this.commitHook([{ tag: s.tag, result: body }])] : [] };
      });
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private async commitTogether(em: EntityManager, leaders: Submission[]): Promise<Map<string, Outcome>> {
    const results = new Map<string, Outcome>();
    const claimed = await this.idempotency.claimMany(
      em,
      leaders.map((s) => ({ id: s.id, fingerprint: s.fingerprint })),
    );
    const seen = leaders.filter((s) => !claimed.has(s.draft.idempotencyKey));
    if (seen.length > 0) {
      const answers = await this.idempotency.findAnswers<PostResult>(
        em,
        seen.map((s) => s.id),
      );
      for (const s of seen) {
        try {
          results.set(s.draft.idempotencyKey, { ok: true, value: replayOf(s.id.key, s.fingerprint, answers.get(s.draft.idempotencyKey)!) });
        } catch (error) {
          results.set(s.draft.idempotencyKey, { ok: false, error });
        }
      }
    }
    const fresh = leaders.filter((s) => claimed.has(s.draft.idempotencyKey));
    const outcomes: PostOutcome[] =
      fresh.length > 0
        ? await this.ledger.postEach(
            em,
            fresh.map((s) => s.draft),
          )
        : [];
    const failed: CommandKey[] = [];
    const answers: Array<{ id: CommandKey; status: number; body: PostResult }> = [];
    const committed: Array<{ tag: unknown; result: PostResult }> = [];
    fresh.forEach((s, i) => {
      const outcome = outcomes[i];
      const key = s.draft.idempotencyKey;
      if (outcome.ok) {
        answers.push({ id: s.id, status: CREATED, body: outcome.result });
        committed.push({ tag: s.tag, result: outcome.result });
        results.set(key, { ok: true, value: { status: CREATED, body: outcome.result, replayed: false } });
      } else {
        failed.push(s.id);
        results.set(key, { ok: false, error: outcome.error });
      }
    });
    await this.idempotency.releaseMany(em, failed);
    // The answers and the audit rows: one statement.
    await this.idempotency.answerMany(em, answers, this.commitHook && committed.length > 0 ? this.commitHook(committed) : null);
    return results;
  }
}
