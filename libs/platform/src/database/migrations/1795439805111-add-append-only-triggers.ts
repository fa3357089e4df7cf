import { MigrationInterface, QueryRunner } from 'typeorm';

/** Journal entries and postings are append-only: the database itself refuses UPDATE, DELETE and TRUNCATE. */
export class AddAppendOnlyTriggers1795439805111 implements MigrationInterface {
  name = 'AddAppendOnlyTriggers1795439805111';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% on % is not allowed: the table is append-only (post a reversal instead)', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'restrict_violation';
      END $$`);
    for (const table of ['ledger_entries', 'ledger_postings']) {
      await queryRunner.query(`CREATE TRIGGER tr_${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`);
      await queryRunner.query(`CREATE TRIGGER tr_${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['ledger_entries', 'ledger_postings']) {
      await queryRunner.query(`DROP TRIGGER tr_${table}_no_truncate ON ${table}`);
      await queryRunner.query(`DROP TRIGGER tr_${table}_append_only ON ${table}`);
    }
    await queryRunner.query(`DROP FUNCTION ledger_refuse_change()`);
  }
}
