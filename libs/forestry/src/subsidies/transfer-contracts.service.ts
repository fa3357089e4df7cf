import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, Dec } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { lockParcels, parcelTermsByIds } from '../parcels/parcel-terms';
import { ParcelsService } from '../parcels/parcels.service';
import { inactivePartyCodes, partiesByCodes, partiesByIds } from '../parties/party-refs';
import { childRegions, regionsByCodes, regionsByIds } from '../regions/region-refs';
import { SubsidyError } from './subsidies.errors';
import { invalidContract, subsidyDate, subsidyText } from './subsidy-input';
import { ContractState } from './subsidy.model';
import { termYears, TRANSFER_MODES, TransferMode } from './subsidy-rules';
import {
  ContractRow,
  insertContract,
  insertContractParcels,
  selectBusyParcels,
  selectContract,
  selectContractParcels,
  selectContracts,
  updateContractCertificate,
  updateContractEnded,
  updateContractState,
  updateContractTerminated,
} from './transfer-contracts.store';

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

/** Filters of a contract listing (each optional but the limit). */
export interface ContractFilter {
  state?: ContractState;
  /** A township, or a county: its townships. */
  region?: string;
  /** Transferor or transferee. */
  party?: string;
  limit: number;
}

function notFound(code: string): SubsidyError {
  return new SubsidyError('UNKNOWN_CONTRACT', `no transfer contract with number ${JSON.stringify(code)}`, 'contract');
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

    const parties = await partiesByCodes(em, [input.transferorCode, input.transfereeCode]);
    const inactive = await inactivePartyCodes(em, [input.transferorCode, input.transfereeCode]);
    for (const [field, partyCode] of [
      ['transferorCode', input.transferorCode],
      ['transfereeCode', input.transfereeCode],
    ] as const) {
      const party = parties.get(partyCode);
      if (!party) throw invalidContract(`no party with code ${JSON.stringify(partyCode)}`, field);
      if (inactive.has(partyCode)) throw new SubsidyError('WRONG_PARTY_KIND', `party ${partyCode} is deactivated`, field);
      if (party.kind === 'GOVERNMENT_FUND' || party.kind === 'BANK') throw new SubsidyError('WRONG_PARTY_KIND', `a ${party.kind} cannot be a party to a transfer contract`, field);
    }
    const transferor = parties.get(input.transferorCode)!;
    const transferee = parties.get(input.transfereeCode)!;

    if (!Array.isArray(input.parcelIds) || input.parcelIds.length === 0) throw invalidContract('parcelIds must list at least one parcel', 'parcelIds');
    await lockParcels(em, input.parcelIds);
    const parcels = await this.parcels.assertAttachable(em, input.parcelIds, 'TRANSFER_CONTRACT');
    const terms = await parcelTermsByIds(
      em,
      parcels.map((p) => p.id),
    );
    const villages = await regionsByIds(
      em,
      [...terms.values()].map((t) => t.villageId),
    );
    const details = [...terms.values()].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)).map((t) => ({ ...t, townshipId: villages.get(t.villageId)?.parentId ?? null }));
    const notHeld = details.filter((d) => d.holderPartyId !== transferor.id);
    if (notHeld.length > 0) {
      throw new SubsidyError(
        'PARCEL_NOT_HELD_BY_TRANSFEROR',
        `parcel(s) not held by the transferor ${transferor.code}: ${notHeld.map((d) => d.certificateNo).join(', ')}`,
        'parcelIds',
        {
          parcels: notHeld.map((d) => d.id),
        },
      );
    }
    const beyond = details.filter((d) => endDate > d.rightsEnd || startDate < d.rightsStart);
    if (beyond.length > 0) {
      throw new SubsidyError(
        'BEYOND_RIGHTS_TERM',
        `the contract (${startDate} – ${endDate}) must lie within the transferor's rights term on every parcel: ${beyond.map((d) => `${d.certificateNo} (${d.rightsStart} – ${d.rightsEnd})`).join(', ')}`,
        'endDate',
        { parcels: beyond.map((d) => ({ parcelId: d.id, rightsStart: d.rightsStart, rightsEnd: d.rightsEnd })) },
      );
    }
    const townships = new Set(details.map((d) => d.townshipId));
    if (townships.size !== 1)
      throw new SubsidyError('PARCELS_IN_SEVERAL_TOWNSHIPS', 'the parcels of one contract must lie in one township (register one contract per township)', 'parcelIds');
    const busy = await selectBusyParcels(
      em,
      parcels.map((p) => p.id),
      startDate,
      endDate,
    );
    if (busy.length > 0) {
      throw new SubsidyError(
        'PARCEL_ALREADY_TRANSFERRED',
        `parcel(s) already transferred over these dates: ${busy.map((b) => `${terms.get(b.parcel_id)?.certificateNo} (${b.code})`).join(', ')}`,
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
    const id = await insertContract(em, {
      code,
      transferorPartyId: transferor.id,
      transfereePartyId: transferee.id,
      townshipId: [...townships][0]!,
      mode: input.mode,
      areaMu: areaMu.toFixed(AREA_SCALE),
      startDate,
      endDate,
      priceTerms,
      annualAmount,
      platformReference,
    });
    if (id === null) throw new SubsidyError('CONTRACT_EXISTS', `a contract with number ${code} is registered already`, 'code');
    await insertContractParcels(
      em,
      id,
      parcels.map((p) => p.id),
    );
    return this.get(code, em);
  }

  /** Reads the contract; `lock` takes its row FOR UPDATE (state changes, claims). */
  async load(em: EntityManager, code: string, options: { lock?: boolean } = {}): Promise<ContractRecord> {
    const row = await selectContract(em, code, options.lock);
    if (!row) throw notFound(code);
    return (await this.records(em, [row]))[0];
  }

  /** Contract rows as the subsidy services need them, with the parties' codes and kinds. */
  async records(em: EntityManager, rows: ContractRow[]): Promise<ContractRecord[]> {
    const parties = await partiesByIds(
      em,
      rows.flatMap((r) => [r.transferor_party_id, r.transferee_party_id]),
    );
    return rows.map((row) => {
      const transferor = parties.get(row.transferor_party_id)!;
      const transferee = parties.get(row.transferee_party_id)!;
      return {
        id: row.id,
        code: row.code,
        state: row.state,
        transferor_code: transferor.code,
        transferor_kind: transferor.kind,
        transferee_code: transferee.code,
        transferee_kind: transferee.kind,
        township_id: row.township_id,
        area_mu: row.area_mu,
        mode: row.mode,
        start_date: row.start_date,
        end_date: row.end_date,
        terminated_on: row.terminated_on,
      };
    });
  }

  async get(code: string, em: EntityManager = this.dataSource.manager): Promise<ContractView> {
    const row = await selectContract(em, code);
    if (!row) throw notFound(code);
    const [view] = await this.views(em, [row]);
    return view;
  }

  /** Contracts by number, at most `filter.limit`, optionally by state, township or county, and party. */
  async list(filter: ContractFilter, em: EntityManager = this.dataSource.manager): Promise<ContractView[]> {
    let townshipIds: string[] | null = null;
    if (filter.region !== undefined) {
      const region = (await regionsByCodes(em, [filter.region])).get(filter.region);
      if (!region) return [];
      townshipIds = [region.id, ...(await childRegions(em, [region.id])).map((r) => r.id)];
    }
    let partyId: string | null = null;
    if (filter.party !== undefined) {
      const party = (await partiesByCodes(em, [filter.party])).get(filter.party);
      if (!party) return [];
      partyId = party.id;
    }
    return this.views(em, await selectContracts(em, { state: filter.state ?? null, townshipIds, partyId, limit: filter.limit }));
  }

  /** The views of contract rows in their order, with their parties, townships and parcels (a query each). */
  private async views(em: EntityManager, rows: ContractRow[]): Promise<ContractView[]> {
    if (rows.length === 0) return [];
    const links = await selectContractParcels(
      em,
      rows.map((r) => r.id),
    );
    const parcels = await parcelTermsByIds(
      em,
      links.map((l) => l.parcel_id),
    );
    const parties = await partiesByIds(
      em,
      rows.flatMap((r) => [r.transferor_party_id, r.transferee_party_id]),
    );
    const townships = await regionsByIds(
      em,
      rows.map((r) => r.township_id),
    );
    const ref = (id: string) => {
      const p = parties.get(id)!;
      return { code: p.code, name: p.name, kind: p.kind };
    };
    return rows.map((row) => {
      const own = links.filter((l) => l.contract_id === row.id).map((l) => parcels.get(l.parcel_id)!);
      const township = townships.get(row.township_id)!;
      return {
        id: row.id,
        code: row.code,
        state: row.state,
        transferor: ref(row.transferor_party_id),
        transferee: ref(row.transferee_party_id),
        township: { code: township.code, name: township.name },
        parcels: own.map((p) => ({ id: p.id, certificateNo: p.certificateNo, areaMu: new Dec(p.areaMu).toFixed(AREA_SCALE), rightsEnd: p.rightsEnd })),
        parcelsAreaMu: own.reduce((sum, p) => sum.plus(p.areaMu), new Dec(0)).toFixed(AREA_SCALE),
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
    await updateContractState(em, contract.id, 'ACTIVE');
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
    await updateContractCertificate(em, contract.id, number, issuedOn);
    return this.get(code, em);
  }

  /** ACTIVE → ENDED on schedule (on or after the end date). */
  async end(em: EntityManager, code: string, endedOn: string): Promise<ContractView> {
    const contract = await this.load(em, code, { lock: true });
    subsidyDate(endedOn, 'endedOn');
    if (contract.state === 'ENDED') return this.get(code, em);
    if (contract.state !== 'ACTIVE' && contract.state !== 'REGISTERED') throw new SubsidyError('CONTRACT_STATE', `contract ${code} is ${contract.state}`, 'contract');
    if (endedOn < contract.end_date) throw new SubsidyError('CONTRACT_STATE', `contract ${code} runs until ${contract.end_date}: end it early with a termination`, 'endedOn');
    await updateContractEnded(em, contract.id, endedOn);
    return this.get(code, em);
  }

  /** Marks the contract terminated early (the caller books the clawbacks in the same transaction). */
  async markTerminated(em: EntityManager, contract: ContractRecord, terminatedOn: string, reason: string): Promise<void> {
    await updateContractTerminated(em, contract.id, terminatedOn, reason);
  }
}
