import 'reflect-metadata';
import { ChainVerifier } from '@forest-ledger/ledger';
import { loadEnv, openDataSource } from '@forest-ledger/platform';

/** `npm run ledger:verify`: recomputes the hash chain and cached balances; exits 1 at the first broken link. */
async function main(): Promise<void> {
  const ds = await openDataSource(loadEnv().DATABASE_URL, 2);
  try {
    const report = await new ChainVerifier(ds).verify();
    console.log(JSON.stringify(report, null, 2));
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    await ds.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
