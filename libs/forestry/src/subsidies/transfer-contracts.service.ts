import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, Dec, isIsoDate } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { ParcelsService } from '../parcels/parcels.service';
import { partyRefs } from '../projects/party-refs';
import { SubsidyError } from './subsidies.errors';
import { ContractState } from './subsidy.model';
import { termYears, TRANSFER_MODES, TransferMode } from './subsidy-rules';

export const CONTRACT_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._()\-\u4e00-\u9fff]{0,79}$/;
/** Seed 000_…: an operating-rights certificate (经营权证书) goes to transfers of 5 years or more. */
export const OPERATING_CERTIFICATE_MIN_YEARS = 5;
const AREA_SCALE = 4;

export interface CreateContractInput {
  /** Registered contract number (备案编号). */
  code: string;
  transferorCode: string;
  transfereeCode: string;
  parcelIds: string[];
  /** 亩, up to 4 decimals, at most the parcels' total. */
  areaMu: string;
  mode: TransferMode;
  startDate: string;
  /** The last day in force; within the transferor's rights term on every parcel. */
  endDate: string;
  priceTerms: string;
  /** CNY per year, if the terms fix one. */
  annualAmount?: string;
  platformReference?: string;
}

export interface ContractView {
  id: string;
  code: string;
  state: ContractState;
  transferor: { code: string; name: string; kind: string };
  transferee: { code: string; name: string; kind: string };
  township: { code: string; name: string };
  parcels: Array<{ id: string; certificateNo: string; areaMu: string; rightsEnd: string }>;
  parcelsAreaMu: string;
  areaMu: string;
  mode: TransferMode;
  startDate: string;
  endDate: string;
  termYears: number;
  priceTerms: string;
  annualAmount: string | null;
  platformReference: string | null;
  certificate: { number: string; issuedOn: string } | null;
  endedOn: string | null;
  terminatedOn: string | null;
  terminationReason: string | null;
}

/** A contract row as the subsidy services need it. */
export interface ContractRecord {
  id: string;
  code: string;
  state: ContractState;
  transferor_code: string;
  transferor_kind: string;
  transferee_code: string;
  transferee_kind: string;
  township_id: string;
  area_mu: string;
  mode: TransferMode;
  start_date: string;
  end_date: string;
  terminated_on: string | null;
}

const CONTRACT_SELECT = `SELECT c.id, c.code, c.state, c.township_id, c.area_mu::text AS area_mu, c.mode,
       to_char(c.start_date, 'YYYY-MM-DD') AS start_date, to_char(c.end_date, 'YYYY-MM-DD') AS end_date,
       to_char(c.terminated_on, 'YYYY-MM-DD') AS terminated_on,
       f.code AS transferor_code, f.kind AS transferor_kind, e.code AS transferee_code, e.kind AS transferee_kind
  FROM transfer_contracts c JOIN parties f ON f.id = c.transferor_party_id JOIN parties e ON e.id = c.transferee_party_id`;

/** Filters of a contract listing (each optional but the limit). */
export interface ContractFilter {
  state?: ContractState;
  /** A township, or a county: its townships. */
  region?: string;
  /** Transferor or transferee. */
  party?: string;
  limit: number;
}

interface ContractViewRow {
  id: string;
  code: string;
  state: ContractState;
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
  f_code: string;
  f_name: string;
  f_kind: string;
  e_code: string;
  e_name: string;
  e_kind: string;
  t_code: string;
  t_name: string;
}

const CONTRACT_VIEW_SELECT = `SELECT c.id, c.code, c.state, c.mode, c.area_mu::text AS area_mu, to_char(c.start_date, 'YYYY-MM-DD') AS start_date, to_char(c.end_date, 'YYYY-MM-DD') AS end_date,
       c.price_terms, c.annual_amount::text AS annual_amount, c.platform_reference, c.certificate_no, to_char(c.certificate_issued_on, 'YYYY-MM-DD') AS certificate_issued_on,
       to_char(c.ended_on, 'YYYY-MM-DD') AS ended_on, to_char(c.terminated_on, 'YYYY-MM-DD') AS terminated_on, c.termination_reason,
       f.code AS f_code, f.name AS f_name, f.kind AS f_kind, e.code AS e_code, e.name AS e_name, e.kind AS e_kind, t.code AS t_code, t.name AS t_name
  FROM transfer_contracts c JOIN parties f ON f.id = c.transferor_party_id JOIN parties e ON e.id = c.transferee_party_id JOIN regions t ON t.id = c.township_id`;

export function invalidContract(message: string, field: string): SubsidyError {
  return new SubsidyError('INVALID_CONTRACT', message, field);
}

export function subsidyText(
  value: unknown,
  field: string,
  max = 200,
  code: 'INVALID_CONTRACT' | 'INVALID_PROGRAMME' | 'INVALID_RULE' | 'INVALID_CLAIM' = 'INVALID_CONTRACT',
): string {
  if (typeof value !== 'string' || value.trim() === '') throw new SubsidyError(code, `${field} must be a non-empty text`, field);
  if (value.length > max) throw new SubsidyError(code, `${field} must be at most ${max} characters`, field);
  return value.trim();
}

export function subsidyDate(value: unknown, field: string, code: 'INVALID_CONTRACT' | 'INVALID_PROGRAMME' | 'INVALID_RULE' | 'INVALID_CLAIM' = 'INVALID_CONTRACT'): string {
  if (typeof value !== 'string' || !isIsoDate(value)) throw new SubsidyError(code, `${field} must be a calendar date YYYY-MM-DD`, field);
  return value;
}

/** Transfer contracts (林权流转合同, DOMAIN.md §6). Every write runs in the caller's transaction (`em`). */
@Injectable()
export class TransferContractsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly parcels: ParcelsService,
  ) {}

  /** Registers a contract. Locks its parcels so two contracts cannot both find them free. */
  async create(em: EntityManager, input: CreateContractInput): Promise<ContractView> {
    const code = subsidyText(input.code, 'code', 80);
    if (!CONTRACT_CODE_PATTERN.test(code)) throw invalidContract('code must be 1-80 of letters, digits, Chinese characters, ".", "_", "-", "(", ")"', 'code');
    if (!TRANSFER_MODES.includes(input.mode)) throw invalidContract(`mode must be one of ${TRANSFER_MODES.join(', ')} (出租 / 入股 / 合作 / 转包)`, 'mode');
    const areaMu = Amount.parsePositive(input.areaMu, AREA_SCALE, 'areaMu').value;
    const startDate = subsidyDate(input.startDate, 'startDate');
    const endDate = subsidyDate(input.endDate, 'endDate');
    if (endDate < startDate) throw invalidContract('endDate must not be before startDate', 'endDate');
    const priceTerms = subsidyText(input.priceTerms, 'priceTerms', 2000);
    const annualAmount = input.annualAmount === undefined ? null : Amount.parse(input.annualAmount, 2, 'annualAmount').value.toFixed(2);
    const platformReference = input.platformReference === undefined ? null : subsidyText(input.platformReference, 'platformReference', 100);
    if (input.transferorCode === input.transfereeCode) throw invalidContract('transferor and transferee must be different parties', 'transfereeCode');

    const parties = await partyRefs(em, [input.transferorCode, input.transfereeCode]);
    for (const [field, partyCode] of [
      ['transferorCode', input.transferorCode],
      ['transfereeCode', input.transfereeCode],
    ] as const) {
      const party = parties.get(partyCode);
      if (!party) throw invalidContract(`no party with code ${JSON.stringify(partyCode)}`, field);
      if (!party.active) throw new SubsidyError('WRONG_PARTY_KIND', `party ${partyCode} is deactivated`, field);
      if (party.kind === 'GOVERNMENT_FUND' || party.kind === 'BANK') throw new SubsidyError('WRONG_PARTY_KIND', `a ${party.kind} cannot be a party to a transfer contract`, field);
    }
    const transferor = parties.get(input.transferorCode)!;
    const transferee = parties.get(input.transfereeCode)!;

    if (!Array.isArray(input.parcelIds) || input.parcelIds.length === 0) throw invalidContract('parcelIds must list at least one parcel', 'parcelIds');
    await em.query(`SELECT 1 FROM parcels WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`, [
      input.parcelIds.filter((id) => typeof id === 'string' && /^\d{1,18}$/.test(id)),
    ]);
    const parcels = await this.parcels.assertAttachable(em, input.parcelIds, 'TRANSFER_CONTRACT');
    const details = (await em.query(
      `SELECT p.id, p.certificate_no, p.holder_party_id, to_char(p.rights_start, 'YYYY-MM-DD') AS rights_start, to_char(p.rights_end, 'YYYY-MM-DD') AS rights_end, v.parent_id AS township_id
         FROM parcels p JOIN regions v ON v.id = p.village_id WHERE p.id = ANY($1::bigint[]) ORDER BY p.id`,
      [parcels.map((p) => p.id)],
    )) as Array<{ id: string; certificate_no: string; holder_party_id: string; rights_start: string; rights_end: string; township_id: string }>;
    const notHeld = details.filter((d) => d.holder_party_id !== transferor.id);
    if (notHeld.length > 0) {
      throw new SubsidyError(
        'PARCEL_NOT_HELD_BY_TRANSFEROR',
        `parcel(s) not held by the transferor ${transferor.code}: ${notHeld.map((d) => d.certificate_no).join(', ')}`,
        'parcelIds',
        {
          parcels: notHeld.map((d) => d.id),
        },
      );
    }
    const beyond = details.filter((d) => endDate > d.rights_end || startDate < d.rights_start);
    if (beyond.length > 0) {
      throw new SubsidyError(
        'BEYOND_RIGHTS_TERM',
        `the contract (${startDate} – ${endDate}) must lie within the transferor's rights term on every parcel: ${beyond.map((d) => `${d.certificate_no} (${d.rights_start} – ${d.rights_end})`).join(', ')}`,
        'endDate',
        { parcels: beyond.map((d) => ({ parcelId: d.id, rightsStart: d.rights_start, rightsEnd: d.rights_end })) },
      );
    }
    const townships = new Set(details.map((d) => d.township_id));
    if (townships.size !== 1)
      throw new SubsidyError('PARCELS_IN_SEVERAL_TOWNSHIPS', 'the parcels of one contract must lie in one township (register one contract per township)', 'parcelIds');
    const busy = (await em.query(
      `SELECT DISTINCT c.code, pa.certificate_no FROM transfer_contract_parcels cp JOIN transfer_contracts c ON c.id = cp.contract_id JOIN parcels pa ON pa.id = cp.parcel_id
        WHERE cp.parcel_id = ANY($1::bigint[]) AND c.state IN ('REGISTERED', 'ACTIVE') AND c.start_date <= $3::date AND c.end_date >= $2::date ORDER BY c.code`,
      [parcels.map((p) => p.id), startDate, endDate],
    )) as Array<{ code: string; certificate_no: string }>;
    if (busy.length > 0) {
      throw new SubsidyError(
        'PARCEL_ALREADY_TRANSFERRED',
        `parcel(s) already transferred over these dates: ${busy.map((b) => `${b.certificate_no} (${b.code})`).join(', ')}`,
        'parcelIds',
        { contracts: busy.map((b) => b.code) },
      );
    }
    const parcelsArea = parcels.reduce((sum, p) => sum.plus(p.areaMu), new Dec(0));
    if (areaMu.greaterThan(parcelsArea)) {
      throw new SubsidyError('AREA_EXCEEDS_PARCELS', `areaMu ${areaMu.toFixed(AREA_SCALE)} is more than the parcels' ${parcelsArea.toFixed(AREA_SCALE)} 亩`, 'areaMu', {
        parcelsAreaMu: parcelsArea.toFixed(AREA_SCALE),
      });
    }
    const [row] = (await em.query(
      `INSERT INTO transfer_contracts (code, transferor_party_id, transferee_party_id, township_id, mode, area_mu, start_date, end_date, price_terms, annual_amount, platform_reference)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (code) DO NOTHING RETURNING id`,
      [code, transferor.id, transferee.id, [...townships][0], input.mode, areaMu.toFixed(AREA_SCALE), startDate, endDate, priceTerms, annualAmount, platformReference],
    )) as Array<{ id: string }>;
    if (!row) throw new SubsidyError('CONTRACT_EXISTS', `a contract with number ${code} is registered already`, 'code');
    await em.query(`INSERT INTO transfer_contract_parcels (contract_id, parcel_id) SELECT $1, unnest($2::bigint[])`, [row.id, parcels.map((p) => p.id)]);
    return this.get(code, em);
  }

  /** Reads the contract; `lock` takes its row FOR UPDATE (state changes, claims). */
  async load(em: EntityManager, code: string, options: { lock?: boolean } = {}): Promise<ContractRecord> {
    if (options.lock) await em.query(`SELECT 1 FROM transfer_contracts WHERE code = $1 FOR UPDATE`, [code]);
    const [row] = (await em.query(`${CONTRACT_SELECT} WHERE c.code = $1`, [code])) as ContractRecord[];
    if (!row) throw new SubsidyError('UNKNOWN_CONTRACT', `no transfer contract with number ${JSON.stringify(code)}`, 'contract');
    return row;
  }

  async get(code: string, em: EntityManager = this.dataSource.manager): Promise<ContractView> {
    const rows = (await em.query(`${CONTRACT_VIEW_SELECT} WHERE c.code = $1`, [code])) as ContractViewRow[];
    if (rows.length === 0) throw new SubsidyError('UNKNOWN_CONTRACT', `no transfer contract with number ${JSON.stringify(code)}`, 'contract');
    const [view] = await this.views(em, rows);
    return view;
  }

  /** Contracts by number, at most `filter.limit`, optionally by state, township or county, and party; two queries whatever their number. */
  async list(filter: ContractFilter, em: EntityManager = this.dataSource.manager): Promise<ContractView[]> {
    const rows = (await em.query(
      `${CONTRACT_VIEW_SELECT}
        WHERE ($1::text IS NULL OR c.state = $1)
          AND ($2::text IS NULL OR t.code = $2 OR t.parent_id IN (SELECT id FROM regions WHERE code = $2))
          AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM parties p WHERE p.code = $3 AND p.id IN (c.transferor_party_id, c.transferee_party_id)))
        ORDER BY c.code LIMIT $4`,
      [filter.state ?? null, filter.region ?? null, filter.party ?? null, filter.limit],
    )) as ContractViewRow[];
    return this.views(em, rows);
  }

  /** The views of contract rows in their order, with their parcels in one query. */
  private async views(em: EntityManager, rows: ContractViewRow[]): Promise<ContractView[]> {
    if (rows.length === 0) return [];
    const parcels = (await em.query(
      `SELECT cp.contract_id, p.id, p.certificate_no, p.area_mu::text AS area_mu, to_char(p.rights_end, 'YYYY-MM-DD') AS rights_end
         FROM transfer_contract_parcels cp JOIN parcels p ON p.id = cp.parcel_id WHERE cp.contract_id = ANY($1::bigint[]) ORDER BY p.id`,
      [rows.map((r) => r.id)],
    )) as Array<{ contract_id: string; id: string; certificate_no: string; area_mu: string; rights_end: string }>;
    return rows.map((row) => {
      const own = parcels.filter((p) => p.contract_id === row.id);
      return {
        id: row.id,
        code: row.code,
        state: row.state,
        transferor: { code: row.f_code, name: row.f_name, kind: row.f_kind },
        transferee: { code: row.e_code, name: row.e_name, kind: row.e_kind },
        township: { code: row.t_code, name: row.t_name },
        parcels: own.map((p) => ({ id: p.id, certificateNo: p.certificate_no, areaMu: new Dec(p.area_mu).toFixed(AREA_SCALE), rightsEnd: p.rights_end })),
        parcelsAreaMu: own.reduce((sum, p) => sum.plus(p.area_mu), new Dec(0)).toFixed(AREA_SCALE),
        areaMu: new Dec(row.area_mu).toFixed(AREA_SCALE),
        mode: row.mode,
        startDate: row.start_date,
        endDate: row.end_date,
        termYears: termYears(row.start_date, row.end_date),
        priceTerms: row.price_terms,
        annualAmount: row.annual_amount === null ? null : new Dec(row.annual_amount).toFixed(2),
        platformReference: row.platform_reference,
        certificate: row.certificate_no === null ? null : { number: row.certificate_no, issuedOn: row.certificate_issued_on as string },
        endedOn: row.ended_on,
        terminatedOn: row.terminated_on,
        terminationReason: row.termination_reason,
      };
    });
  }

  /** REGISTERED → ACTIVE, once the contract has started (`asOf` on or after its start date). */
  async activate(em: EntityManager, code: string, asOf: string): Promise<ContractView> {
    const contract = await this.load(em, code, { lock: true });
    subsidyDate(asOf, 'asOf');
    if (contract.state === 'ACTIVE') return this.get(code, em);
    if (contract.state !== 'REGISTERED') throw new SubsidyError('CONTRACT_STATE', `contract ${code} is ${contract.state}`, 'contract');
    if (asOf < contract.start_date) throw new SubsidyError('CONTRACT_STATE', `contract ${code} starts on ${contract.start_date}, not before`, 'asOf');
    await em.query(`UPDATE transfer_contracts SET state = 'ACTIVE' WHERE id = $1`, [contract.id]);
    return this.get(code, em);
  }

  /** Records the operating-rights certificate (经营权证书): only for a transfer of 5 years or more. */
  async recordCertificate(em: EntityManager, code: string, input: { certificateNo: string; issuedOn: string }): Promise<ContractView> {
    const contract = await this.load(em, code, { lock: true });
    const number = subsidyText(input.certificateNo, 'certificateNo', 100);
    const issuedOn = subsidyDate(input.issuedOn, 'issuedOn');
    const years = termYears(contract.start_date, contract.end_date);
    if (years < OPERATING_CERTIFICATE_MIN_YEARS) {
      throw new SubsidyError(
        'CERTIFICATE_NOT_ELIGIBLE',
        `an operating-rights certificate needs a transfer of ${OPERATING_CERTIFICATE_MIN_YEARS} years or more; contract ${code} runs ${years}`,
        'contract',
        { termYears: years },
      );
    }
    if (contract.state === 'ENDED' || contract.state === 'TERMINATED') throw new SubsidyError('CONTRACT_STATE', `contract ${code} is ${contract.state}`, 'contract');
    await em.query(`UPDATE transfer_contracts SET certificate_no = $2, certificate_issued_on = $3 WHERE id = $1`, [contract.id, number, issuedOn]);
    return this.get(code, em);
  }

  /** ACTIVE → ENDED on schedule (on or after the end date). */
  async end(em: EntityManager, code: string, endedOn: string): Promise<ContractView> {
    const contract = await this.load(em, code, { lock: true });
    subsidyDate(endedOn, 'endedOn');
    if (contract.state === 'ENDED') return this.get(code, em);
    if (contract.state !== 'ACTIVE' && contract.state !== 'REGISTERED') throw new SubsidyError('CONTRACT_STATE', `contract ${code} is ${contract.state}`, 'contract');
    if (endedOn < contract.end_date) throw new SubsidyError('CONTRACT_STATE', `contract ${code} runs until ${contract.end_date}: end it early with a termination`, 'endedOn');
    await em.query(`UPDATE transfer_contracts SET state = 'ENDED', ended_on = $2 WHERE id = $1`, [contract.id, endedOn]);
    return this.get(code, em);
  }

  /** Marks the contract terminated early (the caller books the clawbacks in the same transaction). */
  async markTerminated(em: EntityManager, contract: ContractRecord, terminatedOn: string, reason: string): Promise<void> {
    await em.query(`UPDATE transfer_contracts SET state = 'TERMINATED', terminated_on = $2, termination_reason = $3 WHERE id = $1`, [contract.id, terminatedOn, reason]);
  }
}
