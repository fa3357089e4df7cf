import './tracing';
import 'reflect-metadata';
import cluster from 'node:cluster';
import { NestFactory } from '@nestjs/core';
import { bootLogger, bootNestLogger, Env, exitOnStartFailure, loadEnv, missingServiceV8Flags, startupSummary } from '@forest-ledger/platform';
import { CERTIFICATE_PDF, pdfRenderer } from '@forest-ledger/forestry';
import { Logger } from 'nestjs-pino';
import { ApiModule } from './api.module';
import { ApiApplication, configureApp, createHttpAdapter } from './app.setup';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<ApiApplication>(ApiModule, createHttpAdapter(), { bufferLogs: true, bodyParser: false, logger: bootNestLogger, abortOnError: false });
  configureApp(app);
  // Fastify listens on 127.0.0.1 unless told otherwise; Express listened on every interface.
  const env = app.get(Env);
  await app.listen(env.PORT, '0.0.0.0');
  const url = `http://0.0.0.0:${env.PORT}`;
  const where = { url, openapi: `${url}/docs`, metricsUrl: `${url}/metrics`, queueDashboard: `${url}/admin/queues`, pid: process.pid };
  app.get(Logger).log({ msg: 'forest-ledger API started', ...startupSummary(env, { service: 'api', ...where }) });
  pdfRenderer.warmUp(CERTIFICATE_PDF); // the villagers' certificates: the PDF asked for most
}

/**
 * API_PROCESSES > 1 runs that many API processes on one port (node:cluster): one Node thread
 * per core for the HTTP and validation work. Each process group-commits its own requests.
 */
function main(): void {
  let processes: number;
  try {
    processes = loadEnv().API_PROCESSES;
  } catch (error: unknown) {
    exitOnStartFailure(error);
  }
  if (processes > 1 && cluster.isPrimary) {
    // The young-generation flags (SERVICE_V8_FLAGS) for each API process, unless given already.
    cluster.setupPrimary({ execArgv: [...process.execArgv, ...missingServiceV8Flags()] });
    for (let i = 0; i < processes; i++) cluster.fork();
    let stopping = false;
    const stop = () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    cluster.on('exit', (worker, code) => {
      if (!stopping && code !== 0) {
        bootLogger.warn({ pid: worker.process.pid, code }, 'an API process exited; starting another');
        cluster.fork(); // replace a crashed process
      }
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
    return;
  }
  bootstrap().catch(exitOnStartFailure);
}

main();
