import { Dec } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { InstalmentTerm, RateBasis, RecipientShare, RuleTerms, TransferMode } from './subsidy-rules';

/** The only code that names subsidy_programmes, subsidy_programme_regions and subsidy_rules in SQL. */

export interface ProgrammeRow {
  id: string;
  code: string;
  name: string;
  funding_party_id: string;
}

export interface RuleRow {
  id: string;
  programme_id: string;
  version: number;
  effective_from: string;
  rate_basis: RateBasis;
  rate: string;
  cap_per_contract: string | null;
  cap_per_recipient_per_year: string | null;
  min_term_years: number;
  min_area_mu: string;
  modes: TransferMode[];
  transferor_kinds: string[];
  transferee_kinds: string[];
  recipients: RecipientShare[];
  instalments: InstalmentTerm[];
  clawback_rate: string;
}

export interface RuleView extends RuleTerms {
  id: string;
}

const PROGRAMME_SELECT = `SELECT id, code, name, funding_party_id FROM subsidy_programmes`;

const RULE_SELECT = `SELECT id, programme_id, version, to_char(effective_from, 'YYYY-MM-DD') AS effective_from, rate_basis, rate::text AS rate, cap_per_contract::text AS cap_per_contract,
       cap_per_recipient_per_year::text AS cap_per_recipient_per_year, min_term_years, min_area_mu::text AS min_area_mu, modes, transferor_kinds, transferee_kinds,
       recipients, instalments, clawback_rate::text AS clawback_rate
  FROM subsidy_rules`;

export function ruleView(row: RuleRow): RuleView {
  return {
    id: row.id,
    version: row.version,
    effectiveFrom: row.effective_from,
    rateBasis: row.rate_basis,
    rate: new Dec(row.rate).toString(),
    capPerContract: row.cap_per_contract === null ? null : new Dec(row.cap_per_contract).toFixed(2),
    capPerRecipientPerYear: row.cap_per_recipient_per_year === null ? null : new Dec(row.cap_per_recipient_per_year).toFixed(2),
    minTermYears: row.min_term_years,
    minAreaMu: new Dec(row.min_area_mu).toFixed(4),
    modes: row.modes,
    transferorKinds: row.transferor_kinds,
    transfereeKinds: row.transferee_kinds,
    recipients: row.recipients,
    instalments: row.instalments,
    clawbackRate: new Dec(row.clawback_rate).toString(),
  };
}

/** The new programme's id, or null when its code is taken. */
export async function insertProgramme(em: EntityManager, p: { code: string; name: string; fundingPartyId: string }): Promise<string | null> {
  const [row] = await em.query<Array<{ id: string }>>(
    `INSERT INTO subsidy_programmes (code, name, funding_party_id) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING RETURNING id`,
    [p.code, p.name, p.fundingPartyId],
  );
  return row?.id ?? null;
}

export async function insertProgrammeRegions(em: EntityManager, programmeId: string, regionIds: string[]): Promise<void> {
  await em.query(`INSERT INTO subsidy_programme_regions (programme_id, region_id) SELECT $1, unnest($2::bigint[])`, [programmeId, regionIds]);
}

/** The programme with this code; `lock` takes its row FOR UPDATE. */
export async function selectProgramme(em: EntityManager, code: string, lock = false): Promise<ProgrammeRow | undefined> {
  const [row] = await em.query<ProgrammeRow[]>(`${PROGRAMME_SELECT} WHERE code = $1 ${lock ? 'FOR UPDATE' : ''}`, [code]);
  return row;
}

export async function selectProgrammes(em: EntityManager, limit: number): Promise<ProgrammeRow[]> {
  return await em.query<ProgrammeRow[]>(`${PROGRAMME_SELECT} ORDER BY code LIMIT $1`, [limit]);
}

export async function selectProgrammeRegions(em: EntityManager, programmeIds: readonly string[]): Promise<Array<{ programme_id: string; region_id: string }>> {
  return await em.query<
    Array<{
      programme_id: string;
      region_id: string;
    }>
  >(`SELECT programme_id, region_id FROM subsidy_programme_regions WHERE programme_id = ANY($1::bigint[])`, [programmeIds]);
}

/** Whether the programme covers any of these regions. */
export async function programmeCovers(em: EntityManager, programmeId: string, regionIds: readonly string[]): Promise<boolean> {
  const [{ inside }] = await em.query<Array<{ inside: boolean }>>(
    `SELECT EXISTS (SELECT 1 FROM subsidy_programme_regions WHERE programme_id = $1 AND region_id = ANY($2::bigint[])) AS inside`,
    [programmeId, regionIds],
  );
  return inside;
}

/** Programmes covering any of these regions (and of this code, if given), by code. */
export async function selectProgrammesCovering(em: EntityManager, regionIds: readonly string[], code: string | null): Promise<Array<{ code: string; name: string }>> {
  return await em.query<Array<{ code: string; name: string }>>(
    `SELECT DISTINCT p.code, p.name FROM subsidy_programmes p JOIN subsidy_programme_regions pr ON pr.programme_id = p.id
      WHERE pr.region_id = ANY($1::bigint[]) AND ($2::text IS NULL OR p.code = $2) ORDER BY p.code`,
    [regionIds, code],
  );
}

/** The rules of these programmes, by version. */
export async function selectRules(em: EntityManager, programmeIds: readonly string[]): Promise<RuleRow[]> {
  return await em.query<RuleRow[]>(`${RULE_SELECT} WHERE programme_id = ANY($1::bigint[]) ORDER BY version`, [programmeIds]);
}

export async function selectRulesByIds(em: EntityManager, ids: readonly string[]): Promise<RuleRow[]> {
  if (ids.length === 0) return [];
  return await em.query<RuleRow[]>(`${RULE_SELECT} WHERE id = ANY($1::bigint[])`, [ids]);
}

/** Whether any rule version of the programme caps the amount per recipient and year. */
export async function hasRecipientCap(em: EntityManager, programmeId: string): Promise<boolean> {
  const [{ capped }] = await em.query<Array<{ capped: boolean }>>(
    `SELECT EXISTS (SELECT 1 FROM subsidy_rules WHERE programme_id = $1 AND cap_per_recipient_per_year IS NOT NULL) AS capped`,
    [programmeId],
  );
  return capped;
}

/** Inserts the programme's next rule version; its id and version, or null when a version from that date exists. */
export async function insertNextRule(em: EntityManager, programmeId: string, terms: RuleTerms, createdBy: string): Promise<{ id: string; version: number } | null> {
  const [{ next }] = await em.query<Array<{ next: number }>>(`SELECT COALESCE(MAX(version), 0) + 1 AS next FROM subsidy_rules WHERE programme_id = $1`, [programmeId]);
  const [row] = await em.query<Array<{ id: string }>>(
    `INSERT INTO subsidy_rules (programme_id, version, effective_from, rate_basis, rate, cap_per_contract, cap_per_recipient_per_year, min_term_years, min_area_mu,
                                modes, transferor_kinds, transferee_kinds, recipients, instalments, clawback_rate, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING RETURNING id`,
    [
      programmeId,
      next,
      terms.effectiveFrom,
      terms.rateBasis,
      terms.rate,
      terms.capPerContract,
      terms.capPerRecipientPerYear,
      terms.minTermYears,
      terms.minAreaMu,
      terms.modes,
      terms.transferorKinds,
      terms.transfereeKinds,
      JSON.stringify(terms.recipients),
      JSON.stringify(terms.instalments),
      terms.clawbackRate,
      createdBy,
    ],
  );
  return row ? { id: row.id, version: Number(next) } : null;
}
