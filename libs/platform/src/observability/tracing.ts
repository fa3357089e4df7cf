import { trace } from '@opentelemetry/api';
import type { NodeTracerProvider, SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { BullMQOtel } from 'bullmq-otel';

/**
 * OpenTelemetry tracing, off unless the standard variables ask for it:
 * - `OTEL_TRACES_EXPORTER=otlp` (or unset with `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
 *   set): spans go over OTLP/HTTP (protobuf) to that endpoint; the exporter reads the other `OTEL_EXPORTER_OTLP_*`;
 * - `OTEL_TRACES_EXPORTER=console`: spans are printed on stdout (for a look, or a test);
 * - `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`: off.
 * `OTEL_SERVICE_NAME` names the service (default forest-ledger-api / forest-ledger-worker).
 *
 * Spans: HTTP (server and client), PostgreSQL (pg), Redis (ioredis) and BullMQ (bullmq-otel: a job's
 * trace continues the one that queued it, its context carried in the job). The API names HTTP spans by
 * route and adds the correlation id (apps/api/src/observability/tracing-hooks.ts).
 *
 * These are OpenTelemetry's own variables, read here rather than in Env (the one other reader of
 * process.env): tracing starts before any other module loads, since the instrumentations patch pg,
 * ioredis and http when they are first required. Call it first in main.ts. The SDK is loaded only when
 * tracing is on (require inside startTracing), so a process without it pays nothing.
 */
export type TracingExporter = 'otlp' | 'console';

let started: { exporter: TracingExporter; provider: NodeTracerProvider } | null = null;

/** Which exporter the OTEL_* variables ask for, or null when tracing stays off. Throws on an exporter it does not know. */
export function tracingExporter(env: Record<string, string | undefined> = process.env): TracingExporter | null {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return null;
  const asked = (env.OTEL_TRACES_EXPORTER ?? '').split(',')[0].trim().toLowerCase();
  if (asked === 'none') return null;
  if (asked === 'otlp' || asked === 'console') return asked;
  if (asked !== '') throw new Error(`OTEL_TRACES_EXPORTER=${asked}: this service knows otlp, console and none`);
  return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : null;
}

/** Starts tracing when the OTEL_* variables ask for it (see above); returns the exporter in use, or null (off). */
export function startTracing(defaultServiceName: string, env: Record<string, string | undefined> = process.env): TracingExporter | null {
  if (started) return started.exporter;
  const exporter = tracingExporter(env);
  if (!exporter) return null;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on */
  const sdk = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const spanExporter: SpanExporter = exporter === 'console' ? new sdk.ConsoleSpanExporter() : new OTLPTraceExporter();
  const provider = new sdk.NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME || defaultServiceName }),
    spanProcessors: [exporter === 'console' ? new sdk.SimpleSpanProcessor(spanExporter) : new sdk.BatchSpanProcessor(spanExporter)],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // Health probes and scrapes would be most of the spans, and tell nothing.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => /^\/(health|metrics)(\/|\?|$)/.test(req.url ?? '') }),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  started = { exporter, provider };
  return exporter;
}

/** Whether tracing runs in this process, and with which exporter (for the start-up line). */
export function tracingState(): TracingExporter | 'off' {
  return started?.exporter ?? 'off';
}

/** BullMQ's telemetry option while tracing runs (jobs carry the trace context of whoever queued them), else undefined. */
export function bullmqTelemetry(): BullMQOtel | undefined {
  if (!started) return undefined;
  const { BullMQOtel } = require('bullmq-otel') as typeof import('bullmq-otel'); // eslint-disable-line @typescript-eslint/no-require-imports
  return new BullMQOtel({ tracerName: 'forest-ledger-bullmq' });
}

/** Sends the spans still buffered (at shutdown). */
export async function stopTracing(): Promise<void> {
  await started?.provider.shutdown();
}

/** Sets attributes on the active span, if any (a no-op when tracing is off). */
export function annotateActiveSpan(attributes: Record<string, string>): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}
