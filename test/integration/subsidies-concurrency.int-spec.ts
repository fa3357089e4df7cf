import { programmeReserved, programmeWallet, SubsidyError } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { randomUUID } from 'node:crypto';
import {
  addRule,
  apply,
  approve,
  APPROVER,
  APPROVER_2,
  createContract,
  createProgramme,
  seedSubsidyWorld,
  SubsidyServices,
  subsidyServices,
  SubsidyWorld,
} from '../factories/subsidies.factory';
import { balance, oneTo } from '../factories/tickets.factory';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let s: SubsidyServices;
let world: SubsidyWorld;

beforeAll(async () => {
  s = subsidyServices(db.dataSource);
  world = await seedSubsidyWorld(s, { parcels: 40 });
});

/** `n` applied claims of 3000.00 each (100 亩 × 30.00) under the programme. */
async function appliedClaims(programme: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (const i of oneTo(n)) {
    await createContract(s, world, `${programme}-C${i}`);
    ids.push((await apply(s, programme, `${programme}-C${i}`)).id);
  }
  return ids;
}

/** Settles every promise; the refusals must be SubsidyErrors with these codes. */
async function outcomes<T>(promises: Array<Promise<T>>): Promise<{ ok: T[]; refused: string[] }> {
  const settled = await Promise.allSettled(promises);
  const ok: T[] = [];
  const refused: string[] = [];
  for (const r of settled) {
    if (r.status === 'fulfilled') ok.push(r.value);
    else if (r.reason instanceof SubsidyError) refused.push(r.reason.code);
    else throw r.reason;
  }
  return { ok, refused };
}

describe('the budget can never be overspent', () => {
  it('two concurrent approvals that together exceed the budget: one is refused', async () => {
    await createProgramme(s, world, 'P-TWO', { budget: '5000.00' });
    await addRule(s, 'P-TWO');
    const [a, b] = await appliedClaims('P-TWO', 2);
    const { ok, refused } = await outcomes([approve(s, a), approve(s, b, { actor: APPROVER_2 })]);
    expect(ok).toHaveLength(1);
    expect(refused).toEqual(['BUDGET_EXCEEDED']);
    expect(await balance(s, programmeWallet('P-TWO'))).toBe('2000');
    expect(await balance(s, programmeReserved('P-TWO'))).toBe('3000');
  });

  it('many concurrent approvals in separate transactions: only as many as the budget allows succeed, the wallet ends at zero, never below', async () => {
    await createProgramme(s, world, 'P-MANY', { budget: '9000.00' });
    await addRule(s, 'P-MANY');
    const ids = await appliedClaims('P-MANY', 8);
    const { ok, refused } = await outcomes(ids.map((id, i) => approve(s, id, { actor: i % 2 ? APPROVER : APPROVER_2 })));
    expect(ok).toHaveLength(3);
    expect(refused).toEqual(Array(5).fill('BUDGET_EXCEEDED'));
    expect(await balance(s, programmeWallet('P-MANY'))).toBe('0');
    expect(await balance(s, programmeReserved('P-MANY'))).toBe('9000');
    const states = await db.dataSource.query<
      Array<{
        state: string;
        n: number;
      }>
    >(`SELECT state, count(*)::int AS n FROM subsidy_claims c JOIN subsidy_programmes p ON p.id = c.programme_id WHERE p.code = 'P-MANY' GROUP BY state ORDER BY state`);
    expect(states).toEqual([
      { state: 'APPLIED', n: 5 },
      { state: 'APPROVED', n: 3 },
    ]);
  });

  it('approvals racing top-ups and payments: the wallet never goes below zero and the money adds up', async () => {
    await createProgramme(s, world, 'P-MIX', { budget: '6000.00' });
    await addRule(s, 'P-MIX');
    const ids = await appliedClaims('P-MIX', 6);
    const work: Array<Promise<unknown>> = ids.map((id) => approve(s, id));
    work.push(inTransaction(db.dataSource, (em) => s.programmes.topUp(em, 'P-MIX', { amount: '3000.00', effectiveDate: '2025-03-10' }, randomUUID())));
    work.push(s.instalments.payDueInstalments('2025-03-10'));
    const { ok } = await outcomes(work);
    const approved = ok.length - 2;
    expect(approved).toBeGreaterThanOrEqual(2);
    expect(approved).toBeLessThanOrEqual(3);
    const programme = await s.programmes.getProgramme('P-MIX');
    expect(new Dec(programme.available).isNegative()).toBe(false);
    expect(new Dec(programme.available).plus(programme.reserved).plus(programme.paid).toFixed(2)).toBe('9000.00');
    expect(new Dec(programme.reserved).plus(programme.paid).toFixed(2)).toBe(new Dec(approved).times(3000).toFixed(2));
  });

  it('the same claim approved at once under different keys: approved once, reserved once', async () => {
    await createProgramme(s, world, 'P-SAME', { budget: '100000.00' });
    await addRule(s, 'P-SAME');
    const [id] = await appliedClaims('P-SAME', 1);
    const { ok, refused } = await outcomes(oneTo(4).map(() => approve(s, id)));
    expect(ok).toHaveLength(1);
    expect(refused).toEqual(Array(3).fill('CLAIM_STATE'));
    expect(await balance(s, programmeReserved('P-SAME'))).toBe('3000');
  });

  it('under an annual cap per recipient, concurrent approvals never give a recipient more than the cap in a year', async () => {
    await createProgramme(s, world, 'P-YCAP', { budget: '100000.00' });
    await addRule(s, 'P-YCAP', { capPerRecipientPerYear: '2500.00' });
    const ids = await appliedClaims('P-YCAP', 4);
    await outcomes(ids.map((id) => approve(s, id)));
    const rows = await db.dataSource.query<Array<{ code: string; total: string }>>(
      `SELECT pa.code, SUM(r.amount)::text AS total FROM subsidy_claim_recipients r JOIN parties pa ON pa.id = r.party_id JOIN subsidy_claims c ON c.id = r.claim_id
         JOIN subsidy_programmes p ON p.id = c.programme_id WHERE p.code = 'P-YCAP' GROUP BY pa.code ORDER BY pa.code`,
    );
    expect(rows).toEqual([
      { code: world.outsider, total: '2500.00' },
      { code: world.households[0], total: '2500.00' },
    ]);
  });
});

describe('instalments are paid once', () => {
  it('the same instalment paid by five transactions at once: one entry, the recipients paid once', async () => {
    await createProgramme(s, world, 'P-PAY', { budget: '3000.00' });
    await addRule(s, 'P-PAY');
    const [id] = await appliedClaims('P-PAY', 1);
    await approve(s, id);
    const results = await Promise.all(oneTo(5).map(() => inTransaction(db.dataSource, (em) => s.instalments.payInstalment(em, id, 1, '2025-03-10'))));
    expect(results.filter((r) => r.paidNow)).toHaveLength(1);
    expect(new Set(results.map((r) => r.entryId)).size).toBe(1);
    await Promise.all([s.instalments.payDueInstalments('2026-01-01'), s.instalments.payDueInstalments('2026-01-01')]);
    const [{ n }] = await db.dataSource.query<
      Array<{
        n: number;
      }>
    >(`SELECT count(*)::int AS n FROM ledger_entries WHERE kind = 'SUBSIDY_PAYMENT' AND metadata ->> 'claim' = $1`, [id]);
    expect(n).toBe(2);
    expect(await balance(s, programmeReserved('P-PAY'))).toBe('0');
    expect((await s.claims.getClaim(id)).state).toBe('COMPLETED');
  });
});
