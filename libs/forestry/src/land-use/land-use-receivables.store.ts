import { EntityManager } from 'typeorm';
import type { LandUseScheduleState, ReceivableKind, SettlementSource } from './land-use.model';
import type { SchedulePeriod, SchedulePeriodPart } from './rent-schedule';

/** The SQL of a contract's periods, receivables, settlements and waivers (land_use_periods, _receivables, _settlements, _settlement_lines, _waivers). */

export interface ReceivableRow {
  id: string;
  period_id: string;
  seq: number;
  due_date: string;
  kind: ReceivableKind;
  amount: string;
  settled: string;
  waived: string;
  credited: string;
  accrued_through: string | null;
}

/** A stored period. */
export interface PeriodRow {
  id: string;
  seq: number;
  period_start: string;
  period_end: string;
  due_date: string;
  contract_year: number;
  annual_rent: string;
  days: number;
  period_days: number;
  amount: string;
  calculation: string;
  parts: SchedulePeriodPart[];
  state: LandUseScheduleState;
}

export interface SettlementRow {
  id: string;
  source: SettlementSource;
  amount: string;
  to_credit: string;
  effective_date: string;
  bank_reference: string | null;
  entry_id: string;
  lines: Array<{ seq: number; kind: ReceivableKind; amount: string }>;
}

const RECEIVABLE_SELECT = `SELECT r.id::text AS id, r.period_id::text AS period_id, p.seq, p.due_date::text AS due_date, r.kind, r.amount::text AS amount, r.settled::text AS settled,
       r.waived::text AS waived, r.credited::text AS credited, r.accrued_through::text AS accrued_through
  FROM land_use_receivables r JOIN land_use_periods p ON p.id = r.period_id`;

const PERIOD_SELECT = `SELECT p.id::text AS id, p.seq, p.period_start::text AS period_start, p.period_end::text AS period_end, p.due_date::text AS due_date, p.contract_year,
       p.annual_rent::text AS annual_rent, p.days, p.period_days, p.amount::text AS amount, p.calculation, p.parts, p.state
  FROM land_use_periods p`;

// ---------------------------------------------------------------- periods

/** Stores the schedule computed at activation. */
export async function insertPeriods(em: EntityManager, contractId: string, periods: SchedulePeriod[]): Promise<void> {
  await em.query(
    `INSERT INTO land_use_periods (contract_id, seq, period_start, period_end, due_date, contract_year, annual_rent, days, period_days, amount, calculation, parts)
     SELECT $1, * FROM unnest($2::smallint[], $3::date[], $4::date[], $5::date[], $6::smallint[], $7::numeric[], $8::smallint[], $9::smallint[], $10::numeric[], $11::text[], $12::jsonb[])`,
    [
      contractId,
      periods.map((p) => p.seq),
      periods.map((p) => p.periodStart),
      periods.map((p) => p.periodEnd),
      periods.map((p) => p.dueDate),
      periods.map((p) => p.contractYear),
      periods.map((p) => p.annualRent),
      periods.map((p) => p.days),
      periods.map((p) => p.periodDays),
      periods.map((p) => p.amount),
      periods.map((p) => p.calculation),
      periods.map((p) => JSON.stringify(p.parts)),
    ],
  );
}

export async function periodsOf(em: EntityManager, contractId: string): Promise<PeriodRow[]> {
  return await em.query<PeriodRow[]>(`${PERIOD_SELECT} WHERE p.contract_id = $1 ORDER BY p.seq`, [contractId]);
}

export async function periodById(em: EntityManager, periodId: string): Promise<PeriodRow> {
  const [row] = await em.query<PeriodRow[]>(`${PERIOD_SELECT} WHERE p.id = $1`, [periodId]);
  return row;
}

/** The SCHEDULED periods due on or before `asOf`, oldest first. */
export async function duePeriods(em: EntityManager, contractId: string, asOf: string): Promise<PeriodRow[]> {
  return await em.query<PeriodRow[]>(`${PERIOD_SELECT} WHERE p.contract_id = $1 AND p.state = 'SCHEDULED' AND p.due_date <= $2::date ORDER BY p.seq`, [contractId, asOf]);
}

export async function markPeriodRaised(em: EntityManager, periodId: string): Promise<void> {
  await em.query(`UPDATE land_use_periods SET state = 'RAISED' WHERE id = $1`, [periodId]);
}

/** Cancels the SCHEDULED periods starting after `day`; their seqs. */
export async function cancelPeriodsAfter(em: EntityManager, contractId: string, day: string): Promise<number[]> {
  const rows = await em.query<Array<{ seq: number }>>(
    `WITH u AS (UPDATE land_use_periods SET state = 'CANCELLED' WHERE contract_id = $1 AND period_start > $2::date AND state = 'SCHEDULED' RETURNING seq) SELECT seq FROM u`,
    [contractId, day],
  );
  return rows.map((p) => p.seq).sort((a, b) => a - b);
}

// ---------------------------------------------------------------- receivables

export async function receivablesOf(em: EntityManager, contractId: string): Promise<ReceivableRow[]> {
  return await em.query<ReceivableRow[]>(`${RECEIVABLE_SELECT} WHERE r.contract_id = $1 ORDER BY p.seq, r.kind`, [contractId]);
}

/** The principal of the period running on `day` (started on or before it, ending after it), if raised. */
export async function principalRunningOn(em: EntityManager, contractId: string, day: string): Promise<ReceivableRow | null> {
  const [row] = await em.query<ReceivableRow[]>(
    `${RECEIVABLE_SELECT} WHERE r.contract_id = $1 AND r.kind = 'PRINCIPAL' AND p.period_start <= $2::date AND p.period_end > $2::date`,
    [contractId, day],
  );
  return row ?? null;
}

export async function insertPrincipal(em: EntityManager, contractId: string, periodId: string, amount: string): Promise<string> {
  const [row] = await em.query<Array<{ id: string }>>(
    `INSERT INTO land_use_receivables (contract_id, period_id, kind, amount) VALUES ($1, $2, 'PRINCIPAL', $3) RETURNING id::text AS id`,
    [contractId, periodId, amount],
  );
  return row.id;
}

export async function setReceivableEntry(em: EntityManager, receivableId: string, entryId: string): Promise<void> {
  await em.query(`UPDATE land_use_receivables SET entry_id = $2 WHERE id = $1`, [receivableId, entryId]);
}

/** Adds to a period's late fee (its row existing or not), accrued through `through`. */
export async function addLateFee(em: EntityManager, contractId: string, periodId: string, feeId: string | null, amount: string, through: string): Promise<void> {
  if (feeId !== null) {
    await em.query(`UPDATE land_use_receivables SET amount = amount + $2, accrued_through = GREATEST(accrued_through, $3::date) WHERE id = $1`, [feeId, amount, through]);
  } else {
    await em.query(`INSERT INTO land_use_receivables (contract_id, period_id, kind, amount, accrued_through) VALUES ($1, $2, 'LATE_FEE', $3, $4)`, [
      contractId,
      periodId,
      amount,
      through,
    ]);
  }
}

export async function addWaived(em: EntityManager, receivableId: string, amount: string): Promise<void> {
  await em.query(`UPDATE land_use_receivables SET waived = waived + $2 WHERE id = $1`, [receivableId, amount]);
}

export async function addCredited(em: EntityManager, receivableId: string, amount: string): Promise<void> {
  await em.query(`UPDATE land_use_receivables SET credited = credited + $2 WHERE id = $1`, [receivableId, amount]);
}

/** The latest day late fees of the contract are accrued through, or null. */
export async function lateFeesAccruedThrough(em: EntityManager, contractId: string): Promise<string | null> {
  const [{ through }] = await em.query<
    Array<{
      through: string | null;
    }>
  >(`SELECT max(accrued_through)::text AS through FROM land_use_receivables WHERE contract_id = $1`, [contractId]);
  return through;
}

// ---------------------------------------------------------------- settlements

/** Every settlement line of the contract with its day. */
export async function settlementLinesOf(em: EntityManager, contractId: string): Promise<Array<{ receivable_id: string; effective_date: string; amount: string }>> {
  return await em.query<Array<{ receivable_id: string; effective_date: string; amount: string }>>(
    `SELECT l.receivable_id::text AS receivable_id, s.effective_date::text AS effective_date, l.amount::text AS amount
       FROM land_use_settlement_lines l JOIN land_use_settlements s ON s.id = l.settlement_id WHERE s.contract_id = $1`,
    [contractId],
  );
}

export interface SettlementInsert {
  contractId: string;
  source: SettlementSource;
  amount: string;
  toCredit: string;
  effectiveDate: string;
  bankReference: string | null;
  entryId: string;
  /** The idempotency key of its entry (a payment replays by it). */
  entryKey: string;
  applications: ReadonlyArray<{ id: string; amount: string }>;
}

/** Stores a settlement, its lines, and what each receivable has been settled by. */
export async function insertSettlement(em: EntityManager, s: SettlementInsert): Promise<void> {
  const [row] = await em.query<Array<{ id: string }>>(
    `INSERT INTO land_use_settlements (contract_id, source, amount, to_credit, effective_date, bank_reference, entry_id, entry_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [s.contractId, s.source, s.amount, s.toCredit, s.effectiveDate, s.bankReference, s.entryId, s.entryKey],
  );
  if (s.applications.length === 0) return;
  await em.query(`INSERT INTO land_use_settlement_lines (settlement_id, receivable_id, amount) SELECT $1, * FROM unnest($2::bigint[], $3::numeric[])`, [
    row.id,
    s.applications.map((a) => a.id),
    s.applications.map((a) => a.amount),
  ]);
  await em.query(`UPDATE land_use_receivables r SET settled = r.settled + v.amount FROM unnest($1::bigint[], $2::numeric[]) AS v(id, amount) WHERE r.id = v.id`, [
    s.applications.map((a) => a.id),
    s.applications.map((a) => a.amount),
  ]);
}

/** The contract's settlement whose entry has this idempotency key, with its lines (oldest period first), or null. */
export async function settlementByEntryKey(em: EntityManager, contractId: string, entryKey: string): Promise<SettlementRow | null> {
  const [s] = await em.query<Array<Omit<SettlementRow, 'lines'>>>(
    `SELECT s.id::text AS id, s.source, s.amount::text AS amount, s.to_credit::text AS to_credit, s.effective_date::text AS effective_date, s.bank_reference, s.entry_id::text AS entry_id
       FROM land_use_settlements s WHERE s.entry_key = $1 AND s.contract_id = $2`,
    [entryKey, contractId],
  );
  if (!s) return null;
  const lines = await em.query<Array<{ seq: number; kind: ReceivableKind; amount: string }>>(
    `SELECT p.seq, r.kind, l.amount::text AS amount FROM land_use_settlement_lines l JOIN land_use_receivables r ON r.id = l.receivable_id JOIN land_use_periods p ON p.id = r.period_id
      WHERE l.settlement_id = $1 ORDER BY p.due_date, p.seq, r.kind`,
    [s.id],
  );
  return { ...s, lines };
}

// ---------------------------------------------------------------- waivers

export async function insertWaiver(
  em: EntityManager,
  w: { receivableId: string; amount: string; reason: string; waivedBy: string; entryId: string; entryKey: string },
): Promise<void> {
  await em.query(`INSERT INTO land_use_waivers (receivable_id, amount, reason, waived_by, entry_id, entry_key) VALUES ($1, $2, $3, $4, $5, $6)`, [
    w.receivableId,
    w.amount,
    w.reason,
    w.waivedBy,
    w.entryId,
    w.entryKey,
  ]);
}

/** The contract's waiver whose entry has this idempotency key, or null. */
export async function waiverByEntryKey(em: EntityManager, contractId: string, entryKey: string): Promise<{ amount: string; reason: string; entry_id: string; seq: number } | null> {
  const [row] = await em.query<Array<{ amount: string; reason: string; entry_id: string; seq: number }>>(
    `SELECT w.amount::text AS amount, w.reason, w.entry_id::text AS entry_id, p.seq FROM land_use_waivers w
       JOIN land_use_receivables r ON r.id = w.receivable_id JOIN land_use_periods p ON p.id = r.period_id WHERE w.entry_key = $1 AND r.contract_id = $2`,
    [entryKey, contractId],
  );
  return row ?? null;
}

// ---------------------------------------------------------------- reports

/** Receivables outstanding and due by `asOf`, with days past due and the contract's parties. */
export async function agingRows(em: EntityManager, asOf: string): Promise<Array<{ lessee_party_id: string; lessor_party_id: string; days: number; outstanding: string }>> {
  return await em.query<Array<{ lessee_party_id: string; lessor_party_id: string; days: number; outstanding: string }>>(
    `SELECT c.lessee_party_id::text AS lessee_party_id, c.lessor_party_id::text AS lessor_party_id, ($1::date - p.due_date) AS days,
            (r.amount - r.settled - r.waived - r.credited)::text AS outstanding
       FROM land_use_receivables r JOIN land_use_periods p ON p.id = r.period_id JOIN land_use_contracts c ON c.id = r.contract_id
      WHERE r.amount - r.settled - r.waived - r.credited > 0 AND p.due_date <= $1::date`,
    [asOf],
  );
}
