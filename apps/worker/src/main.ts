import './tracing';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { bootNestLogger, Env, exitOnStartFailure, startupSummary } from '@forest-ledger/platform';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { bufferLogs: true, logger: bootNestLogger, abortOnError: false });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
  const env = app.get(Env);
  const metricsPort = env.WORKER_METRICS_PORT === 0 ? 'none (WORKER_METRICS_PORT=0)' : env.WORKER_METRICS_PORT;
  app.get(Logger).log({ msg: 'forest-ledger worker started', ...startupSummary(env, { service: 'worker', metricsPort, pid: process.pid }) });
}

bootstrap().catch(exitOnStartFailure);
