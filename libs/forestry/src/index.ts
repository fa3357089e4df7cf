/** Forestry features (parties, parcels, 林票, dividends, carbon, subsidies, land use) arrive in later issues. */
export * from './demo/demo-data';
export * from './access/access.entities';
export * from './access/access.module';
export * from './access/access.service';
export * from './access/access.types';
export * from './access/audit.service';
export * from './parties/pii';
export * from './parties/pii.module';
export * from './access/first-admin';
