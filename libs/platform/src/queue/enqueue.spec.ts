/** addWithin is tested against real Redis, stopped (test/e2e/dividends-redis-down.e2e-spec.ts). */
import { within } from './enqueue';

describe('within', () => {
  it('passes a result or an error through, and rejects naming the work when it takes too long', async () => {
    await expect(within(Promise.resolve(7), 50, 'x')).resolves.toBe(7);
    await expect(within(Promise.reject(new Error('boom')), 50, 'x')).rejects.toThrow('boom');
    let late: (v: number) => void = () => undefined;
    const slow = new Promise<number>((resolve) => (late = resolve));
    await expect(within(slow, 20, 'adding job j')).rejects.toThrow('adding job j took over 20 ms');
    late(1);
  });

  it('swallows the late failure of work it gave up on (no unhandled rejection)', async () => {
    let fail: (e: Error) => void = () => undefined;
    const slow = new Promise<number>((_, reject) => (fail = reject));
    await expect(within(slow, 10, 'x')).rejects.toThrow('took over');
    fail(new Error('late'));
    await new Promise((r) => setImmediate(r));
  });
});
