import type { JobsOptions, Queue } from 'bullmq';

export type Enqueued = { queued: true } | { queued: false; error: Error };

/** Rejects when `work` takes over `timeoutMs` (it keeps running; its late failure is swallowed). */
export async function within<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (error) {
    work.catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Adds a job, waiting at most `timeoutMs` (the producer connection fails fast once connected; this also
 * bounds the wait for its first connection). Never throws: work whose truth is in PostgreSQL is queued
 * by the reconciler when this fails, so the caller only logs. A late add is harmless (the job id dedups).
 */
export async function addWithin<T>(queue: Queue<T>, name: string, data: T, opts: JobsOptions & { jobId: string }, timeoutMs: number): Promise<Enqueued> {
  const add = queue.add.bind(queue) as (name: string, data: T, opts: JobsOptions) => Promise<unknown>;
  try {
    await within(add(name, data, opts), timeoutMs, `queue ${queue.name}: adding ${opts.jobId}`);
    return { queued: true };
  } catch (error) {
    return { queued: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}
