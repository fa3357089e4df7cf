import Redis, { Cluster, RedisOptions } from 'ioredis';
import type { Env } from '../config/env';

/** The Redis Cluster seed nodes of REDIS_CLUSTER_NODES, or undefined when the service uses one Redis (REDIS_URL). */
export function clusterNodes(env: Pick<Env, 'REDIS_CLUSTER_NODES'>): { host: string; port: number }[] | undefined {
  if (!env.REDIS_CLUSTER_NODES) return undefined;
  return env.REDIS_CLUSTER_NODES.split(',').map((node) => {
    const at = node.lastIndexOf(':');
    return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
  });
}

/** Every Cluster client made here, quit at shutdown (BullMQ does not close a connection it was handed). */
const opened = new Set<Cluster>();

/**
 * A Redis client with these options: a plain one on REDIS_URL, or with REDIS_CLUSTER_NODES an ioredis Cluster
 * whose node connections take the options (the cluster-level retry and queue settings follow them).
 */
export function redisClient(env: Pick<Env, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>, options: RedisOptions): Redis | Cluster {
  const nodes = clusterNodes(env);
  if (!nodes) return new Redis(env.REDIS_URL, options);
  const { enableOfflineQueue, maxRetriesPerRequest, retryStrategy, ...nodeOptions } = options;
  const cluster = new Cluster(nodes, {
    enableOfflineQueue,
    maxRedirections: 16,
    clusterRetryStrategy: retryStrategy ?? ((times) => Math.min(100 * times, 2_000)),
    redisOptions: { ...nodeOptions, maxRetriesPerRequest },
    lazyConnect: options.lazyConnect,
  });
  opened.add(cluster);
  cluster.once('end', () => opened.delete(cluster));
  return cluster;
}

/** Quits the Cluster clients still open (at application shutdown, after BullMQ closed its queues and workers). */
export async function closeClusterClients(): Promise<void> {
  await Promise.all([...opened].map((c) => c.quit().catch(() => c.disconnect())));
  opened.clear();
}
