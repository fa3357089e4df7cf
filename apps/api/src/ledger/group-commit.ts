import { OnApplicationShutdown } from '@nestjs/common';
import {
  CommandKey,
  Fingerprint,
  idempotencyConflict,
  IdempotencyService,
  IdempotentResult,
  inTransaction,
  replayOf,
  scopedKey,
  StatementPart,
  storedHashOf,
  unavailabilityOf,
} from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import type { EntryDraft, LedgerError } from '@forest-ledger/ledger';

type Outcome<R> = { ok: true; value: IdempotentResult<R> } | { ok: false; error: unknown };

/** What posting one request's drafts in a shared commit came to: its answer, or its refusal (it wrote nothing). */
export type SharedOutcome<R> = { ok: true; result: R } | { ok: false; error: LedgerError };

/** A request to post its drafts under an Idempotency-Key, waiting for its commit. */
interface Submission<R> {
  /** The caller and its Idempotency-Key; the drafts' idempotency keys derive from scopedKey(id). */
  id: CommandKey;
  /** scopedKey(id): the request's key across callers, what its group commit and claims go by. */
  key: string;
  drafts: EntryDraft[];
  fingerprint: Fingerprint;
  /** The caller's own data for the commit hook (e.g. what to audit). */
  tag: unknown;
  settle: (outcome: Outcome<R>) => void;
}

/**
 * The application's own write for the requests that succeeded (the audit trail), as a statement the commit runs
 * after the entries: carried in the idempotency answers' statement (one round trip), or alone.
 */
export type CommitHook<R> = (committed: Array<{ tag: unknown; result: R }>) => StatementPart;

const CREATED = 201;
/** Bounds one shared transaction: enough to amortise a commit, small enough to keep lock hold times short. */
const MAX_SUBMISSIONS = 128;
const MAX_POSTINGS = 10_000;
/** Requests retried alone at once after a shared commit met a lock timeout: each may wait the lock timeout. */
const ALONE_CONCURRENCY = 4;

/**
 * Group commit for posting requests (the TigerBeetle idea, on PostgreSQL): requests that arrive while a commit is in
 * flight share the next transaction, with one idempotency claim, one lock statement and one write statement for all of
 * them. Under no load a request commits alone at once; under load the group grows by itself. Subclasses say how a
 * request's drafts are posted together with others' and alone (one entry: PostCoalescer; a batch: BatchCoalescer).
 *
 * Each request keeps its own semantics: its Idempotency-Key is claimed and answered as if alone,
 * a request that breaks a rule gets its own error and stores nothing, the others still commit.
 * If the shared transaction fails for an unexpected reason or a lock timeout, every request is retried
 * alone; after an outage or another timeout every request gets that error (the API answers 503).
 */
export abstract class GroupCommit<R> implements OnApplicationShutdown {
  private pending: Array<Submission<R>> = [];
  /** One shared commit at a time (two in flight measured no faster on the benchmark). */
  private flushing: Promise<void> | null = null;
  private commitHook: CommitHook<R> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly idempotency: IdempotencyService,
  ) {}

  /** Posts the requests' drafts in one transaction: one outcome per request, in order; a refused one writes nothing. */
  protected abstract postTogether(em: EntityManager, requests: EntryDraft[][]): Promise<Array<SharedOutcome<R>>>;

  /** Posts one request's drafts in its own transaction (after a shared commit failed). */
  protected abstract postAlone(em: EntityManager, drafts: EntryDraft[]): Promise<R>;

  /** Lets the application add its own rows (the audit trail) to each shared commit. */
  useCommitHook(hook: CommitHook<R>): void {
    this.commitHook = hook;
  }

  async onApplicationShutdown(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Posts `drafts` (their keys derived from scopedKey(id), unique per caller) at most once per caller and key. */
  protected enqueue(id: CommandKey, drafts: EntryDraft[], fingerprint: Fingerprint, tag?: unknown): Promise<IdempotentResult<R>> {
    return new Promise((resolve, reject) => {
      this.pending.push({ id, key: scopedKey(id), drafts, fingerprint, tag, settle: (o) => (o.ok ? resolve(o.value) : reject(o.error)) });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = this.flush(this.take()).finally(() => {
      this.flushing = null;
      this.kick();
    });
  }

  private take(): Array<Submission<R>> {
    const postingsOf = (s: Submission<R>) => s.drafts.reduce((n, d) => n + d.postings.length, 0);
    let postings = 0;
    let n = 0;
    while (n < this.pending.length && n < MAX_SUBMISSIONS && (n === 0 || postings + postingsOf(this.pending[n]) <= MAX_POSTINGS)) {
      postings += postingsOf(this.pending[n]);
      n += 1;
    }
    return this.pending.splice(0, n);
  }

  private async flush(group: Array<Submission<R>>): Promise<void> {
    // One leader per key; a same-key follower gets the leader's answer (or a 409 for another body).
    const leaders = new Map<string, Submission<R>>();
    const followers: Array<Submission<R>> = [];
    for (const s of group) {
      if (leaders.has(s.key)) followers.push(s);
      else leaders.set(s.key, s);
    }
    let results: Map<string, Outcome<R>>;
    try {
      results = await inTransaction(this.dataSource, (em) => this.commitTogether(em, [...leaders.values()]));
    } catch (error) {
      results = new Map();
      // An outage, a saturated pool or a statement timeout would fail each request alone too (and
      // slowly, one after another); a lock timeout of one request alone is the same answer again.
      // Only a lock timeout of a shared commit is worth splitting: the requests on free rows go through.
      const cause = unavailabilityOf(error)?.cause;
      if (cause !== undefined && (cause !== 'LOCK_TIMEOUT' || leaders.size === 1)) {
        for (const key of leaders.keys()) results.set(key, { ok: false, error });
      } else {
        const alone = [...leaders.values()];
        const next = async (): Promise<void> => {
          for (let s = alone.shift(); s; s = alone.shift()) results.set(s.key, await this.commitAlone(s));
        };
        await Promise.all(Array.from({ length: cause === 'LOCK_TIMEOUT' ? ALONE_CONCURRENCY : 1 }, next));
      }
    }
    for (const [key, s] of leaders) s.settle(results.get(key)!);
    for (const s of followers) {
      const first = results.get(s.key)!;
      const leader = leaders.get(s.key)!;
      if (!first.ok) s.settle(first);
      else if (storedHashOf(s.fingerprint) !== storedHashOf(leader.fingerprint)) s.settle({ ok: false, error: idempotencyConflict(s.id.key) });
      else s.settle({ ok: true, value: { ...first.value, replayed: true } });
    }
  }

  private async commitAlone(s: Submission<R>): Promise<Outcome<R>> {
    try {
      const value = await this.idempotency.execute<R>(s.id, s.fingerprint, async (em) => {
        const body = await this.postAlone(em, s.drafts);
        // The audit row rides in the answer's statement.
        return { status: CREATED, body, alongside: this.commitHook ? [this.commitHook([{ tag: s.tag, result: body }])] : [] };
      });
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private async commitTogether(em: EntityManager, leaders: Array<Submission<R>>): Promise<Map<string, Outcome<R>>> {
    const results = new Map<string, Outcome<R>>();
    const claimed = await this.idempotency.claimMany(
      em,
      leaders.map((s) => ({ id: s.id, fingerprint: s.fingerprint })),
    );
    const seen = leaders.filter((s) => !claimed.has(s.key));
    if (seen.length > 0) {
      const answers = await this.idempotency.findAnswers<R>(
        em,
        seen.map((s) => s.id),
      );
      for (const s of seen) {
        try {
          results.set(s.key, { ok: true, value: replayOf(s.id.key, s.fingerprint, answers.get(s.key)!) });
        } catch (error) {
          results.set(s.key, { ok: false, error });
        }
      }
    }
    const fresh = leaders.filter((s) => claimed.has(s.key));
    const outcomes =
      fresh.length > 0
        ? await this.postTogether(
            em,
            fresh.map((s) => s.drafts),
          )
        : [];
    const failed: CommandKey[] = [];
    const answers: Array<{ id: CommandKey; status: number; body: R }> = [];
    const committed: Array<{ tag: unknown; result: R }> = [];
    fresh.forEach((s, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) {
        answers.push({ id: s.id, status: CREATED, body: outcome.result });
        committed.push({ tag: s.tag, result: outcome.result });
        results.set(s.key, { ok: true, value: { status: CREATED, body: outcome.result, replayed: false } });
      } else {
        failed.push(s.id);
        results.set(s.key, { ok: false, error: outcome.error });
      }
    });
    await this.idempotency.releaseMany(em, failed);
    // The answers and the audit rows: one statement.
    await this.idempotency.answerMany(em, answers, this.commitHook && committed.length > 0 ? this.commitHook(committed) : null);
    return results;
  }
}
