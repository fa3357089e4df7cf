// The demo folder's public surface (libs/forestry/src/index.ts exports this file).
export * from './demo-set';
export * from './demo.module';
export * from './demo-ids';
