import { createAdmin } from '@forest-ledger/access';
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { DemoLoader, DemoModule } from '@forest-ledger/forestry';
import { bootLogger, ensureDatabase, exitOnStartFailure, loadEnv, migrate, missingServiceV8Flags, openDataSource } from '@forest-ledger/platform';

/**
 * `npm start`: creates the database if missing, migrates, creates the first admin, loads the demo
 * set into an empty database, then runs the API and the worker as two child processes (stopping
 * both on a signal or when either dies). `--migrate-only` stops after the database work (the Docker `migrate` job).
 */
async function prepareDatabase(): Promise<void> {
  const env = loadEnv();
  const log = (msg: string) => bootLogger.info(msg);
  if (await ensureDatabase(env.DATABASE_URL)) log(`created database ${new URL(env.DATABASE_URL).pathname.slice(1)}`);
  const ds = await openDataSource(env.DATABASE_URL, 2);
  try {
    const ran = await migrate(ds);
    log(ran.length ? `ran migrations: ${ran.join(', ')}` : 'schema up to date');
    // Before the demo set: it adds a villager login, and the first admin is only made while there are no users.
    const admin = await createAdmin(ds, 'admin', { onlyIfNoUsers: true });
    if (admin) {
      // Shown once, here only: the database keeps an argon2id hash.
      bootLogger.warn(
        { username: admin.username, password: admin.password },
        `first administrator created: log in with POST /v1/auth/login as ${admin.username}; keep the password safe, it is not shown again (npm run admin:create -- <name> makes another)`,
      );
    }
  } finally {
    await ds.destroy();
  }
  if (env.DEMO_DATA && (await loadDemo())) log('loaded the demo data set');
}

/** The demo set goes through the features' services, so it needs their Nest providers (no HTTP, no logs). */
async function loadDemo(): Promise<boolean> {
  const app = await NestFactory.createApplicationContext(DemoModule, { logger: false, abortOnError: false });
  try {
    return await app.get(DemoLoader).load();
  } finally {
    await app.close();
  }
}

function run(): void {
  const dist = join(__dirname, '..');
  const children: ChildProcess[] = ['apps/api/src/main.js', 'apps/worker/src/main.js'].map((entry) =>
    spawn(process.execPath, [...missingServiceV8Flags(), join(dist, entry)], { stdio: 'inherit' }),
  );
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    setTimeout(() => process.exit(code), 10_000).unref();
    void Promise.all(children.map((c) => (c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r))))).then(() => process.exit(code));
  };
  for (const c of children) c.once('exit', (code) => stop(code ?? 1));
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));
}

prepareDatabase()
  .then(() => {
    if (!process.argv.includes('--migrate-only')) run();
  })
  .catch(exitOnStartFailure);
