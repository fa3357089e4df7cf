import { Dec } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { namedLines, SubjectPlan, villageOfParty } from '../disclosures/disclosure-gate';
import { allocationAtRecordDate } from './record-date-allocation';

/**
 * A dividend declaration's list for the village (公示): every holder at the record date with units and
 * the amount the distribution would pay (the same allocation), published to the collective's village.
 */
export async function dividendDisclosurePlan(
  em: EntityManager,
  declaration: { id: string; amount: string; recordDate: string; paymentDate: string },
  series: { code: string; asset_code: string; project_name: string; collective_party_id: string },
): Promise<SubjectPlan> {
  const amount = new Dec(declaration.amount).toFixed(2);
  const allocation = await allocationAtRecordDate(em, series, amount, declaration.recordDate);
  return {
    title: `${series.project_name} 林票分红：共 ${amount} 元（${series.code}，登记日 ${declaration.recordDate}，发放日 ${declaration.paymentDate}）`,
    villageId: await villageOfParty(em, series.collective_party_id),
    params: { amount, recordDate: declaration.recordDate },
    lines: await namedLines(
      em,
      allocation.map((a) => ({ party: a.code, units: a.units.toFixed(0), amount: a.amount.toFixed(2), role: null })),
    ),
  };
}
