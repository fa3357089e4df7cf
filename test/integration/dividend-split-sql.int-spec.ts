import fc from 'fast-check';
import { splitPool } from '@forest-ledger/forestry';
import { largestRemainderSql } from '@forest-ledger/forestry/dividends/record-date-allocation';
import { useTestDatabase } from '../setup/test-database';

/**
 * The distribution's snapshot splits the pool in SQL (largestRemainderSql, inside one INSERT … SELECT); the contract is
 * splitPool's. Both must give every holder the same 分 for any units, pool and account order, ties included.
 */

const db = useTestDatabase();

async function splitInSql(pool: string, holders: Array<{ accountId: number; units: number }>): Promise<Array<{ account_id: string; amount: string }>> {
  return await db.dataSource.query<Array<{ account_id: string; amount: string }>>(
    `WITH holders AS MATERIALIZED (
       SELECT 'p' || h.account_id AS party, h.account_id, h.units FROM unnest($2::bigint[], $3::numeric[]) AS h(account_id, units)
     )
     SELECT account_id::text AS account_id, amount::text AS amount FROM (${largestRemainderSql('holders', '$1::numeric')}) s ORDER BY seq`,
    [pool, holders.map((h) => h.accountId), holders.map((h) => h.units)],
  );
}

describe('largestRemainderSql', () => {
  it('property: the same amounts as splitPool, in account id order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        // Few distinct unit counts as often as many: equal remainders (ties) are the case that needs the account order.
        fc.oneof(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 40 })),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (cents, units, firstId) => {
          const pool = `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
          const holders = units.map((u, i) => ({ accountId: firstId + i * 3, units: u }));
          const expected = splitPool(
            pool,
            holders.map((h) => ({ key: String(h.accountId), units: h.units })),
          ).map((l) => ({ account_id: l.key, amount: l.amount.toFixed(2) }));
          expect(await splitInSql(pool, holders)).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('one 分 among three equal holders goes to the lowest account id', async () => {
    expect(
      await splitInSql('0.01', [
        { accountId: 7, units: 5 },
        { accountId: 9, units: 5 },
        { accountId: 12, units: 5 },
      ]),
    ).toEqual([
      { account_id: '7', amount: '0.01' },
      { account_id: '9', amount: '0.00' },
      { account_id: '12', amount: '0.00' },
    ]);
  });
});
