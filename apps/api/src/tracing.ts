import { startTracing } from '@forest-ledger/platform/observability/tracing';

// First thing main.ts loads: the instrumentations patch http, pg and ioredis as they are first required.
startTracing('forest-ledger-api');
