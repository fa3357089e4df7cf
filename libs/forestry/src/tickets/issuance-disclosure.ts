import { EntityManager } from 'typeorm';
import { namedLines, SubjectPlan, villageOfParty } from '../disclosures/disclosure-gate';
import type { IssuancePlan } from './issuance-plan';

/**
 * A 林票 issuance's list for the village (公示): every holding the issuance would create (farm,
 * collective, members or households) with its units, published to the collective's village.
 */
export async function issuanceDisclosurePlan(
  em: EntityManager,
  project: { code: string; name: string; collective_party_id: string },
  plan: Pick<IssuancePlan, 'seriesCode' | 'faceValue' | 'totalUnits' | 'holdings'>,
): Promise<SubjectPlan> {
  return {
    title: `${project.name} 林票发行：共 ${plan.totalUnits} 份，每份面值 ${plan.faceValue} 元（${plan.seriesCode}）`,
    villageId: await villageOfParty(em, project.collective_party_id),
    params: { seriesCode: plan.seriesCode, faceValue: plan.faceValue },
    lines: await namedLines(
      em,
      plan.holdings.map((h) => ({ party: h.party, units: h.units, amount: null, role: h.role })),
    ),
  };
}
