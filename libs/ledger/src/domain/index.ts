export * from './allocation';
export * from './amount';
export * from './entry';
export * from './errors';
export * from './hash';
export * from './entry-scope';
