import 'reflect-metadata';
import { checkPii, PiiCipher, rotatePii } from '@forest-ledger/forestry';
import { keyRing, loadEnv, openDataSource } from '@forest-ledger/platform';

/**
 * `npm run pii:rotate`: re-keys every ID number and bank card under the newest PII_ENCRYPTION_KEYS /
 * PII_HMAC_KEYS key while the API runs, then checks that every row is current and decrypts.
 * `npm run pii:rotate -- --check` only checks; `--batch-size=500`, `--pause-ms=0` pace the writes. Exits 1 while
 * anything is stale or undecryptable; rerun to resume.
 */
async function main(): Promise<void> {
  const checkOnly = process.argv.includes('--check');
  const flag = (name: string) => /^--[a-z-]+=(\d{1,6})$/.exec(process.argv.find((a) => a.startsWith(`--${name}=`)) ?? '')?.[1];
  const env = loadEnv();
  const pii = new PiiCipher(keyRing(env, 'PII_ENCRYPTION_KEYS'), keyRing(env, 'PII_HMAC_KEYS'));
  const ds = await openDataSource(env.DATABASE_URL, 2);
  try {
    if (!checkOnly) {
      const rotation = await rotatePii(ds, pii, {
        batchSize: flag('batch-size') ? Number(flag('batch-size')) : undefined,
        pauseMs: flag('pause-ms') ? Number(flag('pause-ms')) : undefined,
        onBatch: (table, rotated) => console.error(`${table}: ${rotated} re-keyed`),
      });
      console.log(JSON.stringify({ rotation }, null, 2));
    }
    const check = await checkPii(ds, pii);
    console.log(JSON.stringify({ check }, null, 2));
    const stale = Object.values(check.stale).reduce((a, b) => a + b, 0);
    if (stale > 0) console.error(`${stale} row(s) still under an older key: run again (rows written by a process with the old key list, or changed mid-run)`);
    process.exitCode = stale === 0 && check.undecryptable.length === 0 ? 0 : 1;
  } finally {
    await ds.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
