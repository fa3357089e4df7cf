import { DataSource, EntityManager } from 'typeorm';
import { inTransaction, registerRaceConstraints } from './transaction';

/** A data source whose transactions fail with the given errors first, then succeed. */
function failingFirst(errors: Error[]): { dataSource: DataSource; calls: () => number } {
  let calls = 0;
  const dataSource = {
    transaction: async (work: (em: EntityManager) => Promise<unknown>) => {
      calls += 1;
      const error = errors.shift();
      if (error !== undefined) throw error;
      return work({} as EntityManager);
    },
  } as unknown as DataSource;
  return { dataSource, calls: () => calls };
}

const uniqueViolation = (constraint: string) => Object.assign(new Error('duplicate key'), { code: '23505', constraint });

describe('inTransaction', () => {
  it('retries a lost race on a registered unique constraint, and only on one', async () => {
    registerRaceConstraints(['uq_test_race_key']);
    const won = failingFirst([uniqueViolation('uq_test_race_key')]);
    await expect(inTransaction(won.dataSource, () => Promise.resolve('done'))).resolves.toBe('done');
    expect(won.calls()).toBe(2);

    const other = failingFirst([uniqueViolation('uq_test_other')]);
    await expect(inTransaction(other.dataSource, () => Promise.resolve('done'))).rejects.toMatchObject({ constraint: 'uq_test_other' });
    expect(other.calls()).toBe(1);
  });

  it('retries serialization failures and deadlocks', async () => {
    const run = failingFirst([Object.assign(new Error('serialize'), { code: '40001' }), Object.assign(new Error('deadlock'), { code: '40P01' })]);
    await expect(inTransaction(run.dataSource, () => Promise.resolve(1))).resolves.toBe(1);
    expect(run.calls()).toBe(3);
  });
});
