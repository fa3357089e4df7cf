import { EntityManager } from 'typeorm';
import type { LandUseMode, LandUseState, PermittedUse } from './land-use.model';
import type { BillingFrequency, Escalation } from './rent-schedule';

/** A row of land_use_contracts, with its renewal links and parcel ids (joins inside land use only). */
export interface ContractRow {
  id: string;
  code: string;
  mode: LandUseMode;
  state: LandUseState;
  lessor_party_id: string;
  lessee_party_id: string;
  area_mu: string;
  permitted_uses: PermittedUse[];
  other_use: string | null;
  start_date: string;
  end_date: string;
  renews_code: string | null;
  renewed_by: string | null;
  rent_basis: 'PER_MU' | 'FIXED' | null;
  rent_rate_per_mu: string | null;
  rent_annual_amount: string | null;
  escalation_kind: Escalation['kind'];
  escalation_every_years: number | null;
  escalation_step: string | null;
  escalation_percent: string | null;
  billing_frequency: BillingFrequency | null;
  deposit_amount: string;
  deposit_entry_id: string | null;
  deposit_received_on: string | null;
  late_fee_daily_rate: string;
  late_fee_cap_ratio: string;
  appraised_value: string | null;
  appraisal_reference: string | null;
  project_id: string | null;
  contribution_id: string | null;
  contribution_entry_id: string | null;
  created_by: string;
  created_at: Date;
  activated_at: Date | null;
  terminated_on: string | null;
  termination_reason: string | null;
  cancellation_reason: string | null;
  settlement: Record<string, unknown> | null;
  closed_at: Date | null;
  /** Its parcels' ids. */
  parcel_ids: string[];
}

const CONTRACT_SELECT = `SELECT c.id::text AS id, c.code, c.mode, c.state, c.lessor_party_id::text AS lessor_party_id, c.lessee_party_id::text AS lessee_party_id,
       c.area_mu::text AS area_mu, c.permitted_uses, c.other_use, c.start_date::text AS start_date, c.end_date::text AS end_date,
       r.code AS renews_code, (SELECT n.code FROM land_use_contracts n WHERE n.renews_contract_id = c.id) AS renewed_by,
       c.rent_basis, c.rent_rate_per_mu::text AS rent_rate_per_mu, c.rent_annual_amount::text AS rent_annual_amount, c.escalation_kind,
       c.escalation_every_years, c.escalation_step::text AS escalation_step, c.escalation_percent::text AS escalation_percent, c.billing_frequency,
       c.deposit_amount::text AS deposit_amount, c.deposit_entry_id::text AS deposit_entry_id, c.deposit_received_on::text AS deposit_received_on,
       c.late_fee_daily_rate::text AS late_fee_daily_rate, c.late_fee_cap_ratio::text AS late_fee_cap_ratio, c.appraised_value::text AS appraised_value, c.appraisal_reference,
       c.project_id::text AS project_id, c.contribution_id::text AS contribution_id, c.contribution_entry_id::text AS contribution_entry_id, c.created_by::text AS created_by,
       c.created_at, c.activated_at, c.terminated_on::text AS terminated_on, c.termination_reason, c.cancellation_reason, c.settlement, c.closed_at,
       ARRAY(SELECT cp.parcel_id::text FROM land_use_contract_parcels cp WHERE cp.contract_id = c.id ORDER BY cp.parcel_id) AS parcel_ids
  FROM land_use_contracts c LEFT JOIN land_use_contracts r ON r.id = c.renews_contract_id`;

/** The contract `code`, or null; `lock` takes its row FOR UPDATE first (every write does). */
export async function contractByCode(em: EntityManager, code: string, options: { lock?: boolean } = {}): Promise<ContractRow | null> {
  if (options.lock) await em.query(`SELECT 1 FROM land_use_contracts WHERE code = $1 FOR UPDATE`, [code]);
  const [row] = await em.query<ContractRow[]>(`${CONTRACT_SELECT} WHERE c.code = $1`, [code]);
  return row ?? null;
}

/** Contracts by code, at most `limit`; `partyId` matches the lessor or the lessee; `lessorPartyId` is the caller's scope. */
export async function listContracts(
  em: EntityManager,
  filter: { state: LandUseState | null; mode: LandUseMode | null; partyId: string | null; lessorPartyId: string | null; limit: number },
): Promise<ContractRow[]> {
  return await em.query<ContractRow[]>(
    `${CONTRACT_SELECT}
      WHERE ($1::text IS NULL OR c.state = $1)
        AND ($2::text IS NULL OR c.mode = $2)
        AND ($3::bigint IS NULL OR $3::bigint IN (c.lessor_party_id, c.lessee_party_id))
        AND ($4::bigint IS NULL OR c.lessor_party_id = $4::bigint)
      ORDER BY c.code LIMIT $5`,
    [filter.state, filter.mode, filter.partyId, filter.lessorPartyId, filter.limit],
  );
}

/** Whether contract `code` exists with this lessor. */
export async function isLessorsContract(em: EntityManager, code: string, lessorPartyId: string): Promise<boolean> {
  const rows = await em.query<unknown[]>(`SELECT 1 FROM land_use_contracts WHERE code = $1 AND lessor_party_id = $2::bigint`, [code, lessorPartyId]);
  return rows.length > 0;
}

/** The codes of the ACTIVE rent contracts (not EQUITY), oldest first. */
export async function activeRentContractCodes(em: EntityManager): Promise<string[]> {
  const rows = await em.query<Array<{ code: string }>>(`SELECT code FROM land_use_contracts WHERE state = 'ACTIVE' AND mode <> 'EQUITY' ORDER BY id`);
  return rows.map((r) => r.code);
}

/** DRAFT or ACTIVE contracts holding any of the parcels on a day from `startDate` to `endDate`: parcel id and contract code. */
export async function contractsHoldingParcels(em: EntityManager, parcelIds: string[], startDate: string, endDate: string): Promise<Array<{ parcel_id: string; code: string }>> {
  return await em.query<Array<{ parcel_id: string; code: string }>>(
    `SELECT cp.parcel_id::text AS parcel_id, c.code FROM land_use_contract_parcels cp JOIN land_use_contracts c ON c.id = cp.contract_id
      WHERE cp.parcel_id = ANY($1::bigint[]) AND c.state IN ('DRAFT', 'ACTIVE') AND c.start_date <= $3::date AND COALESCE(c.terminated_on, c.end_date) >= $2::date`,
    [parcelIds, startDate, endDate],
  );
}

export interface ContractInsert {
  code: string;
  lessorPartyId: string;
  lesseePartyId: string;
  mode: LandUseMode;
  areaMu: string;
  permittedUses: PermittedUse[];
  otherUse: string | null;
  startDate: string;
  endDate: string;
  renewsContractId: string | null;
  rentBasis: 'PER_MU' | 'FIXED' | null;
  ratePerMu: string | null;
  annualAmount: string | null;
  escalation: Escalation;
  frequency: BillingFrequency | null;
  deposit: string;
  dailyRate: string;
  capRatio: string;
  appraisedValue: string | null;
  appraisalReference: string | null;
  createdBy: string;
  projectId: string | null;
  parcelIds: string[];
}

/** Inserts a DRAFT contract and its parcels; null if the code is taken. */
export async function insertContract(em: EntityManager, c: ContractInsert): Promise<string | null> {
  const [row] = await em.query<Array<{ id: string }>>(
    `INSERT INTO land_use_contracts (code, lessor_party_id, lessee_party_id, mode, area_mu, permitted_uses, other_use, start_date, end_date, renews_contract_id,
                                     rent_basis, rent_rate_per_mu, rent_annual_amount, escalation_kind, escalation_every_years, escalation_step, escalation_percent,
                                     billing_frequency, deposit_amount, late_fee_daily_rate, late_fee_cap_ratio, appraised_value, appraisal_reference, created_by, project_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
     ON CONFLICT (code) DO NOTHING RETURNING id::text AS id`,
    [
      c.code,
      c.lessorPartyId,
      c.lesseePartyId,
      c.mode,
      c.areaMu,
      c.permittedUses,
      c.otherUse,
      c.startDate,
      c.endDate,
      c.renewsContractId,
      c.rentBasis,
      c.ratePerMu,
      c.annualAmount,
      c.escalation.kind,
      c.escalation.kind === 'NONE' ? null : c.escalation.everyYears,
      c.escalation.kind === 'STEP' ? c.escalation.step : null,
      c.escalation.kind === 'PERCENT' ? c.escalation.percent : null,
      c.frequency,
      c.deposit,
      c.dailyRate,
      c.capRatio,
      c.appraisedValue,
      c.appraisalReference,
      c.createdBy,
      c.projectId,
    ],
  );
  if (!row) return null;
  await em.query(`INSERT INTO land_use_contract_parcels (contract_id, parcel_id) SELECT $1, unnest($2::bigint[])`, [row.id, c.parcelIds]);
  return row.id;
}

export async function setDepositReceived(em: EntityManager, contractId: string, entryId: string, receivedOn: string): Promise<void> {
  await em.query(`UPDATE land_use_contracts SET deposit_entry_id = $2, deposit_received_on = $3 WHERE id = $1`, [contractId, entryId, receivedOn]);
}

/** DRAFT → ACTIVE; an EQUITY contract with its contribution and that contribution's entry. */
export async function markActive(em: EntityManager, contractId: string, contribution: { id: string; entryId: string } | null): Promise<void> {
  await em.query(`UPDATE land_use_contracts SET state = 'ACTIVE', activated_at = now(), contribution_id = $2, contribution_entry_id = $3 WHERE id = $1`, [
    contractId,
    contribution?.id ?? null,
    contribution?.entryId ?? null,
  ]);
}

/** Closes the contract: TERMINATED (with the day and reason), ENDED or CANCELLED (with the reason), its settlement stored. */
export async function markClosed(
  em: EntityManager,
  contractId: string,
  close: { state: 'TERMINATED'; terminatedOn: string; reason: string } | { state: 'ENDED' } | { state: 'CANCELLED'; reason: string },
  settlement: object,
): Promise<void> {
  const json = JSON.stringify(settlement);
  if (close.state === 'TERMINATED') {
    await em.query(`UPDATE land_use_contracts SET state = 'TERMINATED', terminated_on = $2, termination_reason = $3, settlement = $4, closed_at = now() WHERE id = $1`, [
      contractId,
      close.terminatedOn,
      close.reason,
      json,
    ]);
  } else if (close.state === 'ENDED') {
    await em.query(`UPDATE land_use_contracts SET state = 'ENDED', settlement = $2, closed_at = now() WHERE id = $1`, [contractId, json]);
  } else {
    await em.query(`UPDATE land_use_contracts SET state = 'CANCELLED', cancellation_reason = $2, settlement = $3, closed_at = now() WHERE id = $1`, [
      contractId,
      close.reason,
      json,
    ]);
  }
}

/** The register's figures of every contract, by code: scheduled rent (periods not cancelled) and what is outstanding. */
export async function registerRows(em: EntityManager): Promise<Array<{ contract: ContractRow; scheduled_rent: string; outstanding: string }>> {
  const rows = await em.query<Array<ContractRow & { scheduled_rent: string; outstanding: string }>>(
    `SELECT x.*, COALESCE((SELECT sum(p.amount) FROM land_use_periods p WHERE p.contract_id = x.id::bigint AND p.state <> 'CANCELLED'), 0)::text AS scheduled_rent,
            COALESCE((SELECT sum(r.amount - r.settled - r.waived - r.credited) FROM land_use_receivables r WHERE r.contract_id = x.id::bigint), 0)::text AS outstanding
       FROM (${CONTRACT_SELECT}) x ORDER BY x.code`,
  );
  return rows.map(({ scheduled_rent, outstanding, ...contract }) => ({ contract, scheduled_rent, outstanding }));
}

/**
 * Money through the bank per calendar year, from land use's own records: rent payments, deposits
 * received, and at each close the deposit returned and the credit refunded (amounts > 0 only).
 */
export async function cashRows(em: EntityManager): Promise<Array<{ year: number; what: 'RENT' | 'DEPOSIT_RECEIVED' | 'DEPOSIT_RETURNED' | 'CREDIT_REFUNDED'; amount: string }>> {
  return await em.query<Array<{ year: number; what: 'RENT' | 'DEPOSIT_RECEIVED' | 'DEPOSIT_RETURNED' | 'CREDIT_REFUNDED'; amount: string }>>(
    `SELECT extract(year FROM s.effective_date)::int AS year, 'RENT' AS what, sum(s.amount)::text AS amount FROM land_use_settlements s WHERE s.source = 'PAYMENT' GROUP BY 1
     UNION ALL
     SELECT extract(year FROM c.deposit_received_on)::int, 'DEPOSIT_RECEIVED', sum(c.deposit_amount)::text FROM land_use_contracts c WHERE c.deposit_received_on IS NOT NULL GROUP BY 1
     UNION ALL
     SELECT extract(year FROM (c.settlement->>'closedOn')::date)::int, 'DEPOSIT_RETURNED', sum((c.settlement->>'depositReturned')::numeric)::text
       FROM land_use_contracts c WHERE (c.settlement->>'depositReturned')::numeric > 0 GROUP BY 1
     UNION ALL
     SELECT extract(year FROM (c.settlement->>'closedOn')::date)::int, 'CREDIT_REFUNDED', sum((c.settlement->>'creditRefunded')::numeric)::text
       FROM land_use_contracts c WHERE (c.settlement->>'creditRefunded')::numeric > 0 GROUP BY 1`,
  );
}

/** The state-land use contracts holding the parcel, from their start to their end (or termination), oldest first. */
export async function landUseClaimsOnParcel(em: EntityManager, parcelId: string): Promise<Array<{ code: string; name: null; state: LandUseState; from: string; to: string }>> {
  return await em.query<Array<{ code: string; name: null; state: LandUseState; from: string; to: string }>>(
    `SELECT c.code, NULL AS name, c.state, to_char(c.start_date, 'YYYY-MM-DD') AS "from", to_char(COALESCE(c.terminated_on, c.end_date), 'YYYY-MM-DD') AS "to"
       FROM land_use_contract_parcels cp JOIN land_use_contracts c ON c.id = cp.contract_id WHERE cp.parcel_id = $1 ORDER BY c.start_date, c.code`,
    [parcelId],
  );
}
