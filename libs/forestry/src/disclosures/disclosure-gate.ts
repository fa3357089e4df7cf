import { EntityManager } from 'typeorm';
import { partiesByCodes, partiesByIds } from '../parties/party-refs';
import type { PartyKind } from '../parties/party.model';
import { businessToday } from '../projects/project-accounts';
import { villageChains } from '../regions/region-tree';
import { DisclosureSubject, effectiveDays, phaseOf, PlanLine, samePlan, SUBJECT_LABELS } from './disclosure.model';
import { DisclosureError } from './disclosures.errors';
import { disclosuresStore } from './disclosures.store';

/** The plan as it would be carried out now: its lines and the parameters that shape them. */
export interface CurrentPlan {
  lines: PlanLine[];
  params: Record<string, unknown>;
}

/** The days a village's lists stay up: its own setting, else its township's, else its county's; 0 when none (off). */
export async function disclosureDaysOf(em: EntityManager, villageId: string | null): Promise<number> {
  if (villageId === null) return 0;
  const chain = (await villageChains(em, [villageId])).get(villageId);
  if (!chain) return 0;
  const ids = [chain.village.id, chain.township?.id, chain.county?.id].filter((id): id is string => id !== undefined);
  const settings = await disclosuresStore.settings(em, ids);
  return effectiveDays(ids.map((id) => settings.get(id)));
}

/**
 * The check an approval or issuance makes inside its own transaction before money or shares move
 * (issue 18 §3). Locks the subject's latest round (objections take the same lock, so one recorded
 * meanwhile either committed first and is seen, or waits and then finds the round CONCLUDED).
 * - A PUBLISHED round binds whatever the region's setting: its period must be over (422
 *   DISCLOSURE_PERIOD_OPEN), no objection open (422 OBJECTION_OPEN), and the plan now must be the list
 *   as published (422 DISCLOSURE_OUTDATED: publish it again); then the round is CONCLUDED by `act`.
 * - Without one, a village whose region sets days needs one (422 DISCLOSURE_REQUIRED); a region set to
 *   0 or none changes nothing. `plan` is only computed when a round is there to compare with.
 */
export async function requireClearedDisclosure(
  em: EntityManager,
  input: { subject: DisclosureSubject; villageId: string | null; plan: () => Promise<CurrentPlan>; act: string; userId: string | null },
): Promise<void> {
  const { subject } = input;
  const label = `${SUBJECT_LABELS[subject.kind]} ${subject.id}`;
  const round = await disclosuresStore.latest(em, subject, true);
  if (round?.state !== 'PUBLISHED') {
    const days = await disclosureDaysOf(em, input.villageId);
    if (days === 0) return;
    const why =
      round === undefined
        ? 'nothing has been published'
        : round.state === 'SUPERSEDED'
          ? `round ${round.round} was superseded (${round.close_reason ?? 'an objection was upheld'}) and no new round is published`
          : `round ${round.round} is ${round.state}`;
    throw new DisclosureError(
      'DISCLOSURE_REQUIRED',
      `the village must see the list of ${label} for ${days} days before it goes ahead (公示): ${why}; publish it with POST /v1/disclosures`,
      'disclosure',
      { subjectKind: subject.kind, subjectId: subject.id, days, round: round?.round ?? null, state: round?.state ?? null },
    );
  }
  const details = { disclosureId: round.id, round: round.round, startsOn: round.starts_on, endsOn: round.ends_on, openObjections: round.open_objections };
  const phase = phaseOf({ state: round.state, endsOn: round.ends_on }, round.open_objections, businessToday());
  if (phase === 'IN_PERIOD') {
    throw new DisclosureError(
      'DISCLOSURE_PERIOD_OPEN',
      `the list of ${label} is published for objections from ${round.starts_on} through ${round.ends_on} (disclosure #${round.id}); it may go ahead from the day after`,
      'disclosure',
      details,
    );
  }
  if (phase === 'OBJECTION_OPEN') {
    throw new DisclosureError(
      'OBJECTION_OPEN',
      `disclosure #${round.id} of ${label} has ${round.open_objections} open objection(s); resolve them (UPHELD or DISMISSED) first`,
      'disclosure',
      details,
    );
  }
  const lines = await disclosuresStore.lines(em, round.id);
  const published = { lines: lines.map((l) => ({ party: l.party_id, units: l.units, amount: l.amount })), params: round.params };
  const now = await input.plan();
  if (!samePlan(published, now)) {
    throw new DisclosureError(
      'DISCLOSURE_OUTDATED',
      `the plan of ${label} is no longer the list published in disclosure #${round.id} (holders, units, amounts or parameters changed); publish it again`,
      'disclosure',
      details,
    );
  }
  await disclosuresStore.close(em, round.id, 'CONCLUDED', input.userId, null, input.act);
}

/** Takes down a subject's PUBLISHED round when the subject itself is dropped (a declaration cancelled), so the board does not show it as current. */
export async function withdrawDisclosureOf(em: EntityManager, subject: DisclosureSubject, userId: string, reason: string): Promise<void> {
  const round = await disclosuresStore.latest(em, subject, true);
  if (round?.state === 'PUBLISHED') await disclosuresStore.close(em, round.id, 'WITHDRAWN', userId, reason);
}

/** A line of a plan with what the published list shows of its holder. */
export interface NamedPlanLine extends PlanLine {
  kind: PartyKind;
  name: string;
  /** FARM, COLLECTIVE or MEMBER for an issuance; null otherwise. */
  role: string | null;
}

/** A subject's plan as a disclosure publishes it: a title, the village it is published to, the lines. */
export interface SubjectPlan extends CurrentPlan {
  title: string;
  villageId: string | null;
  lines: NamedPlanLine[];
}

/** The village of a party (the collective a subject belongs to), or null when it has no region. */
export async function villageOfParty(em: EntityManager, partyId: string): Promise<string | null> {
  return (await partiesByIds(em, [partyId])).get(partyId)?.regionId ?? null;
}

/** Plan lines from holdings named by party code, in their order; the lines carry the parties' ids. */
export async function namedLines(
  em: EntityManager,
  holdings: ReadonlyArray<{ party: string; units: string; amount: string | null; role: string | null }>,
): Promise<NamedPlanLine[]> {
  const parties = await partiesByCodes(
    em,
    holdings.map((h) => h.party),
  );
  return holdings.map((h) => {
    const party = parties.get(h.party);
    if (!party) throw new Error(`a planned holder ${h.party} is no party`);
    return { party: party.id, units: h.units, amount: h.amount, kind: party.kind, name: party.name, role: h.role };
  });
}
