import { EntityManager } from 'typeorm';
import type { CarbonStandard, RetirementPurpose } from './carbon.model';
import type { SerialRangeText } from './carbon.types';

/** SQL of carbon_retirements: the only code naming it, with its row type. */

/** A row of carbon_retirements with its issuance's vintage and its project. */
export interface RetirementRow {
  id: string;
  certificate_no: string;
  project: string;
  project_name: string;
  standard: CarbonStandard;
  external_id: string | null;
  vintage: string;
  vintage_start: string;
  vintage_end: string;
  quantity: string;
  serial_ranges: SerialRangeText[];
  retiring_party_id: string;
  beneficiary_name: string;
  publish_beneficiary: boolean;
  purpose: RetirementPurpose;
  event_name: string | null;
  event_emissions: string | null;
  retired_on: string;
  content_hash: string;
  verification_code: string;
  entry_id: string;
}

const RETIREMENT_SELECT = `SELECT r.id::text AS id, r.certificate_no, p.code AS project, p.name AS project_name, p.standard, p.external_id, i.vintage,
       to_char(i.vintage_start, 'YYYY-MM-DD') AS vintage_start, to_char(i.vintage_end, 'YYYY-MM-DD') AS vintage_end, r.quantity::text AS quantity,
       r.serial_ranges, r.retiring_party_id::text AS retiring_party_id, r.beneficiary_name, r.publish_beneficiary, r.purpose, r.event_name,
       r.event_emissions::text AS event_emissions, to_char(r.effective_date, 'YYYY-MM-DD') AS retired_on, r.content_hash, r.verification_code, r.entry_id::text AS entry_id
  FROM carbon_retirements r JOIN carbon_issuances i ON i.id = r.issuance_id JOIN carbon_projects p ON p.id = i.project_id`;

/** Which retirement(s): by id, by entry, by certificate number (and its verification code), or all of a project by certificate number. */
export type RetirementKey = { id: string } | { entryId: string } | { certificateNo: string; verificationCode?: string } | { projectId: string };

export async function retirementRows(em: EntityManager, key: RetirementKey): Promise<RetirementRow[]> {
  if ('id' in key) {
    if (!/^\d{1,18}$/.test(String(key.id))) return [];
    return await em.query<RetirementRow[]>(`${RETIREMENT_SELECT} WHERE r.id = $1`, [key.id]);
  }
  if ('entryId' in key) return await em.query<RetirementRow[]>(`${RETIREMENT_SELECT} WHERE r.entry_id = $1`, [key.entryId]);
  if ('projectId' in key) return await em.query<RetirementRow[]>(`${RETIREMENT_SELECT} WHERE i.project_id = $1 ORDER BY r.certificate_seq`, [key.projectId]);
  if (key.verificationCode !== undefined) {
    return await em.query<RetirementRow[]>(`${RETIREMENT_SELECT} WHERE r.certificate_no = $1 AND r.verification_code = $2`, [key.certificateNo, key.verificationCode]);
  }
  return await em.query<RetirementRow[]>(`${RETIREMENT_SELECT} WHERE r.certificate_no = $1`, [key.certificateNo]);
}

/** The next certificate number's sequence; holds a transaction lock so numbers stay gapless (one writer at a time, released at commit or rollback). */
export async function nextCertificateSeq(em: EntityManager): Promise<number> {
  await em.query(`SELECT pg_advisory_xact_lock(hashtext('carbon_retirement_certificate_seq'))`);
  const [{ seq }] = await em.query<Array<{ seq: number }>>(`SELECT COALESCE(max(certificate_seq), 0) + 1 AS seq FROM carbon_retirements`);
  return seq;
}

export async function insertRetirement(
  em: EntityManager,
  r: {
    certificateSeq: number;
    certificateNo: string;
    issuanceId: string;
    retiringPartyId: string;
    beneficiaryName: string;
    publishBeneficiary: boolean;
    purpose: RetirementPurpose;
    eventName: string | null;
    eventEmissions: string | null;
    quantity: bigint;
    serialRanges: SerialRangeText[];
    effectiveDate: string;
    contentHash: string;
    verificationCode: string;
    entryId: string;
  },
): Promise<string> {
  const [{ id }] = await em.query<Array<{ id: string }>>(
    `INSERT INTO carbon_retirements (certificate_seq, certificate_no, issuance_id, retiring_party_id, beneficiary_name, publish_beneficiary, purpose, event_name, event_emissions,
                                     quantity, serial_ranges, effective_date, content_hash, verification_code, entry_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id::text AS id`,
    [
      r.certificateSeq,
      r.certificateNo,
      r.issuanceId,
      r.retiringPartyId,
      r.beneficiaryName,
      r.publishBeneficiary,
      r.purpose,
      r.eventName,
      r.eventEmissions,
      r.quantity.toString(),
      JSON.stringify(r.serialRanges),
      r.effectiveDate,
      r.contentHash,
      r.verificationCode,
      r.entryId,
    ],
  );
  return id;
}
