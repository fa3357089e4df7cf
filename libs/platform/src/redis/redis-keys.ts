import type { Env } from '../config/env';

/**
 * The Redis key layout of one deployment. Every key starts with `fl:{<DEPLOYMENT_ID>}:`; the braces are
 * a Redis Cluster hash tag, so all of a deployment's keys hash to one slot and BullMQ's multi-key
 * scripts (and the login limit's MGET/MULTI) never fail with CROSSSLOT:
 *
 *   fl:{<id>}:q:<queue>:<bullmq suffix>      BullMQ (its prefix is `fl:{<id>}:q`)
 *   fl:{<id>}:rl:login:account:<account>     failed logins of one account (a username or a villager's ID HMAC)
 *   fl:{<id>}:rl:login:address:<address>     failed logins from one client address
 *   fl:{<id>}:rl:pin:user:<user id>          wrong current PINs on a PIN change
 *
 * The id is DEPLOYMENT_ID; deployments sharing a Redis each set their own.
 */
export class RedisKeys {
  /** `fl:{<id>}`: a Redis ACL may grant a deployment `~fl:{<id>}:*` and nothing else. */
  readonly root: string;
  /** BullMQ's `prefix`; a set QUEUE_PREFIX (deprecated) overrides it verbatim, so a deployment keeps its queued jobs. */
  readonly queuePrefix: string;

  constructor(deploymentId: string, legacyQueuePrefix = '') {
    if (/[{}]/.test(deploymentId)) throw new Error('a deployment id may not contain "{" or "}" (it is the hash tag)');
    this.root = `fl:{${deploymentId}}`;
    this.queuePrefix = legacyQueuePrefix || `${this.root}:q`;
  }

  static of(env: Pick<Env, 'DEPLOYMENT_ID' | 'QUEUE_PREFIX'>): RedisKeys {
    return new RedisKeys(env.DEPLOYMENT_ID, env.QUEUE_PREFIX);
  }

  loginFailures(scope: 'account' | 'address', id: string): string {
    return `${this.root}:rl:login:${scope}:${id}`;
  }

  pinFailures(userId: string): string {
    return `${this.root}:rl:pin:user:${userId}`;
  }
}
