import { createAdmin } from '@forest-ledger/access';
import 'reflect-metadata';
import { loadEnv, openDataSource } from '@forest-ledger/platform';

/** `npm run admin:create -- <username>`: a new ADMIN user; its password is printed once. */
async function main(): Promise<void> {
  const username = process.argv[2];
  if (!username || !/^[a-z0-9._-]{3,50}$/.test(username)) throw new Error('usage: npm run admin:create -- <username> (3-50 of a-z, 0-9, ".", "_", "-")');
  const ds = await openDataSource(loadEnv().DATABASE_URL, 2);
  try {
    const admin = await createAdmin(ds, username);
    console.log(`username: ${admin!.username}\npassword: ${admin!.password}\n(shown once)`);
  } finally {
    await ds.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
