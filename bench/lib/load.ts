import { LatencySummary, summarize } from './stats';

export interface LoadOptions {
  clients: number;
  warmupSeconds: number;
  seconds: number;
  /** Called (synchronously, from a timer) when the measured window opens and closes. */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

/** One unit of work for client `client`; throws on any failure (non-2xx, SQL error, ...). */
export type Operation = (client: number) => Promise<void>;

export interface LoadResult {
  /** Operations that succeeded and completed inside the measured window. */
  ops: number;
  /** Operations that failed and completed inside the measured window. */
  errors: number;
  /** Including warm-up and the stragglers after the window: used to cross-check rows written. */
  totalOk: number;
  totalErrors: number;
  seconds: number;
  opsPerSecond: number;
  latency: LatencySummary;
  /** Distinct error messages (truncated) with their counts, over the whole run. */
  errorKinds: Array<{ message: string; count: number }>;
}

const now = () => process.hrtime.bigint();
const NS_PER_MS = 1_000_000n;

/**
 * Closed-loop load: `clients` loops, each issuing the next operation as soon as the previous one
 * finished. The loops run through a warm-up, then a window of `seconds`; only operations that
 * complete inside the window count (throughput = those / window length, latencies = theirs).
 * No operation starts after the window; in-flight ones are awaited but not counted.
 */
export async function runLoad(op: Operation, options: LoadOptions): Promise<LoadResult> {
  const t0 = now();
  const windowStart = t0 + BigInt(Math.round(options.warmupSeconds * 1000)) * NS_PER_MS;
  const windowEnd = windowStart + BigInt(Math.round(options.seconds * 1000)) * NS_PER_MS;
  const latencies: number[] = [];
  const errorKinds = new Map<string, number>();
  let ops = 0;
  let errors = 0;
  let totalOk = 0;
  let totalErrors = 0;

  const timers = [
    setTimeout(() => options.onWindowStart?.(), options.warmupSeconds * 1000),
    setTimeout(() => options.onWindowEnd?.(), (options.warmupSeconds + options.seconds) * 1000),
  ];

  const loop = async (client: number): Promise<void> => {
    while (now() < windowEnd) {
      const started = now();
      let failure: string | null = null;
      try {
        await op(client);
      } catch (error) {
        failure = (error instanceof Error ? error.message : String(error)).slice(0, 300);
      }
      const ended = now();
      const inWindow = ended >= windowStart && ended < windowEnd;
      if (failure === null) {
        totalOk++;
        if (inWindow) {
          ops++;
          latencies.push(Number(ended - started) / 1e6);
        }
      } else {
        totalErrors++;
        if (inWindow) errors++;
        if (errorKinds.has(failure) || errorKinds.size < 20) errorKinds.set(failure, (errorKinds.get(failure) ?? 0) + 1);
        // A failing operation may fail instantly; yield so a broken target does not spin the loop hot.
        await new Promise((r) => setImmediate(r));
        if (totalOk === 0 && totalErrors > 2000) throw new Error(`giving up: ${totalErrors} errors and no success; first: ${[...errorKinds.keys()][0]}`);
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: options.clients }, (_, c) => loop(c)));
  } finally {
    timers.forEach(clearTimeout);
  }
  return {
    ops,
    errors,
    totalOk,
    totalErrors,
    seconds: options.seconds,
    opsPerSecond: ops / options.seconds,
    latency: summarize(latencies),
    errorKinds: [...errorKinds].map(([message, count]) => ({ message, count })).sort((a, b) => b.count - a.count),
  };
}

/**
 * A warm-up, unmeasured: `ops` in turn from `clients` closed-loop clients for `seconds`, so that what is measured next
 * finds the API's hot paths compiled; fails if any operation failed.
 */
export async function warmUp(ops: Operation[], clients: number, seconds: number): Promise<void> {
  let next = 0;
  const warmed = await runLoad((client) => ops[next++ % ops.length](client), { clients, warmupSeconds: 0, seconds });
  if (warmed.totalErrors > 0) throw new Error(`warming up: ${warmed.totalErrors} errors (${warmed.errorKinds[0]?.message ?? '?'})`);
}
