import { EntityManager } from 'typeorm';
import { ContractState } from './subsidy.model';
import { TransferMode } from './subsidy-rules';

/** The only code that names transfer_contracts and transfer_contract_parcels in SQL. */

/** A contract row: parties and township by id (their codes and names come from the parties and regions features). */
export interface ContractRow {
  id: string;
  code: string;
  state: ContractState;
  transferor_party_id: string;
  transferee_party_id: string;
  township_id: string;
  mode: TransferMode;
  area_mu: string;
  start_date: string;
  end_date: string;
  price_terms: string;
  annual_amount: string | null;
  platform_reference: string | null;
  certificate_no: string | null;
  certificate_issued_on: string | null;
  ended_on: string | null;
  terminated_on: string | null;
  termination_reason: string | null;
}

export interface ContractInsert {
  code: string;
  transferorPartyId: string;
  transfereePartyId: string;
  townshipId: string;
  mode: TransferMode;
  areaMu: string;
  startDate: string;
  endDate: string;
  priceTerms: string;
  annualAmount: string | null;
  platformReference: string | null;
}

const CONTRACT_SELECT = `SELECT c.id, c.code, c.state, c.transferor_party_id, c.transferee_party_id, c.township_id, c.mode, c.area_mu::text AS area_mu,
       to_char(c.start_date, 'YYYY-MM-DD') AS start_date, to_char(c.end_date, 'YYYY-MM-DD') AS end_date, c.price_terms, c.annual_amount::text AS annual_amount,
       c.platform_reference, c.certificate_no, to_char(c.certificate_issued_on, 'YYYY-MM-DD') AS certificate_issued_on, to_char(c.ended_on, 'YYYY-MM-DD') AS ended_on,
       to_char(c.terminated_on, 'YYYY-MM-DD') AS terminated_on, c.termination_reason
  FROM transfer_contracts c`;

/** The new contract's id, or null when its number is taken. */
export async function insertContract(em: EntityManager, c: ContractInsert): Promise<string | null> {
  const [row] = await em.query<Array<{ id: string }>>(
    `INSERT INTO transfer_contracts (code, transferor_party_id, transferee_party_id, township_id, mode, area_mu, start_date, end_date, price_terms, annual_amount, platform_reference)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (code) DO NOTHING RETURNING id`,
    [c.code, c.transferorPartyId, c.transfereePartyId, c.townshipId, c.mode, c.areaMu, c.startDate, c.endDate, c.priceTerms, c.annualAmount, c.platformReference],
  );
  return row?.id ?? null;
}

export async function insertContractParcels(em: EntityManager, contractId: string, parcelIds: string[]): Promise<void> {
  await em.query(`INSERT INTO transfer_contract_parcels (contract_id, parcel_id) SELECT $1, unnest($2::bigint[])`, [contractId, parcelIds]);
}

/** The contract with this number; `lock` takes its row FOR UPDATE. */
export async function selectContract(em: EntityManager, code: string, lock = false): Promise<ContractRow | undefined> {
  const [row] = await em.query<ContractRow[]>(`${CONTRACT_SELECT} WHERE c.code = $1 ${lock ? 'FOR UPDATE' : ''}`, [code]);
  return row;
}

export async function selectContractsByIds(em: EntityManager, ids: readonly string[]): Promise<ContractRow[]> {
  if (ids.length === 0) return [];
  return await em.query<ContractRow[]>(`${CONTRACT_SELECT} WHERE c.id = ANY($1::bigint[])`, [Array.from(new Set(ids))]);
}

/** Contracts by number, at most `limit`, optionally in a state, in these townships, with this party on either side. */
export async function selectContracts(
  em: EntityManager,
  filter: { state: ContractState | null; townshipIds: string[] | null; partyId: string | null; limit: number },
): Promise<ContractRow[]> {
  return await em.query<ContractRow[]>(
    `${CONTRACT_SELECT}
      WHERE ($1::text IS NULL OR c.state = $1) AND ($2::bigint[] IS NULL OR c.township_id = ANY($2::bigint[]))
        AND ($3::bigint IS NULL OR $3::bigint IN (c.transferor_party_id, c.transferee_party_id))
      ORDER BY c.code LIMIT $4`,
    [filter.state, filter.townshipIds, filter.partyId, filter.limit],
  );
}

/** Parcel ids of these contracts, by parcel id. */
export async function selectContractParcels(em: EntityManager, contractIds: readonly string[]): Promise<Array<{ contract_id: string; parcel_id: string }>> {
  if (contractIds.length === 0) return [];
  return await em.query<
    Array<{
      contract_id: string;
      parcel_id: string;
    }>
  >(`SELECT contract_id, parcel_id FROM transfer_contract_parcels WHERE contract_id = ANY($1::bigint[]) ORDER BY parcel_id`, [contractIds]);
}

/** Contracts in force (REGISTERED or ACTIVE) over any day of [start, end] holding any of these parcels: (contract number, parcel id), by number. */
export async function selectBusyParcels(em: EntityManager, parcelIds: string[], start: string, end: string): Promise<Array<{ code: string; parcel_id: string }>> {
  return await em.query<Array<{ code: string; parcel_id: string }>>(
    `SELECT DISTINCT c.code, cp.parcel_id FROM transfer_contract_parcels cp JOIN transfer_contracts c ON c.id = cp.contract_id
      WHERE cp.parcel_id = ANY($1::bigint[]) AND c.state IN ('REGISTERED', 'ACTIVE') AND c.start_date <= $3::date AND c.end_date >= $2::date ORDER BY c.code`,
    [parcelIds, start, end],
  );
}

export async function updateContractState(em: EntityManager, id: string, state: ContractState): Promise<void> {
  await em.query(`UPDATE transfer_contracts SET state = $2 WHERE id = $1`, [id, state]);
}

export async function updateContractCertificate(em: EntityManager, id: string, certificateNo: string, issuedOn: string): Promise<void> {
  await em.query(`UPDATE transfer_contracts SET certificate_no = $2, certificate_issued_on = $3 WHERE id = $1`, [id, certificateNo, issuedOn]);
}

export async function updateContractEnded(em: EntityManager, id: string, endedOn: string): Promise<void> {
  await em.query(`UPDATE transfer_contracts SET state = 'ENDED', ended_on = $2 WHERE id = $1`, [id, endedOn]);
}

export async function updateContractTerminated(em: EntityManager, id: string, terminatedOn: string, reason: string): Promise<void> {
  await em.query(`UPDATE transfer_contracts SET state = 'TERMINATED', terminated_on = $2, termination_reason = $3 WHERE id = $1`, [id, terminatedOn, reason]);
}

/** The transfer contracts (流转) holding the parcel, from their start to their end (or the day they ended or were terminated), oldest first. */
export async function transferClaimsOnParcel(em: EntityManager, parcelId: string): Promise<Array<{ code: string; name: null; state: ContractState; from: string; to: string }>> {
  return await em.query<Array<{ code: string; name: null; state: ContractState; from: string; to: string }>>(
    `SELECT c.code, NULL AS name, c.state, to_char(c.start_date, 'YYYY-MM-DD') AS "from", to_char(LEAST(c.end_date, c.ended_on, c.terminated_on), 'YYYY-MM-DD') AS "to"
       FROM transfer_contract_parcels cp JOIN transfer_contracts c ON c.id = cp.contract_id WHERE cp.parcel_id = $1 ORDER BY c.start_date, c.code`,
    [parcelId],
  );
}
