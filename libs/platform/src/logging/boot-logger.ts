import type { LoggerService } from '@nestjs/common';
import pino from 'pino';

/**
 * The process's pino logger before Nest's (nestjs-pino) exists and after start-up failed: the same JSON
 * lines (level, time, pid, hostname, msg), so stdout is one format from the first line to the last.
 */
export const bootLogger = pino({ level: process.env.LOG_LEVEL ?? 'info' });

/** What Nest says while it builds the application (before app.useLogger), as pino JSON rather than Nest's coloured text. */
export const bootNestLogger: LoggerService = {
  log: (message: unknown, context?: unknown) => bootLogger.info({ context }, String(message)),
  error: (message: unknown, trace?: unknown, context?: unknown) => bootLogger.error({ context, trace }, String(message)),
  warn: (message: unknown, context?: unknown) => bootLogger.warn({ context }, String(message)),
  debug: (message: unknown, context?: unknown) => bootLogger.debug({ context }, String(message)),
  verbose: (message: unknown, context?: unknown) => bootLogger.trace({ context }, String(message)),
  fatal: (message: unknown, context?: unknown) => bootLogger.fatal({ context }, String(message)),
};

/** Logs why the process cannot start (one pino line) and exits with 1. */
export function exitOnStartFailure(error: unknown): never {
  bootLogger.fatal({ err: error instanceof Error ? { message: error.message, stack: error.stack } : error }, error instanceof Error ? error.message : String(error));
  bootLogger.flush();
  process.exit(1);
}
