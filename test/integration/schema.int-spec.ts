import { OWNERS } from '../architecture/table-owners';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();

describe('schema', () => {
  it('the migrated schema holds exactly the tables that have an owner (there are no entities: the migrations are the schema)', async () => {
    const rows = await db.dataSource.query<
      Array<{
        tablename: string;
      }>
    >(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations' ORDER BY 1`);
    const owned = Object.values(OWNERS).flatMap((o) => o.tables);
    expect(rows.map((r) => r.tablename)).toEqual([...owned].sort());
  });

  it('migrations revert and re-apply cleanly', async () => {
    const migrations = db.dataSource.migrations.length;
    for (let i = 0; i < migrations; i++) await db.dataSource.undoLastMigration({ transaction: 'each' });
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name LIKE 'ledger_%'`);
    expect(n).toBe(0);
    const ran = await db.dataSource.runMigrations({ transaction: 'each' });
    expect(ran).toHaveLength(migrations);
  });
});
