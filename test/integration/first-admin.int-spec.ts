import { createAdmin } from '@forest-ledger/access';
import * as argon2 from 'argon2';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();

describe('first administrator', () => {
  it('is created once on an empty database, with a strong password stored only as an argon2id hash', async () => {
    const first = await createAdmin(db.dataSource, 'admin', { onlyIfNoUsers: true });
    expect(first?.password).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(await createAdmin(db.dataSource, 'admin2', { onlyIfNoUsers: true })).toBeNull();
    const [row] = await db.dataSource.query(`SELECT role, password_hash FROM users WHERE username = 'admin'`);
    expect(row.role).toBe('ADMIN');
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(await argon2.verify(row.password_hash, first!.password)).toBe(true);
    expect((await createAdmin(db.dataSource, 'second.admin'))?.username).toBe('second.admin');
  });
});
