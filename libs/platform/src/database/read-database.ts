import { Global, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';
import { Env } from '../config/env';
import { dataSourceOptions } from './data-source.options';

/** How often the replica's lag is measured. */
export const LAG_POLL_MS = 1_000;
/** How often a read waiting for its X-Min-LSN looks at the replica again. */
const MIN_LSN_POLL_MS = 10;

/** Read-your-writes: the request's X-Min-LSN (the X-Last-Write-LSN its caller was given), for the reads made while answering it. */
export const readConsistency = new AsyncLocalStorage<{ minLsn?: string }>();

/** `16/B374D848` → a comparable number of bytes. */
export function lsnToBigInt(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  if (!m) throw new Error(`not a PostgreSQL LSN: ${JSON.stringify(lsn)}`);
  return (BigInt(`0x${m[1]}`) << 32n) + BigInt(`0x${m[2]}`);
}

export const isLsn = (text: unknown): text is string => typeof text === 'string' && /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(text.trim());

export interface ReplicaStatus {
  /** 'none': no DATABASE_READ_URL; 'replica': lag-tolerant reads go to it; 'primary': it lags too much (or is down), they go to the primary. */
  routing: 'none' | 'replica' | 'primary';
  /** Replay lag, ms: 0 when it has replayed all the primary wrote, else the age of the last replayed transaction; null when unknown. */
  lagMs: number | null;
  /** Bytes of WAL the primary has written that the replica has not replayed. */
  lagBytes: number | null;
  replayLsn: string | null;
  maxLagMs: number;
  error?: string;
}

/**
 * The read side of the database (issue #22). With DATABASE_READ_URL, a second, read-only DataSource on a streaming
 * replica, for reads that tolerate a little lag (the villagers' page, public verification and registry, reports);
 * without it, the primary. Commands, and every check inside a command, use the primary (the injected DataSource).
 *
 * Lag: every second the replica's replayed LSN is compared with the primary's current one; when behind, the lag is
 * the age of the last replayed transaction (pg_last_xact_replay_timestamp). Above READ_MAX_LAG_MS, or when the
 * replica does not answer, reads go to the primary until it is back under the bound.
 *
 * Read-your-writes: a write's response carries X-Last-Write-LSN (the primary's WAL position after it committed); a read
 * sent with X-Min-LSN: <that> waits up to READ_MIN_LSN_WAIT_MS for the replica to have replayed it, else reads the primary.
 */
@Injectable()
export class ReadDatabase implements OnModuleInit, OnApplicationShutdown {
  private replica?: DataSource;
  private status: ReplicaStatus;
  private timer?: NodeJS.Timeout;
  private replayed = -1n;
  /** Tells the metrics each measurement. */
  private readonly listeners: Array<(status: ReplicaStatus) => void> = [];

  constructor(
    @InjectDataSource() private readonly primary: DataSource,
    private readonly env: Env,
  ) {
    this.status = { routing: env.DATABASE_READ_URL ? 'primary' : 'none', lagMs: null, lagBytes: null, replayLsn: null, maxLagMs: env.READ_MAX_LAG_MS };
  }

  async onModuleInit(): Promise<void> {
    if (!this.env.DATABASE_READ_URL) return;
    const pool = Math.max(2, Math.ceil(this.env.DB_POOL_SIZE / 2));
    const options = dataSourceOptions(this.env.DATABASE_READ_URL, pool, {
      acquireMs: this.env.DB_ACQUIRE_TIMEOUT_MS,
      statementMs: this.env.DB_STATEMENT_TIMEOUT_MS,
      lockMs: this.env.DB_LOCK_TIMEOUT_MS,
    });
    // Read-only sessions even if the URL names a primary by mistake: nothing written through this source.
    this.replica = new DataSource({ ...options, extra: { ...(options.extra as object), options: '-c default_transaction_read_only=on' } });
    try {
      await this.replica.initialize();
    } catch (error) {
      this.status = { ...this.status, routing: 'primary', error: error instanceof Error ? error.message : String(error) };
    }
    await this.measure();
    this.timer = setInterval(() => void this.measure(), LAG_POLL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.replica?.isInitialized) await this.replica.destroy();
  }

  onMeasure(listener: (status: ReplicaStatus) => void): void {
    this.listeners.push(listener);
  }

  replicaStatus(): ReplicaStatus {
    return { ...this.status };
  }

  /**
   * The EntityManager for a lag-tolerant read: the replica's while it is within READ_MAX_LAG_MS (and, for a request
   * with X-Min-LSN, once it has replayed that LSN), else the primary's.
   */
  async manager(minLsn: string | undefined = readConsistency.getStore()?.minLsn): Promise<EntityManager> {
    return (await this.source(minLsn)).manager;
  }

  /** A read-only transaction (one snapshot, e.g. REPEATABLE READ) on the source manager() would choose. */
  async transaction<T>(isolation: 'READ COMMITTED' | 'REPEATABLE READ', work: (em: EntityManager) => Promise<T>): Promise<T> {
    const source = await this.source(readConsistency.getStore()?.minLsn);
    return source.transaction(isolation, work);
  }

  /** The primary's WAL insert position now: what a write's response tells its caller (X-Last-Write-LSN). */
  async primaryLsn(): Promise<string> {
    const [row] = await this.primary.query<Array<{ lsn: string }>>(`SELECT pg_current_wal_lsn()::text AS lsn`);
    return row.lsn;
  }

  /** Whether this process routes reads to a replica at all. */
  get configured(): boolean {
    return this.env.DATABASE_READ_URL !== '';
  }

  /** The DataSource manager() would use (for code that opens its own transaction, e.g. reports with longer timeouts). */
  async dataSource(minLsn: string | undefined = readConsistency.getStore()?.minLsn): Promise<DataSource> {
    return this.source(minLsn);
  }

  private async source(minLsn: string | undefined): Promise<DataSource> {
    const replica = this.replica;
    if (!replica?.isInitialized || this.status.routing !== 'replica') return this.primary;
    if (!isLsn(minLsn)) return replica;
    const wanted = lsnToBigInt(minLsn);
    const deadline = Date.now() + this.env.READ_MIN_LSN_WAIT_MS;
    for (;;) {
      if (this.replayed >= wanted) return replica;
      this.replayed = lsnToBigInt(await this.replayLsn(replica));
      if (this.replayed >= wanted) return replica;
      if (Date.now() >= deadline) return this.primary;
      await new Promise((resolve) => setTimeout(resolve, MIN_LSN_POLL_MS));
    }
  }

  private async replayLsn(replica: DataSource): Promise<string> {
    const [row] = await replica.query<Array<{ lsn: string }>>(`SELECT coalesce(pg_last_wal_replay_lsn(), pg_current_wal_lsn())::text AS lsn`);
    return row.lsn;
  }

  /** One lag measurement: the primary's position first, so a replica that replayed it counts as caught up. */
  async measure(): Promise<ReplicaStatus> {
    const replica = this.replica;
    if (!replica?.isInitialized) return this.status;
    try {
      const primaryLsn = await this.primaryLsn();
      const [row] = await replica.query<Array<{ replay: string; age_ms: number }>>(
        `SELECT coalesce(pg_last_wal_replay_lsn(), pg_current_wal_lsn())::text AS replay,
                coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000, 0)::float8 AS age_ms`,
      );
      const behind = lsnToBigInt(primaryLsn) - lsnToBigInt(row.replay);
      this.replayed = lsnToBigInt(row.replay);
      const lagMs = behind <= 0n ? 0 : Math.max(0, Math.round(row.age_ms));
      this.status = {
        routing: lagMs <= this.env.READ_MAX_LAG_MS ? 'replica' : 'primary',
        lagMs,
        lagBytes: Number(behind > 0n ? behind : 0n),
        replayLsn: row.replay,
        maxLagMs: this.env.READ_MAX_LAG_MS,
      };
    } catch (error) {
      this.status = { ...this.status, routing: 'primary', lagMs: null, error: error instanceof Error ? error.message : String(error) };
    }
    for (const listener of this.listeners) listener(this.status);
    return this.status;
  }
}

/** ReadDatabase for every feature (global, like the primary's DataSource). */
@Global()
@Module({ providers: [ReadDatabase], exports: [ReadDatabase] })
export class ReadDatabaseModule {}
