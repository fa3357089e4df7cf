import { InjectQueue } from '@nestjs/bullmq';
import { Global, Injectable, Module, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bullmq';
import { timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from 'pg';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import { Env } from '../config/env';
import { ReadDatabase } from '../database/read-database';
import { within } from '../queue/enqueue';
import { QueueName } from '../queue/queues';

/** Every metric of the service starts with this. */
export const METRIC_PREFIX = 'forest_ledger_';
/** A scrape waits this long for Redis' job counts; a queue that does not answer is left out of that scrape. */
const QUEUE_COUNT_TIMEOUT_MS = 1_000;
const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/** What a written ledger entry tells the metrics: its kind and how many postings it has. */
export interface WrittenEntry {
  kind: string;
  postings: number;
}

/**
 * Whether a scrape may read the metrics: with METRICS_TOKEN set, only `Authorization: Bearer <token>`;
 * without it, anyone in development and test, and nobody in production ('hidden': answer 404).
 */
export function metricsAccess(env: Env, authorization: string | undefined): 'ok' | 'unauthenticated' | 'hidden' {
  if (env.METRICS_TOKEN === '') return env.NODE_ENV === 'production' ? 'hidden' : 'ok';
  const given = Buffer.from(/^Bearer (\S+)$/i.exec(authorization ?? '')?.[1] ?? '');
  const expected = Buffer.from(env.METRICS_TOKEN);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'unauthenticated';
}

/** Whether this process serves metrics at all (for the start-up line). */
export function metricsEnabled(env: Env): boolean {
  return env.METRICS_TOKEN !== '' || env.NODE_ENV !== 'production';
}

/**
 * The process's Prometheus metrics (prom-client), one registry per application. The API and the worker
 * both have it: the HTTP metrics are filled by the API's hooks (apps/api/src/observability), the ledger
 * counters by LedgerService's write observer (counted when the transaction commits), the pool and queue
 * gauges read at each scrape.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: `${METRIC_PREFIX}http_requests_total`,
    help: 'HTTP requests answered, by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP request latency, by route template, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly ledgerEntries = new Counter({
    name: `${METRIC_PREFIX}ledger_entries_posted_total`,
    help: 'Ledger entries committed, by entry kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly ledgerPostings = new Counter({
    name: `${METRIC_PREFIX}ledger_postings_posted_total`,
    help: 'Ledger postings committed, by entry kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly idempotency = new Counter({
    name: `${METRIC_PREFIX}idempotency_outcomes_total`,
    help: 'Requests answered from an earlier one (replay) or refused for another body under the same key (conflict)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly logins = new Counter({
    name: `${METRIC_PREFIX}login_failures_total`,
    help: 'Refused logins: wrong credentials (failed) or refused by the failed-login limit (locked), by login kind',
    labelNames: ['kind', 'reason'] as const,
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: `${METRIC_PREFIX}webhook_deliveries_total`,
    help: 'Webhook delivery attempts by outcome (succeeded, failed), and subscriptions disabled after failing too long (disabled)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly jobDuration = new Histogram({
    name: `${METRIC_PREFIX}queue_job_duration_seconds`,
    help: 'BullMQ job run time (processedOn to finishedOn), by queue, job name and outcome',
    labelNames: ['queue', 'name', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800],
    registers: [this.registry],
  });
  /** Entries written in a transaction not yet committed, by the transaction's query runner. */
  private readonly uncommitted = new WeakMap<QueryRunner, WrittenEntry[]>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QueueName.Ledger) ledger: Queue,
    @InjectQueue(QueueName.Dividends) dividends: Queue,
    @InjectQueue(QueueName.LandUse) landUse: Queue,
    @InjectQueue(QueueName.Subsidies) subsidies: Queue,
    @Optional() reads?: ReadDatabase,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    const pool = () => (this.dataSource.driver as unknown as { master?: Pool }).master;
    new Gauge({
      name: `${METRIC_PREFIX}pg_pool_connections`,
      help: 'PostgreSQL pool of this process: connections open (total), open and free (idle), requests waiting for one (waiting)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const p = pool();
        if (!p) return;
        this.set({ state: 'total' }, p.totalCount);
        this.set({ state: 'idle' }, p.idleCount);
        this.set({ state: 'waiting' }, p.waitingCount);
      },
    });
    if (reads?.configured) {
      new Gauge({
        name: `${METRIC_PREFIX}replica_lag_seconds`,
        help: 'Replay lag of the read replica (DATABASE_READ_URL), measured every second; -1 while it cannot be measured',
        registers: [this.registry],
        collect() {
          const { lagMs } = reads.replicaStatus();
          this.set(lagMs === null ? -1 : lagMs / 1000);
        },
      });
      new Gauge({
        name: `${METRIC_PREFIX}replica_reads_routed`,
        help: '1 while lag-tolerant reads go to the replica, 0 while they fall back to the primary (lag above READ_MAX_LAG_MS, or the replica down)',
        registers: [this.registry],
        collect() {
          this.set(reads.replicaStatus().routing === 'replica' ? 1 : 0);
        },
      });
    }
    const queues = [ledger, dividends, landUse, subsidies];
    new Gauge({
      name: `${METRIC_PREFIX}queue_jobs`,
      help: 'BullMQ jobs by queue and state (read from Redis at each scrape; a queue Redis does not answer for is left out)',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        await Promise.all(
          queues.map(async (queue) => {
            try {
              const counts = await within(queue.getJobCounts(...JOB_STATES), QUEUE_COUNT_TIMEOUT_MS, `queue ${queue.name}: counting jobs`);
              for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
            } catch (error) {
              if (!(error instanceof Error)) throw error; // Redis down or slow: this scrape goes without the queue
            }
          }),
        );
      },
    });
    this.dataSource.subscribers.push(this.commitListener());
  }

  /** LedgerService's write observer: entries count once their transaction commits (a rolled-back one never). */
  entriesWritten(em: EntityManager, entries: WrittenEntry[]): void {
    const runner = em.queryRunner;
    if (!runner?.isTransactionActive) return this.count(entries);
    this.uncommitted.set(runner, [...(this.uncommitted.get(runner) ?? []), ...entries]);
  }

  /** Prometheus' text format of every metric. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private count(entries: WrittenEntry[]): void {
    for (const { kind, postings } of entries) {
      this.ledgerEntries.inc({ kind });
      this.ledgerPostings.inc({ kind }, postings);
    }
  }

  private commitListener(): EntitySubscriberInterface {
    return {
      afterTransactionCommit: ({ queryRunner }) => {
        const entries = this.uncommitted.get(queryRunner);
        if (!entries) return;
        this.uncommitted.delete(queryRunner);
        this.count(entries);
      },
      afterTransactionRollback: ({ queryRunner }) => {
        this.uncommitted.delete(queryRunner);
      },
    };
  }
}

/** Metrics for the API and the worker (global: the hooks and the processors' listeners find it anywhere). */
@Global()
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
