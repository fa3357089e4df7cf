import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';

/**
 * The scale set-up of issue #22 on this machine, for the scale demo and its CI-sized test: a PostgreSQL 15 primary and a
 * streaming replica as clusters of their own (pg_createcluster on spare ports; the machine's main cluster is never
 * touched), and a 6-node Redis Cluster (3 masters, 3 replicas) in a directory of its own. Everything started here is
 * stopped by the matching stop function, by cluster name and port, never by a broad process name.
 */
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PgPair {
  primaryUrl: (db: string) => string;
  replicaUrl: (db: string) => string;
  names: [string, string];
}

const conf = (cluster: string) => `/etc/postgresql/15/${cluster}`;
const dataDir = (cluster: string) => `/var/lib/postgresql/15/${cluster}`;

function createCluster(name: string, port: number): void {
  run('pg_createcluster', ['15', name, '--port', String(port), '--', '--auth=trust']);
  // Trust on loopback for everyone, replication included (the demo's own throwaway clusters only).
  writeFileSync(
    join(conf(name), 'pg_hba.conf'),
    ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust', 'local replication all trust', ''].join('\n'),
  );
  appendFileSync(
    join(conf(name), 'postgresql.conf'),
    [
      "listen_addresses = '127.0.0.1'",
      'max_connections = 200',
      'shared_buffers = 64MB',
      'wal_level = replica',
      'max_wal_senders = 5',
      'hot_standby = on',
      'hot_standby_feedback = on',
      '',
    ].join('\n'),
  );
}

/** A primary on primaryPort and its streaming replica on replicaPort (pg_basebackup -R -X stream), both started. */
export async function startPgPair(prefix: string, primaryPort: number, replicaPort: number): Promise<PgPair> {
  const [p, r] = [`${prefix}-primary`, `${prefix}-replica`];
  stopPgPair([p, r]);
  createCluster(p, primaryPort);
  run('pg_ctlcluster', ['15', p, 'start']);
  createCluster(r, replicaPort);
  // Emptied, not removed: its parent is root's, the directory postgres'.
  for (const entry of readdirSync(dataDir(r))) rmSync(join(dataDir(r), entry), { recursive: true, force: true });
  run('runuser', ['-u', 'postgres', '--', 'pg_basebackup', '-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', dataDir(r), '-R', '-X', 'stream', '-c', 'fast']);
  run('pg_ctlcluster', ['15', r, 'start']);
  const url = (port: number) => (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const pair: PgPair = { primaryUrl: url(primaryPort), replicaUrl: url(replicaPort), names: [p, r] };
  for (let i = 0; i < 100; i++) {
    const client = new Client({ connectionString: pair.replicaUrl('postgres') });
    try {
      await client.connect();
      const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      if (rows[0].standby) return pair;
    } catch {
      // still starting
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(200);
  }
  throw new Error(`replica ${r} did not come up as a standby`);
}

/** Stops and drops the two clusters (by name; nothing else). */
export function stopPgPair(names: string[]): void {
  for (const name of [...names].reverse()) {
    try {
      run('pg_dropcluster', ['15', name, '--stop']);
    } catch {
      // not there
    }
  }
}

export interface RedisClusterHandle {
  ports: number[];
  nodes: string;
  dir: string;
}

/** Six redis-server processes with --cluster-enabled, joined by redis-cli --cluster create … --cluster-replicas 1. */
export async function startRedisCluster(ports: number[], dir: string): Promise<RedisClusterHandle> {
  stopRedisCluster({ ports, dir, nodes: '' });
  for (const port of ports) {
    const own = join(dir, String(port));
    mkdirSync(own, { recursive: true });
    run('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-announce-ip', '127.0.0.1',
      '--dir', own, '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--pidfile', join(own, 'redis.pid'), '--logfile', join(own, 'redis.log'),
    ]); // prettier-ignore
  }
  for (const port of ports) {
    for (let i = 0; i < 50; i++) {
      try {
        if (run('redis-cli', ['-p', String(port), 'ping']).includes('PONG')) break;
      } catch {
        // starting
      }
      await sleep(100);
    }
  }
  run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes']);
  for (const port of ports) {
    const node = new Redis(port, '127.0.0.1', { lazyConnect: true });
    await node.connect();
    for (let i = 0; i < 100 && !/cluster_state:ok/.test(String(await node.call('CLUSTER', 'INFO'))); i++) await sleep(100);
    await node.quit();
  }
  return { ports, dir, nodes: ports.map((p) => `127.0.0.1:${p}`).join(',') };
}

/** Shuts down the six servers on their ports and removes their directory. */
export function stopRedisCluster(handle: RedisClusterHandle): void {
  for (const port of handle.ports) {
    try {
      run('redis-cli', ['-p', String(port), 'shutdown', 'nosave']);
    } catch {
      // not running
    }
  }
  rmSync(handle.dir, { recursive: true, force: true });
}
