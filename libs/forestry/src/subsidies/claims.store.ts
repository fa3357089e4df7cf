import { EntityManager } from 'typeorm';
import { ClaimState, InstalmentState } from './subsidy.model';
import { Calculation, ClawbackResult, EligibilityReason, RecipientRole } from './subsidy-rules';

/** The only code that names subsidy_claims, subsidy_claim_recipients and subsidy_instalments in SQL. */

export interface ClaimRow {
  id: string;
  programme_id: string;
  programme_code: string;
  contract_id: string;
  contract_code: string;
  rule_id: string | null;
  state: ClaimState;
  apply_key: string;
  eligibility: EligibilityReason[];
  calculation: Calculation | null;
  amount: string;
  applied_by: string;
  approved_by: string | null;
  approved_on: string | null;
  rejected_by: string | null;
  rejected_on: string | null;
  rejection_reason: string | null;
  rejection_key: string | null;
  reserve_entry_id: string | null;
  clawback_amount: string | null;
  clawback_entry_id: string | null;
  clawback_calculation: ClawbackResult | null;
}

export type Split = { party: string; amount: string };

export interface InstalmentRow {
  claim_id: string;
  id: string;
  seq: number;
  due_date: string;
  amount: string;
  state: InstalmentState;
  splits: Split[];
  entry_id: string | null;
  paid_on: string | null;
}

export interface RecipientRow {
  claim_id: string;
  party_id: string;
  role: RecipientRole;
  amount: string;
  clawback: string | null;
  recovered: string;
}

const CLAIM_SELECT = `SELECT c.id, c.programme_id, p.code AS programme_code, c.contract_id, t.code AS contract_code, c.rule_id, c.state, c.apply_key, c.eligibility, c.calculation,
       c.amount::text AS amount, c.applied_by, c.approved_by, to_char(c.approved_on, 'YYYY-MM-DD') AS approved_on, c.reserve_entry_id,
       c.rejected_by, to_char(c.rejected_on, 'YYYY-MM-DD') AS rejected_on, c.rejection_reason, c.rejection_key,
       c.clawback_amount::text AS clawback_amount, c.clawback_entry_id, c.clawback_calculation
  FROM subsidy_claims c JOIN subsidy_programmes p ON p.id = c.programme_id JOIN transfer_contracts t ON t.id = c.contract_id`;

const INSTALMENT_SELECT = `SELECT claim_id, id, seq, to_char(due_date, 'YYYY-MM-DD') AS due_date, amount::text AS amount, state, splits, entry_id, to_char(paid_on, 'YYYY-MM-DD') AS paid_on
  FROM subsidy_instalments`;

const RECIPIENT_SELECT = `SELECT claim_id, party_id, role, amount::text AS amount, clawback_amount::text AS clawback, recovered_amount::text AS recovered FROM subsidy_claim_recipients`;

// ---------------------------------------------------------------- claims

/** The claim; `lock` first takes its row FOR UPDATE. */
export async function selectClaim(em: EntityManager, id: string, lock = false): Promise<ClaimRow | undefined> {
  if (lock) await em.query(`SELECT 1 FROM subsidy_claims WHERE id = $1 FOR UPDATE`, [id]);
  const [row] = await em.query<ClaimRow[]>(`${CLAIM_SELECT} WHERE c.id = $1`, [id]);
  return row;
}

export async function selectClaimByApplyKey(em: EntityManager, key: string): Promise<ClaimRow | undefined> {
  const [row] = await em.query<ClaimRow[]>(`${CLAIM_SELECT} WHERE c.apply_key = $1`, [key]);
  return row;
}

export async function selectClaimIdByRejectionKey(em: EntityManager, key: string): Promise<string | undefined> {
  const [row] = await em.query<Array<{ id: string }>>(`SELECT id FROM subsidy_claims WHERE rejection_key = $1`, [key]);
  return row?.id;
}

/** Claims of a programme (optionally in one state), oldest first. */
export async function selectClaimsOfProgramme(em: EntityManager, programmeCode: string, state: ClaimState | null, limit: number): Promise<ClaimRow[]> {
  return await em.query<ClaimRow[]>(`${CLAIM_SELECT} WHERE p.code = $1 AND ($2::text IS NULL OR c.state = $2) ORDER BY c.id LIMIT $3`, [programmeCode, state, limit]);
}

export async function selectClaimsOfContract(em: EntityManager, contractCode: string): Promise<ClaimRow[]> {
  return await em.query<ClaimRow[]>(`${CLAIM_SELECT} WHERE t.code = $1 ORDER BY c.id`, [contractCode]);
}

/** Ids of the contract's open claims (APPLIED, APPROVED, COMPLETED), locked FOR UPDATE in id order. */
export async function lockOpenClaimsOfContract(em: EntityManager, contractId: string): Promise<string[]> {
  const rows = await em.query<Array<{ id: string }>>(
    `SELECT id FROM subsidy_claims WHERE contract_id = $1 AND state IN ('APPLIED', 'APPROVED', 'COMPLETED') ORDER BY id FOR UPDATE`,
    [contractId],
  );
  return rows.map((r) => r.id);
}

/** The new claim's id, or null when a unique key refused it (the apply key, or an open claim of the contract under the programme). */
export async function insertClaim(
  em: EntityManager,
  c: {
    programmeId: string;
    contractId: string;
    ruleId: string | null;
    state: ClaimState;
    applyKey: string;
    eligibility: EligibilityReason[];
    calculation: Calculation | null;
    appliedBy: string;
  },
): Promise<string | null> {
  const [row] = await em.query<Array<{ id: string }>>(
    `INSERT INTO subsidy_claims (programme_id, contract_id, rule_id, state, apply_key, eligibility, calculation, amount, applied_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id`,
    [
      c.programmeId,
      c.contractId,
      c.ruleId,
      c.state,
      c.applyKey,
      JSON.stringify(c.eligibility),
      c.calculation ? JSON.stringify(c.calculation) : null,
      c.calculation?.total ?? '0.00',
      c.appliedBy,
    ],
  );
  return row?.id ?? null;
}

export async function updateClaimApproved(
  em: EntityManager,
  id: string,
  a: { state: ClaimState; ruleId: string; eligibility: EligibilityReason[]; calculation: Calculation; approvedBy: string; approvedOn: string; reserveEntryId: string | null },
): Promise<void> {
  await em.query(
    `UPDATE subsidy_claims SET state = $2, rule_id = $3, eligibility = $4, calculation = $5, amount = $6, approved_by = $7, approved_on = $8, reserve_entry_id = $9 WHERE id = $1`,
    [id, a.state, a.ruleId, JSON.stringify(a.eligibility), JSON.stringify(a.calculation), a.calculation.total, a.approvedBy, a.approvedOn, a.reserveEntryId],
  );
}

export async function updateClaimRejected(em: EntityManager, id: string, r: { rejectedBy: string; rejectedOn: string; reason: string; key: string }): Promise<void> {
  await em.query(`UPDATE subsidy_claims SET state = 'REJECTED', rejected_by = $2, rejected_on = $3, rejection_reason = $4, rejection_key = $5 WHERE id = $1`, [
    id,
    r.rejectedBy,
    r.rejectedOn,
    r.reason,
    r.key,
  ]);
}

export async function updateClaimCancelled(em: EntityManager, id: string): Promise<void> {
  await em.query(`UPDATE subsidy_claims SET state = 'CANCELLED' WHERE id = $1`, [id]);
}

export async function updateClaimClawback(
  em: EntityManager,
  id: string,
  c: { state: ClaimState; amount: string; entryId: string | null; calculation: ClawbackResult },
): Promise<void> {
  await em.query(`UPDATE subsidy_claims SET state = $2, clawback_amount = $3, clawback_entry_id = $4, clawback_calculation = $5 WHERE id = $1`, [
    id,
    c.state,
    c.amount,
    c.entryId,
    JSON.stringify(c.calculation),
  ]);
}

/** APPROVED → COMPLETED once no instalment is left SCHEDULED. */
export async function completeClaimIfAllPaid(em: EntityManager, id: string): Promise<void> {
  await em.query(`UPDATE subsidy_claims SET state = 'COMPLETED' WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM subsidy_instalments WHERE claim_id = $1 AND state = 'SCHEDULED')`, [
    id,
  ]);
}

/** CLAWBACK_DUE → RECOVERED once every recipient has paid back their clawback. */
export async function recoverClaimIfSettled(em: EntityManager, id: string): Promise<void> {
  await em.query(
    `UPDATE subsidy_claims SET state = 'RECOVERED' WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM subsidy_claim_recipients WHERE claim_id = $1 AND recovered_amount < COALESCE(clawback_amount, 0))`,
    [id],
  );
}

// ---------------------------------------------------------------- recipients

export async function selectRecipients(em: EntityManager, claimIds: readonly string[]): Promise<RecipientRow[]> {
  return await em.query<RecipientRow[]>(`${RECIPIENT_SELECT} WHERE claim_id = ANY($1::bigint[])`, [claimIds]);
}

/** The recipient's row, locked FOR UPDATE. */
export async function lockRecipient(em: EntityManager, claimId: string, partyId: string): Promise<RecipientRow | undefined> {
  const [row] = await em.query<RecipientRow[]>(`${RECIPIENT_SELECT} WHERE claim_id = $1 AND party_id = $2 FOR UPDATE`, [claimId, partyId]);
  return row;
}

export async function insertRecipients(
  em: EntityManager,
  claimId: string,
  rows: Array<{ partyId: string; role: RecipientRole; amount: string; approvedYear: number }>,
): Promise<void> {
  await em.query(
    `INSERT INTO subsidy_claim_recipients (claim_id, party_id, role, amount, approved_year) SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::numeric[], $5::smallint[])`,
    [claimId, rows.map((r) => r.partyId), rows.map((r) => r.role), rows.map((r) => r.amount), rows.map((r) => r.approvedYear)],
  );
}

/** Per party: what claims of the programme in `states` approved for it in `year`. Parties without any are absent. */
export async function approvedInYear(
  em: EntityManager,
  programmeId: string,
  partyIds: readonly string[],
  year: number,
  states: readonly ClaimState[],
): Promise<Map<string, string>> {
  const rows = await em.query<Array<{ party_id: string; used: string }>>(
    `SELECT r.party_id, SUM(r.amount)::text AS used FROM subsidy_claim_recipients r
      WHERE r.party_id = ANY($1::bigint[]) AND r.approved_year = $3
        AND r.claim_id IN (SELECT id FROM subsidy_claims WHERE programme_id = $2 AND state = ANY($4::text[]))
      GROUP BY r.party_id`,
    [partyIds, programmeId, year, states],
  );
  return new Map(rows.map((r) => [r.party_id, r.used]));
}

export async function updateRecipientClawback(em: EntityManager, claimId: string, partyId: string, amount: string): Promise<void> {
  await em.query(`UPDATE subsidy_claim_recipients SET clawback_amount = $3 WHERE claim_id = $1 AND party_id = $2`, [claimId, partyId, amount]);
}

export async function addRecovered(em: EntityManager, claimId: string, partyId: string, amount: string): Promise<void> {
  await em.query(`UPDATE subsidy_claim_recipients SET recovered_amount = recovered_amount + $3 WHERE claim_id = $1 AND party_id = $2`, [claimId, partyId, amount]);
}

// ---------------------------------------------------------------- instalments

/** The instalments of these claims, by claim and sequence; `lock` takes them FOR UPDATE. */
export async function selectInstalments(em: EntityManager, claimIds: readonly string[], lock = false): Promise<InstalmentRow[]> {
  return await em.query<InstalmentRow[]>(`${INSTALMENT_SELECT} WHERE claim_id = ANY($1::bigint[]) ORDER BY claim_id, seq ${lock ? 'FOR UPDATE' : ''}`, [claimIds]);
}

/** One instalment, locked FOR UPDATE. */
export async function lockInstalment(em: EntityManager, claimId: string, seq: number): Promise<InstalmentRow | undefined> {
  const [row] = await em.query<InstalmentRow[]>(`${INSTALMENT_SELECT} WHERE claim_id = $1 AND seq = $2 FOR UPDATE`, [claimId, seq]);
  return row;
}

export async function insertInstalments(em: EntityManager, claimId: string, rows: Array<{ seq: number; dueDate: string; amount: string; splits: Split[] }>): Promise<void> {
  await em.query(`INSERT INTO subsidy_instalments (claim_id, seq, due_date, amount, splits) SELECT $1, * FROM unnest($2::smallint[], $3::date[], $4::numeric[], $5::jsonb[])`, [
    claimId,
    rows.map((s) => s.seq),
    rows.map((s) => s.dueDate),
    rows.map((s) => s.amount),
    rows.map((s) => JSON.stringify(s.splits)),
  ]);
}

export async function markInstalmentPaid(em: EntityManager, id: string, entryId: string, paidOn: string): Promise<void> {
  await em.query(`UPDATE subsidy_instalments SET state = 'PAID', entry_id = $2, paid_on = $3 WHERE id = $1`, [id, entryId, paidOn]);
}

export async function cancelScheduledInstalments(em: EntityManager, claimId: string): Promise<void> {
  await em.query(`UPDATE subsidy_instalments SET state = 'CANCELLED' WHERE claim_id = $1 AND state = 'SCHEDULED'`, [claimId]);
}

/** Scheduled instalments of approved claims due on or before `asOf`, by due date, claim and sequence. */
export async function selectDueInstalments(em: EntityManager, asOf: string): Promise<Array<{ claim_id: string; seq: number }>> {
  return await em.query<Array<{ claim_id: string; seq: number }>>(
    `SELECT i.claim_id, i.seq FROM subsidy_instalments i JOIN subsidy_claims c ON c.id = i.claim_id
      WHERE i.state = 'SCHEDULED' AND i.due_date <= $1::date AND c.state = 'APPROVED' ORDER BY i.due_date, i.claim_id, i.seq`,
    [asOf],
  );
}

/** Transaction-scoped advisory locks on these keys, in sorted order (no deadlock between two callers). */
export async function lockKeys(em: EntityManager, keys: readonly string[]): Promise<void> {
  for (const k of [...keys].sort()) await em.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [k]);
}
