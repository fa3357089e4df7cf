import { DataSource } from 'typeorm';
import { loadEnv } from '../config/env';
import { dataSourceOptions } from './data-source.options';

/** For the TypeORM CLI: `typeorm -d dist/libs/platform/src/database/data-source.js migration:run`. */
export default new DataSource(dataSourceOptions(loadEnv().DATABASE_URL));
