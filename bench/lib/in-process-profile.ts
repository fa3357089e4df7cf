import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { summarizeProfile } from './cpu-profile-summary';

/**
 * The V8 sampling profiler around one phase of a bench that runs the services in its own process
 * (bench:dividend): `start()` before the phase, `stopAndPrint()` after it writes
 * `<dir>/<name>.cpuprofile` (open it in Chrome's DevTools) and prints the top self and inclusive times.
 * Off (every call a no-op) without a directory.
 */
export class InProcessProfile {
  private session: Session | null = null;

  constructor(
    private readonly dir: string | undefined,
    private readonly name: string,
  ) {}

  async start(): Promise<void> {
    if (!this.dir) return;
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.setSamplingInterval', { interval: 200 });
    await this.session.post('Profiler.start');
  }

  async stopAndPrint(top = 25): Promise<void> {
    if (!this.dir || !this.session) return;
    const { profile } = await this.session.post('Profiler.stop');
    this.session.disconnect();
    this.session = null;
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, `${this.name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    const summary = summarizeProfile(file, top);
    console.log(`\nCPU profile of ${this.name}: ${summary.busyMs.toFixed(0)} ms busy of ${summary.totalMs.toFixed(0)} ms (${file})`);
    console.log('  self, by layer:');
    for (const l of summary.selfByLayer) console.log(`    ${l.percent.toFixed(1).padStart(5)}%  ${l.ms.toFixed(0).padStart(6)} ms  ${l.name}`);
    console.log('  self, by function:');
    for (const l of summary.selfByFunction) console.log(`    ${l.percent.toFixed(1).padStart(5)}%  ${l.ms.toFixed(0).padStart(6)} ms  ${l.name}`);
    console.log('  inclusive (app code and libraries):');
    for (const l of summary.inclusive) console.log(`    ${l.percent.toFixed(1).padStart(5)}%  ${l.ms.toFixed(0).padStart(6)} ms  ${l.name}`);
  }
}
