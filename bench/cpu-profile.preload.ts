/**
 * Preloaded into the API child (`node -r dist/bench/cpu-profile.preload.js ...`) only when the
 * bench runs with BENCH_PROFILE. Each SIGWINCH toggles the V8 sampling profiler: the first starts
 * it, the second stops it and writes BENCH_PROFILE_DIR/profile-<n>.cpuprofile. (`--cpu-prof`
 * would only write at a normal exit, and Nest's shutdown hook re-raises SIGTERM, so no file.
 * SIGWINCH because enableShutdownHooks() treats SIGUSR2, like SIGTERM, as "shut down".)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  let running = false;
  let count = 0;
  const fail = (error: Error | null) => {
    if (error) console.error(`cpu-profile preload: ${error.message}`);
  };
  process.on('SIGWINCH', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', (e1) => {
        fail(e1);
        session.post('Profiler.setSamplingInterval', { interval: 500 }, (e2) => {
          fail(e2);
          session.post('Profiler.start', fail);
        });
      });
    } else {
      running = false;
      session.post('Profiler.stop', (error, result) => {
        fail(error);
        if (error) return;
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `profile-${++count}.cpuprofile`), JSON.stringify(result.profile));
      });
    }
  });
}
