/** Forestry features (parties, parcels, 林票, dividends, carbon, subsidies, land use) arrive in later issues. */
export * from './demo/demo-data';
