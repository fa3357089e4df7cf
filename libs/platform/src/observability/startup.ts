import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Env } from '../config/env';
import { metricsEnabled } from './metrics';
import { tracingState } from './tracing';

/** The service's version: package.json's, found above this file (in the sources and in dist/ alike). */
export function serviceVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'forest-ledger') return pkg.version ?? 'unknown';
  }
  return 'unknown';
}

/** host:port/database of a connection URL, never its user or password. */
export function hostOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || (parsed.protocol.startsWith('redis') ? '6379' : '5432')}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
}

/**
 * What the one start-up log line says, for the API and the worker alike: version, deployment id, the
 * PostgreSQL and Redis it uses (hosts only), and whether metrics and tracing are on.
 */
export function startupSummary(env: Env, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    version: serviceVersion(),
    nodeEnv: env.NODE_ENV,
    deploymentId: env.DEPLOYMENT_ID,
    ...extra,
    postgres: hostOf(env.DATABASE_URL),
    redis: hostOf(env.REDIS_URL),
    metrics: metricsEnabled(env) ? (env.METRICS_TOKEN ? 'on (bearer token)' : 'on (no token: development)') : 'off (METRICS_TOKEN not set)',
    tracing: tracingState(),
  };
}
