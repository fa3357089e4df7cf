import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';

const root = join(__dirname, '..', '..', '..', '..');

/** The one set of options for the app, the tests and the migration CLI. Schema changes only by migration. */
export function dataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    entities: [join(root, '{apps,libs}/**/*.{entity,entities}.{ts,js}')],
    migrations: [join(__dirname, 'migrations', '*.{ts,js}')],
    migrationsTableName: 'migrations',
    extra: { max: poolSize },
    logging: false,
  };
}
