import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { REDIS } from '@forest-ledger/platform';
import Redis from 'ioredis';
import type { HttpResponse } from '../http/http';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';

class DependencyHealth {
  @ApiProperty({ enum: ['up', 'down'] }) status!: 'up' | 'down';
  @ApiProperty({ example: '1.2', description: 'Round-trip time in milliseconds' }) latencyMs!: string;
  @ApiProperty({ required: false }) error?: string;
}

export class HealthResponse {
  @ApiProperty({ enum: ['ok', 'degraded'] }) status!: 'ok' | 'degraded';
  @ApiProperty({ type: DependencyHealth }) postgres!: DependencyHealth;
  @ApiProperty({ type: DependencyHealth }) redis!: DependencyHealth;
}

async function probe(check: () => Promise<unknown>): Promise<DependencyHealth> {
  const started = process.hrtime.bigint();
  const elapsed = () => (Number(process.hrtime.bigint() - started) / 1e6).toFixed(1);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out after 2 s')), 2000)))]);
    return { status: 'up', latencyMs: elapsed() };
  } catch (error) {
    return { status: 'down', latencyMs: elapsed(), error: error instanceof Error ? error.message : String(error) };
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
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness and readiness: PostgreSQL and Redis, each reported' })
  @ApiResponse({ status: 200, type: HealthResponse, description: 'Both dependencies answer' })
  @ApiResponse({ status: 503, type: HealthResponse, description: 'At least one dependency is down' })
  async check(@Res({ passthrough: true }) res: HttpResponse): Promise<HealthResponse> {
    const [postgres, redis] = await Promise.all([probe(() => this.dataSource.query('SELECT 1')), probe(() => this.redis.ping())]);
    const ok = postgres.status === 'up' && redis.status === 'up';
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'degraded', postgres, redis };
  }
}
