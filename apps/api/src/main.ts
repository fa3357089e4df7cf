import 'reflect-metadata';
import cluster from 'node:cluster';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Env, loadEnv } from '@forest-ledger/platform';
import { ApiModule } from './api.module';
import { configureApp } from './app.setup';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule, { bufferLogs: true, bodyParser: false });
  configureApp(app);
  await app.listen(app.get(Env).PORT);
}

/**
 * API_PROCESSES > 1 runs that many API processes on one port (node:cluster): one Node thread
 * per core for the HTTP and validation work. Each process group-commits its own requests.
 */
function main(): void {
  const processes = loadEnv().API_PROCESSES;
  if (processes > 1 && cluster.isPrimary) {
    for (let i = 0; i < processes; i++) cluster.fork();
    let stopping = false;
    const stop = () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    cluster.on('exit', (worker, code) => {
      if (!stopping && code !== 0) cluster.fork(); // replace a crashed process
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
    return;
  }
  bootstrap().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

main();
