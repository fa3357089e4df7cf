import { Logger } from '@nestjs/common';
import { unavailabilityOf } from '@forest-ledger/platform';
import Redis from 'ioredis';

/** Bounds the in-process fallback: beyond this many keys the oldest are forgotten. */
const MAX_LOCAL_KEYS = 100_000;

/**
 * Failed-attempt counters with a window: shared in Redis, so every API process sees them. While
 * Redis is unreachable, each call falls back to this process's memory: a correct login still
 * works, and wrong ones are still limited, per process (so up to API_PROCESSES × the limit).
 * When Redis is back its counts apply again; what was counted in memory meanwhile is dropped.
 */
export class AttemptCounter {
  private readonly logger = new Logger('login-limits');
  private readonly local = new Map<string, { count: number; expiresAt: number }>();
  private degraded = false;

  constructor(private readonly redis: Redis) {}

  /** Failures counted under each key in its current window. */
  async counts(keys: string[]): Promise<number[]> {
    const shared = await this.shared(() => this.redis.mget(...keys));
    return shared ? shared.map((v) => Number(v ?? 0)) : keys.map((k) => this.localEntry(k)?.count ?? 0);
  }

  /** Seconds until the window of `key` ends (at least 1). */
  async secondsLeft(key: string): Promise<number> {
    const shared = await this.shared(() => this.redis.ttl(key));
    const local = this.localEntry(key);
    return Math.max(1, shared ?? (local ? Math.ceil((local.expiresAt - Date.now()) / 1000) : 1));
  }

  /** One more failure under each key; each failure restarts the key's window. */
  async record(keys: string[], windowSeconds: number): Promise<void> {
    const done = await this.shared(async () => {
      const multi = this.redis.multi();
      for (const key of keys) multi.incr(key).expire(key, windowSeconds);
      return multi.exec();
    });
    if (done) return;
    for (const key of keys) {
      const entry = { count: (this.localEntry(key)?.count ?? 0) + 1, expiresAt: Date.now() + windowSeconds * 1000 };
      this.local.delete(key);
      this.local.set(key, entry);
      if (this.local.size > MAX_LOCAL_KEYS) this.local.delete(this.local.keys().next().value as string);
    }
  }

  async clear(key: string): Promise<void> {
    this.local.delete(key);
    await this.shared(() => this.redis.del(key));
  }

  private localEntry(key: string): { count: number; expiresAt: number } | undefined {
    const entry = this.local.get(key);
    if (entry && entry.expiresAt <= Date.now()) this.local.delete(key);
    return entry && entry.expiresAt > Date.now() ? entry : undefined;
  }

  /** Runs a Redis command; undefined when Redis is unreachable (then the caller uses memory). Other errors are bugs. */
  private async shared<T>(command: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await command();
      if (this.degraded) this.logger.log('Redis is back: login limits are shared again');
      this.degraded = false;
      return result;
    } catch (error) {
      const cause = unavailabilityOf(error)?.cause;
      if (cause !== 'REDIS_UNAVAILABLE' && cause !== 'CONNECTION_FAILED') throw error;
      if (!this.degraded) this.logger.warn({ err: error }, 'Redis unreachable: login limits counted in this process until it is back');
      this.degraded = true;
      return undefined;
    }
  }
}
