import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { businessToday, DividendDeclarationsService } from '@forest-ledger/forestry';
import { LedgerService } from '@forest-ledger/ledger';
import { Env, Metrics, metricsAccess, metricsEnabled } from '@forest-ledger/platform';
import type { Job, Worker } from 'bullmq';
import { createServer, Server } from 'node:http';
import { Gauge } from 'prom-client';
import { DividendsProcessor } from './dividends.processor';
import { LandUseProcessor } from './land-use.processor';
import { LedgerProcessor } from './ledger.processor';
import { SubsidiesProcessor } from './subsidies.processor';

/** A scrape reports the progress of at most this many running distributions (there are rarely more than one or two). */
const MAX_DISTRIBUTIONS_REPORTED = 20;

/**
 * The worker's metrics, served at GET /metrics on WORKER_METRICS_PORT (0: not served) with the same
 * METRICS_TOKEN rule as the API's: committed ledger entries (the dividend distribution posts them here),
 * job run times per queue (failed attempts counted by outcome="failed"), the queues' job counts, the pool,
 * and the distributions from the dividends feature at each scrape: pending ones, holders done of total
 * per declaration, and the failed ones that wait for an ADMIN.
 */
@Injectable()
export class WorkerMetrics implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerMetrics.name);
  private server: Server | null = null;

  constructor(
    private readonly metrics: Metrics,
    private readonly ledger: LedgerService,
    private readonly env: Env,
    private readonly dividends: DividendDeclarationsService,
    private readonly ledgerJobs: LedgerProcessor,
    private readonly dividendJobs: DividendsProcessor,
    private readonly landUseJobs: LandUseProcessor,
    private readonly subsidyJobs: SubsidiesProcessor,
  ) {}

  onModuleInit(): void {
    this.ledger.observeWrites((em, entries) => this.metrics.entriesWritten(em, entries));
    const dividends = this.dividends;
    const logger = this.logger;
    const pending = async () => {
      try {
        return await dividends.pendingDistributions(businessToday(new Date()));
      } catch (error) {
        if (!(error instanceof Error)) throw error;
        logger.warn({ err: error }, 'metrics: dividend distributions not read'); // PostgreSQL down: this scrape goes without them
        return null;
      }
    };
    new Gauge({
      name: 'forest_ledger_dividend_distributions_pending',
      help: 'Dividend declarations to distribute now: DISTRIBUTING, or APPROVED and due (not failed)',
      registers: [this.metrics.registry],
      async collect() {
        const list = await pending();
        if (list) this.set(list.length);
      },
    });
    new Gauge({
      name: 'forest_ledger_dividend_distributions_failed',
      help: 'Dividend distributions that truly failed and wait for an ADMIN to resume them (POST /v1/dividends/:id/resume); alert when above 0',
      registers: [this.metrics.registry],
      async collect() {
        try {
          this.set(await dividends.failedDistributions());
        } catch (error) {
          if (!(error instanceof Error)) throw error;
          logger.warn({ err: error }, 'metrics: failed dividend distributions not read'); // PostgreSQL down: this scrape goes without it
        }
      },
    });
    new Gauge({
      name: 'forest_ledger_dividend_distribution_holders',
      help: 'Holders of a DISTRIBUTING declaration: paid so far (done) and in all (total)',
      labelNames: ['declaration', 'of'] as const,
      registers: [this.metrics.registry],
      async collect() {
        this.reset();
        for (const { id } of ((await pending()) ?? []).slice(0, MAX_DISTRIBUTIONS_REPORTED)) {
          const progress = await dividends.progress(id).catch((error: unknown) => {
            if (!(error instanceof Error)) throw error;
            return null; // finished or gone meanwhile, or PostgreSQL down
          });
          if (progress?.state !== 'DISTRIBUTING') continue;
          this.set({ declaration: id, of: 'done' }, progress.holdersDone);
          this.set({ declaration: id, of: 'total' }, progress.holdersTotal);
        }
      },
    });
  }

  onApplicationBootstrap(): void {
    for (const host of [this.ledgerJobs, this.dividendJobs, this.landUseJobs, this.subsidyJobs]) this.timeJobs(host.worker);
    if (this.env.WORKER_METRICS_PORT === 0) return;
    if (!metricsEnabled(this.env)) {
      this.logger.warn('WORKER_METRICS_PORT is set but METRICS_TOKEN is not: production serves no metrics without a token');
      return;
    }
    this.server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      const access = metricsAccess(this.env, req.headers.authorization);
      const refuse = (status: number, code: string, message: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code, message }));
      if (req.method !== 'GET' || path !== '/metrics' || access === 'hidden') return refuse(404, 'ROUTE_NOT_FOUND', 'no such route');
      if (access === 'unauthenticated') return refuse(401, 'UNAUTHENTICATED', 'send the metrics token (Authorization: Bearer <METRICS_TOKEN>)');
      this.metrics.scrape().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body),
        (error: unknown) => {
          this.logger.error({ err: error }, 'metrics scrape failed');
          refuse(500, 'INTERNAL', 'metrics scrape failed');
        },
      );
    });
    this.server.on('error', (error) => this.logger.error({ err: error, port: this.env.WORKER_METRICS_PORT }, 'worker metrics endpoint failed'));
    this.server.listen(this.env.WORKER_METRICS_PORT, '0.0.0.0');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private timeJobs(worker: Worker): void {
    const observe = (job: Job | undefined, outcome: 'completed' | 'failed') => {
      if (job?.processedOn && job.finishedOn) this.metrics.jobDuration.observe({ queue: worker.name, name: job.name, outcome }, (job.finishedOn - job.processedOn) / 1000);
    };
    worker.on('completed', (job) => observe(job, 'completed'));
    worker.on('failed', (job) => observe(job, 'failed'));
  }
}
