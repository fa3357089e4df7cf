import { Client } from 'pg';

/**
 * Per-phase statement times for the set-based benchmarks (BENCH_TRACE_SQL=1): wraps pg's Client#query and sums
 * the time from sending a statement to its result per statement (its first words), per phase. A phase is a label
 * the benchmark sets around a step (snapshot, chunks, …); the round trips and their share of the phase show
 * where a use case waits on PostgreSQL.
 */
export class SqlTrace {
  private phase = '-';
  private readonly stats = new Map<string, Map<string, { n: number; ms: number }>>();

  constructor(readonly enabled: boolean) {
    if (!enabled) return;
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = Client.prototype.query as (...args: unknown[]) => unknown;
    const add = (phase: string, text: string, start: bigint) => this.add(phase, text, start);
    const phaseNow = () => this.phase;
    (Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: Client, ...args: unknown[]): unknown {
      const first = args[0];
      const text = typeof first === 'string' ? first : ((first as { text?: string } | null)?.text ?? '');
      const result = original.apply(this, args);
      if (result instanceof Promise) {
        const start = process.hrtime.bigint();
        const phase = phaseNow();
        result.then(
          () => add(phase, text, start),
          () => add(phase, text, start),
        );
      }
      return result;
    };
  }

  set(phase: string): void {
    this.phase = phase;
  }

  private add(phase: string, text: string, start: bigint): void {
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 70);
    const byKey = this.stats.get(phase) ?? new Map<string, { n: number; ms: number }>();
    const s = byKey.get(key) ?? { n: 0, ms: 0 };
    s.n += 1;
    s.ms += Number(process.hrtime.bigint() - start) / 1e6;
    byKey.set(key, s);
    this.stats.set(phase, byKey);
  }

  /** Per phase: statements, their summed time, and the slowest kinds. */
  print(top = 8): void {
    if (!this.enabled) return;
    for (const [phase, byKey] of this.stats) {
      const all = [...byKey.values()].reduce((a, s) => ({ n: a.n + s.n, ms: a.ms + s.ms }), { n: 0, ms: 0 });
      console.log(`  sql ${phase}: ${all.n} statements, ${all.ms.toFixed(0)} ms`);
      for (const [key, s] of [...byKey].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) console.log(`    ${s.ms.toFixed(0).padStart(7)} ms ${String(s.n).padStart(5)}×  ${key}`);
    }
  }
}
