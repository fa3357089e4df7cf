export * from './domain';
export * from './chain-verifier';
export * from './ledger-reads';
export * from './ledger-reports.service';
export * from './ledger.module';
export * from './ledger.service';
export * from './ledger.types';
export type { PostOutcome } from './posting-plan';
export { LEDGER_RACE_CONSTRAINTS } from './ledger.store';
