import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { Env, pendingMigrations, ReadDatabase, REDIS, unavailabilityOf } from '@forest-ledger/platform';
import Redis from 'ioredis';
import { Client, Pool } from 'pg';
import type { HttpResponse } from '../http/http';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';

/** A probe gives up after this; a dependency slower than that counts as down. */
const PROBE_TIMEOUT_MS = 2_000;

class DependencyHealth {
  @ApiProperty({ enum: ['up', 'down'] }) status!: 'up' | 'saturated' | 'down';
  @ApiProperty({ example: '1.2', description: 'Round-trip time in milliseconds' }) latencyMs!: string;
  @ApiProperty({ required: false }) error?: string;
}

class PoolHealth {
  @ApiProperty({ example: 20, description: 'DB_POOL_SIZE of this API process' }) max!: number;
  @ApiProperty({ example: 3, description: 'Connections open' }) total!: number;
  @ApiProperty({ example: 2, description: 'Open and free' }) idle!: number;
  @ApiProperty({ example: 0, description: 'Requests waiting for a connection' }) waiting!: number;
}

class PostgresHealth extends DependencyHealth {
  @ApiProperty({
    enum: ['up', 'saturated', 'down'],
    description: '`saturated`: PostgreSQL answers but every pooled connection is busy (or the server is at max_connections); requests may get 503 DATABASE_BUSY',
  })
  declare status: 'up' | 'saturated' | 'down';
  @ApiProperty({ type: PoolHealth }) pool!: PoolHealth;
}

class ReplicaHealth {
  @ApiProperty({
    enum: ['replica', 'primary'],
    description: '`primary`: the replica lags above READ_MAX_LAG_MS or is down, and lag-tolerant reads go to the primary (not an outage)',
  })
  routing!: 'replica' | 'primary' | 'none';
  @ApiProperty({ nullable: true, type: Number, example: 12, description: 'Replay lag in ms (0: all the primary wrote is replayed), measured every second' }) lagMs!: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 0 }) lagBytes!: number | null;
  @ApiProperty({ nullable: true, type: String, example: '0/3000148' }) replayLsn!: string | null;
  @ApiProperty({ example: 1000 }) maxLagMs!: number;
  @ApiProperty({ required: false }) error?: string;
}

class MigrationsHealth {
  @ApiProperty({ enum: ['up', 'pending', 'unknown'], description: '`pending`: the schema is behind this build (503); `unknown`: PostgreSQL is not up, so not asked' })
  status!: 'up' | 'pending' | 'unknown';
  @ApiProperty({ type: [String], example: [], description: 'Compiled migrations the migrations table does not list yet' }) pending!: string[];
  @ApiProperty({ required: false }) error?: string;
}

export class HealthResponse {
  @ApiProperty({
    enum: ['ok', 'degraded', 'unavailable'],
    description: '`degraded`: all reachable, the pool saturated (200); `unavailable`: a dependency is down or migrations are pending (503)',
  })
  status!: 'ok' | 'degraded' | 'unavailable';
  @ApiProperty({ type: PostgresHealth }) postgres!: PostgresHealth;
  @ApiProperty({ type: DependencyHealth }) redis!: DependencyHealth;
  @ApiProperty({ type: ReplicaHealth, required: false, description: 'Only with DATABASE_READ_URL: the read replica and where lag-tolerant reads go' }) replica?: ReplicaHealth;
  @ApiProperty({ type: MigrationsHealth }) migrations!: MigrationsHealth;
}

async function probe(check: () => Promise<unknown>): Promise<DependencyHealth> {
  const started = process.hrtime.bigint();
  const elapsed = () => (Number(process.hrtime.bigint() - started) / 1e6).toFixed(1);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS)))]);
    return { status: 'up', latencyMs: elapsed() };
  } catch (error) {
    // A server at max_connections answers: it is saturated, not unreachable.
    const status = unavailabilityOf(error)?.cause === 'DATABASE_BUSY' ? 'saturated' : 'down';
    return { status, latencyMs: elapsed(), error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly env: Env,
    private readonly readDb: ReadDatabase,
  ) {}

  @Get('live')
  @Public()
  @ApiOperation({ summary: 'Liveness: the process answers (restart it only when this fails)' })
  @ApiResponse({ status: 200 })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get(['', 'ready'])
  @Public()
  @ApiOperation({
    summary: 'Readiness: PostgreSQL (with the pool: max, total, idle, waiting), Redis and the migrations, each reported',
    description:
      'A saturated pool is `degraded` (200), not down: PostgreSQL is probed on a connection of its own then. 503 when PostgreSQL or Redis cannot be reached, or while migrations are pending.',
  })
  @ApiResponse({ status: 200, type: HealthResponse, description: 'Both dependencies answer (perhaps saturated) and the schema is migrated' })
  @ApiResponse({ status: 503, type: HealthResponse, description: 'At least one dependency is down, or migrations are pending' })
  async check(@Res({ passthrough: true }) res: HttpResponse): Promise<HealthResponse> {
    const [postgres, redis] = await Promise.all([this.postgres(), probe(() => this.redis.ping())]);
    const migrations = postgres.status === 'up' ? await this.migrations() : { status: 'unknown' as const, pending: [] };
    const down = postgres.status === 'down' || redis.status === 'down' || migrations.status === 'pending';
    res.status(down ? 503 : 200);
    const body: HealthResponse = { status: down ? 'unavailable' : postgres.status === 'saturated' ? 'degraded' : 'ok', postgres, redis, migrations };
    // A lagging or lost replica is no outage (reads fall back to the primary): reported, not a 503.
    if (this.readDb.configured) body.replica = this.readDb.replicaStatus();
    return body;
  }

  /** Compares the migrations table to the compiled migration list (asked only while PostgreSQL is up and the pool has room). */
  private async migrations(): Promise<MigrationsHealth> {
    let pending: string[] = [];
    const health = await probe(async () => {
      pending = await pendingMigrations(this.dataSource);
    });
    if (health.status !== 'up') return { status: 'unknown', pending, error: health.error };
    return { status: pending.length > 0 ? 'pending' : 'up', pending };
  }

  /**
   * Through the pool while it has room; when every connection is busy, on a connection of its own,
   * so that a starved pool reads as saturated and only an unreachable server as down.
   */
  private async postgres(): Promise<PostgresHealth> {
    const pool = this.poolStats();
    const full = pool.total >= pool.max && pool.idle === 0;
    const health = await probe(() => (full ? this.probeOutsidePool() : this.dataSource.query('SELECT 1')));
    const saturated = health.status === 'up' && (full || pool.waiting > 0);
    return { ...health, status: saturated ? 'saturated' : health.status, pool };
  }

  private poolStats(): PoolHealth {
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    return { max: pool.options.max ?? this.env.DB_POOL_SIZE, total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  }

  private async probeOutsidePool(): Promise<void> {
    const client = new Client({ connectionString: this.env.DATABASE_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
