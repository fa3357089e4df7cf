import { withServer } from './databases';

export default async function globalTeardown(): Promise<void> {
  const template = process.env.FOREST_LEDGER_TEST_TEMPLATE;
  if (template) await withServer((c) => c.query(`DROP DATABASE IF EXISTS "${template}"`));
}
