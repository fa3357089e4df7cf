import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { dataSourceOptions } from '@forest-ledger/platform/database/data-source.options';
import { DataSource } from 'typeorm';

/**
 * PostgreSQL clusters and Redis servers of a test file's own, on spare ports, for tests that stop
 * and start them (never the machine's own 5432 and 6379). Needs root and the Debian
 * postgresql-common tools (pg_createcluster), as in CI. Everything started is stopped and
 * removed in afterAll and, should the process end first, in an exit hook.
 */

/** The spare ports these tests may use. */
export const OWN_POSTGRES_PORTS = [5441, 5442, 5443, 5444, 5445];
export const OWN_REDIS_PORTS = [6380, 6381, 6382, 6383, 6384, 6385, 6386, 6387, 6388, 6389];
export const OWN_REDIS_CLUSTER_PORTS = [7003, 7004, 7005, 7006, 7007, 7008, 7009];

const cleanups = new Map<string, () => void>();
let hooked = false;
function onExit(name: string, cleanup: () => void): void {
  cleanups.set(name, cleanup);
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const c of cleanups.values()) {
      try {
        c();
      } catch {
        // best effort at exit
      }
    }
  });
}

/** Why these tests cannot run here, or null when they can. */
export function ownServicesUnsupported(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (pg_createcluster, pg_ctlcluster)';
  if (!existsSync('/usr/bin/pg_createcluster')) return 'needs /usr/bin/pg_createcluster (postgresql-common)';
  return null;
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function freePort(ports: number[], taken: (port: number) => boolean = () => false): Promise<number> {
  for (const port of ports) if (!taken(port) && !(await portInUse(port))) return port;
  throw new Error(`no free port among ${ports.join(', ')}`);
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

export interface OwnPostgres {
  readonly cluster: string;
  readonly port: number;
  /** The migrated database's URL. */
  readonly url: string;
  /** Stops the server (fast shutdown: sessions are terminated, 57P01). */
  stop(): void;
  start(): Promise<void>;
  /** Stops and removes the cluster; safe to call twice. */
  drop(): void;
}

const PG_VERSION = () => readdirSync('/usr/lib/postgresql').sort().at(-1)!;

/** Clusters of earlier runs whose process is gone (killed before its exit hook ran). */
function dropLeftovers(version: string): void {
  const names = execFileSync('pg_lsclusters', ['-h'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(/\s+/)[1])
    .filter((name): name is string => name !== undefined && /^fl-.+-\d+$/.test(name));
  for (const name of names) {
    const pid = Number(/-(\d+)$/.exec(name)![1]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) spawnSync('pg_dropcluster', [version, name, '--stop'], { stdio: 'ignore' });
  }
}

/** A new cluster (durability off: a test server), started, with database `name` migrated from the repo's migrations. */
export async function startOwnPostgres(name: string): Promise<OwnPostgres> {
  const version = PG_VERSION();
  const cluster = `fl-${name}-${process.pid}`;
  const taken = new Set(
    execFileSync('pg_lsclusters', ['-h'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((line) => Number(line.split(/\s+/)[2])),
  );
  dropLeftovers(version);
  const port = await freePort(OWN_POSTGRES_PORTS, (p) => taken.has(p));
  const ctl = (...args: string[]) => execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, cluster, ...args], { stdio: 'pipe' });
  let dropped = false;
  const drop = () => {
    if (dropped) return;
    dropped = true;
    spawnSync('pg_dropcluster', [version, cluster, '--stop'], { stdio: 'ignore' });
  };
  onExit(`pg:${cluster}`, drop);
  try {
    execFileSync(
      'pg_createcluster',
      [
        version,
        cluster,
        '-p',
        String(port),
        '-o',
        'fsync=off',
        '-o',
        'full_page_writes=off',
        '-o',
        'max_connections=40',
        '-o',
        'shared_buffers=32MB',
        '--',
        '--auth-local=trust',
        '--auth-host=trust',
        '--no-sync',
      ],
      { stdio: 'pipe' },
    );
    ctl('start');
    const url = `postgres://postgres@127.0.0.1:${port}/${name}`;
    const server = new DataSource(dataSourceOptions(`postgres://postgres@127.0.0.1:${port}/postgres`, 1));
    await server.initialize();
    await server.query(`CREATE DATABASE "${name}"`);
    await server.destroy();
    const ds = new DataSource(dataSourceOptions(url, 1));
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    await ds.destroy();
    return {
      cluster,
      port,
      url,
      stop: () => ctl('stop', '-m', 'fast'),
      start: async () => {
        ctl('start');
        await waitFor('PostgreSQL accepting connections', () => spawnSync('pg_isready', ['-h', '127.0.0.1', '-p', String(port)]).status === 0);
      },
      drop,
    };
  } catch (error) {
    drop();
    throw error;
  }
}

export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL: no shutdown, connections reset. */
  kill(): void;
  start(): Promise<void>;
}

/** A Redis without persistence on a spare port; killed at the end of the process at the latest. */
export async function startOwnRedis(): Promise<OwnRedis & { stop(): void }> {
  const port = await freePort(OWN_REDIS_PORTS);
  const pidfile = `/tmp/forest-ledger-test-redis-${port}-${process.pid}.pid`;
  const pid = () => Number(execFileSync('cat', [pidfile], { encoding: 'utf8' }).trim());
  let running = false;
  const kill = () => {
    if (!running) return;
    running = false;
    try {
      process.kill(pid(), 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const start = async () => {
    execFileSync('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--pidfile', pidfile], {
      stdio: 'pipe',
    });
    running = true;
    await waitFor('Redis answering', () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG');
  };
  onExit(`redis:${port}`, kill);
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, kill, start, stop: kill };
}

/**
 * A one-node Redis Cluster (all 16384 slots on one node) on a spare port that nothing answers on:
 * a server some earlier, killed run left behind is stepped over, not reused. Its log is in the
 * error when it does not come up.
 */
export async function startOwnRedisClusterNode(): Promise<{ port: number; stop(): void }> {
  const port = await freePort(OWN_REDIS_CLUSTER_PORTS);
  const dir = mkdtempSync(join(tmpdir(), `fl-redis-cluster-${port}-`));
  const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout.trim();
  let running = true;
  const stop = () => {
    if (!running) return;
    running = false;
    cli('shutdown', 'nosave');
    rmSync(dir, { recursive: true, force: true });
  };
  onExit(`redis-cluster:${port}`, stop);
  const log = join(dir, 'redis.log');
  execFileSync('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-announce-ip', '127.0.0.1',
    '--cluster-config-file', join(dir, 'nodes.conf'), '--dir', dir, '--save', '', '--appendonly', 'no',
    '--daemonize', 'yes', '--pidfile', join(dir, 'redis.pid'), '--logfile', log,
  ]); // prettier-ignore
  const logTail = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '(no log)');
  try {
    await waitFor(`the cluster node on ${port} answering`, () => cli('ping') === 'PONG');
    const added = cli('cluster', 'addslotsrange', '0', '16383');
    if (added !== 'OK') throw new Error(`CLUSTER ADDSLOTSRANGE on ${port}: ${added}`);
    await waitFor(`the cluster on ${port} in state ok`, () => /cluster_state:ok/.test(cli('cluster', 'info')));
  } catch (e) {
    stop();
    throw new Error(`${(e as Error).message}\nits log:\n${logTail()}`);
  }
  return { port, stop };
}
