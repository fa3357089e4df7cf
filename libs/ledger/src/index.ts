export * from './domain';
export * from './ledger-reads';
export * from './ledger.module';
export * from './ledger.service';
export * from './ledger.types';
