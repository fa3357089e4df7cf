import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();

describe('schema', () => {
  it('entities and migrations agree (TypeORM would generate no migration)', async () => {
    const sql = await db.dataSource.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
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
