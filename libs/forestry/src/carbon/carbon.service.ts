import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, canonicalJson, Dec, EntryDraft, isBigintId, LedgerError, LedgerService, PostingDraft } from '@forest-ledger/ledger';
import { Env } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import { inputChecks } from '../common/input-checks';
import { serialiseCsv } from '../imports/csv';
import { ParcelsService } from '../parcels/parcels.service';
import { WALLET_ASSET, walletOf } from '../parties/parties.service';
import { partyRefs, PartyRef } from '../projects/party-refs';
import { businessToday } from '../projects/project-accounts';
import { SeriesService } from '../tickets/series.service';
import { formatVerificationCode, newVerificationCode, normaliseVerificationCode } from '../tickets/verification-code';
import { CARBON_ASSET, carbonBuffer, carbonIssued, carbonProjectAccounts, carbonRetired, carbonRevenue, holderCredits, holderCreditsAccount } from './carbon-accounts';
import { CARBON_STANDARDS, CarbonProjectState, CarbonStandard, RETIREMENT_PURPOSES, RetirementPurpose, SERIAL_STATUSES, SerialStatus } from './carbon.model';
import { CarbonError } from './carbon.errors';
import type { SerialRangeText } from './carbon.types';
import { renderRetirementCertificatePdf } from './retirement-certificate-pdf';
import { checkRevenueRule, RevenueRecipient, RevenueRule, carbonSaleAmount, RevenueShareLine, splitRevenue, revenueTotalsByParty } from './revenue-split';
import { bufferTonnes, BlockTake, issuanceRanges, mergeRanges, SerialRange, serialText, takeSerials, wholeTonnes } from './serial-ranges';

export const CARBON_PROJECT_CODE_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,39}$/;
/** Share postings per ledger entry: the ledger allows 1,000 postings; the sale's own legs take 5. */
const SHARES_PER_ENTRY = 990;
/** At most this many rows in one list read (projects, listings). */
export const MAX_CARBON_LIST = 500;

export interface CreateCarbonProjectInput {
  code: string;
  name: string;
  /** The owner party (a state farm or a collective): its credits account receives the issuances. */
  ownerCode: string;
  /** The cooperation project whose 林票 may share the revenue (TICKET_UNITS). */
  coopProjectCode?: string;
  standard: CarbonStandard;
  externalId?: string;
  methodology: string;
  creditingStart: string;
  creditingEnd: string;
  /** Share withheld into the buffer at each issuance, e.g. "0.10"; "0" for none. */
  bufferRatio: string;
  parcelIds: string[];
  /** Version 1 of the revenue-sharing rule (see revenue-split.ts). */
  revenueRule: RevenueRule;
}

export interface CarbonProjectView {
  code: string;
  name: string;
  state: CarbonProjectState;
  owner: string;
  coopProject: string | null;
  standard: CarbonStandard;
  externalId: string | null;
  methodology: string;
  creditingStart: string;
  creditingEnd: string;
  bufferRatio: string;
  parcelIds: string[];
  lastSerial: string;
  revenueRule: { version: number; rule: RevenueRule };
}

export interface IssueCreditsInput {
  vintageStart: string;
  vintageEnd: string;
  /** Verified whole tonnes, e.g. "12723". */
  quantity: string;
  verificationReference: string;
  /** Defaults to today (Asia/Shanghai); not before the vintage ends. */
  issuedOn?: string;
}

export interface IssuanceView {
  id: string;
  project: string;
  vintage: string;
  vintageStart: string;
  vintageEnd: string;
  quantity: string;
  bufferQuantity: string;
  /** `<standard>-<project>-<vintage>-<start>-<end>` of the whole issuance. */
  serialBlock: string;
  serials: SerialRangeText;
  verificationReference: string;
  issuedOn: string;
  entryId: string;
}

export interface ListingInput {
  seller: string;
  /** CNY per tonne, 2 decimals. */
  unitPrice: string;
  quantity: string;
  /** Only this vintage's credits; otherwise the seller's oldest vintages first. */
  issuanceId?: string;
}

export interface ListingView {
  id: string;
  project: string;
  seller: string;
  issuanceId: string | null;
  unitPrice: string;
  quantityListed: string;
  quantityAvailable: string;
  state: string;
}

export interface OrderInput {
  buyer: string;
  quantity: string;
  /** Defaults to today (Asia/Shanghai); also the date of the 林票 register for TICKET_UNITS shares. */
  effectiveDate?: string;
}

export interface SaleView {
  id: string;
  listingId: string;
  project: string;
  buyer: string;
  seller: string;
  quantity: string;
  unitPrice: string;
  grossAmount: string;
  /** The version of the revenue rule the price was shared by; null for a resale (the seller is paid the whole price). */
  ruleVersion: number | null;
  /** The blocks delivered, oldest vintage first: `<standard>-<project>-<vintage>-<start>-<end>`. */
  serialBlocks: string[];
  serialRanges: SerialRangeText[];
  shares: RevenueShareLine[];
  effectiveDate: string;
  entryIds: string[];
}

export interface RetireInput {
  holder: string;
  issuanceId: string;
  quantity: string;
  beneficiaryName: string;
  publishBeneficiary: boolean;
  purpose: RetirementPurpose;
  eventName?: string;
  /** tCO2e the event emitted, up to 3 decimals. */
  eventEmissions?: string;
  effectiveDate?: string;
}

/** The certificate's content; its canonical JSON is what contentHash is the SHA-256 of. */
export interface RetirementCertificate {
  certificateNo: string;
  project: string;
  projectName: string;
  standard: CarbonStandard;
  externalId: string | null;
  vintage: string;
  vintageStart: string;
  vintageEnd: string;
  quantity: string;
  serialBlocks: string[];
  retiringParty: string;
  retiringPartyName: string;
  beneficiaryName: string;
  publishBeneficiary: boolean;
  purpose: RetirementPurpose;
  eventName: string | null;
  eventEmissions: string | null;
  retiredOn: string;
}

export interface RetirementView extends RetirementCertificate {
  id: string;
  contentHash: string;
  verificationCode: string;
  entryId: string;
}

/** What the public may learn from a certificate number and its code: no beneficiary unless published. */
export interface RetirementVerification {
  valid: boolean;
  /** The stored content still hashes to the stored SHA-256. */
  intact: boolean;
  certificate: (Omit<RetirementCertificate, 'beneficiaryName' | 'retiringPartyName' | 'retiringParty'> & { beneficiaryName: string | null; contentHash: string }) | null;
}

export interface VintageBalance {
  issuanceId: string;
  vintage: string;
  issued: string;
  held: string;
  reserved: string;
  retired: string;
  buffer: string;
  cancelled: string;
  ok: boolean;
}

export interface CarbonInvariantReport {
  project: string;
  ok: boolean;
  vintages: VintageBalance[];
  /** Disagreements between the serial blocks and the ledger accounts; empty when sound. */
  ledgerMismatches: string[];
}

/** The public registry of a project: what was issued and retired, without personal data the beneficiaries did not allow. */
export interface CarbonRegistryView {
  project: string;
  name: string;
  standard: CarbonStandard;
  externalId: string | null;
  state: CarbonProjectState;
  issuances: Array<{
    vintage: string;
    vintageStart: string;
    vintageEnd: string;
    quantity: string;
    bufferQuantity: string;
    serialBlock: string;
    issuedOn: string;
    verificationReference: string;
  }>;
  retirements: Array<{
    certificateNo: string;
    vintage: string;
    quantity: string;
    serialBlocks: string[];
    purpose: RetirementPurpose;
    beneficiaryName: string | null;
    retiredOn: string;
  }>;
  totals: { issued: string; buffer: string; retired: string };
}

interface ProjectRow {
  id: string;
  code: string;
  name: string;
  state: CarbonProjectState;
  owner_party_id: string;
  owner_code: string;
  coop_project_id: string | null;
  coop_project_code: string | null;
  standard: CarbonStandard;
  external_id: string | null;
  methodology: string;
  crediting_start: string;
  crediting_end: string;
  buffer_ratio: string;
  last_serial: string;
}

const PROJECT_SELECT = `SELECT p.id, p.code, p.name, p.state, p.owner_party_id, o.code AS owner_code, p.coop_project_id, cp.code AS coop_project_code, p.standard,
       p.external_id, p.methodology, to_char(p.crediting_start, 'YYYY-MM-DD') AS crediting_start, to_char(p.crediting_end, 'YYYY-MM-DD') AS crediting_end,
       p.buffer_ratio::text AS buffer_ratio, p.last_serial::text AS last_serial
  FROM carbon_projects p JOIN parties o ON o.id = p.owner_party_id LEFT JOIN coop_projects cp ON cp.id = p.coop_project_id`;

interface IssuanceRow {
  id: string;
  project_id: string;
  vintage: string;
  vintage_start: string;
  vintage_end: string;
  quantity: string;
  buffer_quantity: string;
  serial_start: string;
  serial_end: string;
  verification_reference: string;
  issued_on: string;
  entry_id: string;
}

const ISSUANCE_SELECT = `SELECT i.id, i.project_id, i.vintage, to_char(i.vintage_start, 'YYYY-MM-DD') AS vintage_start, to_char(i.vintage_end, 'YYYY-MM-DD') AS vintage_end,
       i.quantity::text AS quantity, i.buffer_quantity::text AS buffer_quantity, i.serial_start::text AS serial_start, i.serial_end::text AS serial_end,
       i.verification_reference, to_char(i.issued_on, 'YYYY-MM-DD') AS issued_on, i.entry_id::text AS entry_id
  FROM carbon_issuances i`;

interface BlockRow {
  id: string;
  issuance_id: string;
  vintage: string;
  serial_start: string;
  serial_end: string;
}

const PURPOSE_LABELS: Record<RetirementPurpose, string> = {
  EVENT_NEUTRALITY: '活动碳中和',
  CSR: '企业社会责任',
  JUDICIAL_RESTORATION: '以碳代赔（生态修复）',
  COMPLIANCE_OFFSET: '履约抵销',
  OTHER: '其他',
};

const STANDARD_LABELS: Record<CarbonStandard, string> = {
  SANMING_TICKET: '三明林业碳票',
  FFCER: '福建林业碳汇 (FFCER)',
  CCER: '国家核证自愿减排量 (CCER)',
  OTHER: '其他',
};

export const retirementPurposeLabel = (purpose: RetirementPurpose): string => PURPOSE_LABELS[purpose];
export const retirementCertificateNo = (seq: number): string => `TH-${String(seq).padStart(7, '0')}`;

function invalid(message: string, field: string): CarbonError {
  return new CarbonError('INVALID_CARBON_INPUT', message, field);
}

const { requireText, requireDate } = inputChecks(invalid);

/** The effective date of a movement: given, or today (Asia/Shanghai); never in the future. */
function effectiveDateOf(value: unknown, field = 'effectiveDate'): string {
  const date = value === undefined ? businessToday() : requireDate(value, field);
  if (date > businessToday()) throw invalid(`${field} ${date} is after today`, field);
  return date;
}

const toText = (r: SerialRange): SerialRangeText => ({ start: r.start.toString(), end: r.end.toString() });
const fromText = (r: SerialRangeText): SerialRange => ({ start: BigInt(r.start), end: BigInt(r.end) });

export function certificateHash(certificate: RetirementCertificate): string {
  return createHash('sha256').update(canonicalJson(certificate), 'utf8').digest('hex');
}

/**
 * Forestry carbon credits (DOMAIN.md §5): projects, serial-numbered issuance with a buffer, listings,
 * orders that pay, deliver and share the revenue in one entry, and terminal retirements with a
 * certificate. Every write runs in the caller's transaction (`em`).
 *
 * Locks, always in this order: the project row (issuance) or the listing row (orders), then serial
 * blocks FOR UPDATE by (vintage start, serial start), then the ledger's accounts (by id).
 */
@Injectable()
export class CarbonService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly parcels: ParcelsService,
    private readonly series: SeriesService,
    private readonly env: Env,
  ) {}

  // ---------------------------------------------------------------- projects

  /** A draft project with its parcels, its accounts and version 1 of its revenue rule. */
  async createProject(em: EntityManager, input: CreateCarbonProjectInput): Promise<CarbonProjectView> {
    const code = requireText(input.code, 'code', 40);
    if (!CARBON_PROJECT_CODE_PATTERN.test(code)) throw invalid('code must be 1-40 of capital letters, digits, ".", "_", "-", starting with a letter or digit', 'code');
    const name = requireText(input.name, 'name');
    if (!CARBON_STANDARDS.includes(input.standard)) throw invalid(`standard must be one of ${CARBON_STANDARDS.join(', ')}`, 'standard');
    const methodology = requireText(input.methodology, 'methodology');
    const externalId = input.externalId === undefined ? null : requireText(input.externalId, 'externalId', 100);
    const creditingStart = requireDate(input.creditingStart, 'creditingStart');
    const creditingEnd = requireDate(input.creditingEnd, 'creditingEnd');
    if (creditingEnd <= creditingStart) throw invalid('creditingEnd must be after creditingStart', 'creditingEnd');
    bufferTonnes(1n, String(input.bufferRatio));
    const bufferRatio = new Dec(input.bufferRatio);
    if (bufferRatio.greaterThanOrEqualTo(1)) throw invalid('bufferRatio must be below 1', 'bufferRatio');
    const owner = (await partyRefs(em, [input.ownerCode])).get(input.ownerCode);
    if (!owner || !owner.active) throw new CarbonError('UNKNOWN_PARTY', `no active party ${JSON.stringify(input.ownerCode)}`, 'ownerCode');
    let coopProjectId: string | null = null;
    if (input.coopProjectCode !== undefined) {
      const [coop] = (await em.query(`SELECT id FROM coop_projects WHERE code = $1`, [input.coopProjectCode])) as Array<{ id: string }>;
      if (!coop) throw invalid(`no cooperation project ${JSON.stringify(input.coopProjectCode)}`, 'coopProjectCode');
      coopProjectId = coop.id;
    }
    const rule = await this.checkRule(em, input.revenueRule, coopProjectId !== null);

    if (!Array.isArray(input.parcelIds) || input.parcelIds.length === 0) throw invalid('parcelIds must list at least one parcel', 'parcelIds');
    // Locked before the check so that two projects created at once cannot both find the parcels free.
    await em.query(`SELECT 1 FROM parcels WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`, [
      input.parcelIds.filter((id) => typeof id === 'string' && /^\d{1,18}$/.test(id)),
    ]);
    const parcels = await this.parcels.assertAttachable(em, input.parcelIds, 'COOPERATION_PROJECT');
    const busy = (await em.query(
      `SELECT pa.certificate_no, p.code FROM carbon_project_parcels pp JOIN carbon_projects p ON p.id = pp.project_id JOIN parcels pa ON pa.id = pp.parcel_id
        WHERE pp.parcel_id = ANY($1::bigint[]) AND p.state <> 'CLOSED' ORDER BY pp.parcel_id`,
      [parcels.map((p) => p.id)],
    )) as Array<{ certificate_no: string; code: string }>;
    if (busy.length > 0) {
      throw invalid(
        `parcel(s) already under an open carbon project (credits would be counted twice): ${busy.map((b) => `${b.certificate_no} (${b.code})`).join(', ')}`,
        'parcelIds',
      );
    }
    const [row] = (await em.query(
      `INSERT INTO carbon_projects (code, name, owner_party_id, coop_project_id, standard, external_id, methodology, crediting_start, crediting_end, buffer_ratio)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (code) DO NOTHING RETURNING id`,
      [code, name, owner.id, coopProjectId, input.standard, externalId, methodology, creditingStart, creditingEnd, bufferRatio.toString()],
    )) as Array<{ id: string }>;
    if (!row) throw new CarbonError('CARBON_PROJECT_EXISTS', `a carbon project ${code} exists already`, 'code');
    await em.query(`INSERT INTO carbon_project_parcels (project_id, parcel_id) SELECT $1, unnest($2::bigint[])`, [row.id, parcels.map((p) => p.id)]);
    await em.query(`INSERT INTO carbon_revenue_rules (project_id, version, rule) VALUES ($1, 1, $2)`, [row.id, JSON.stringify(rule)]);

    await this.ledger.ensureAsset(em, CARBON_ASSET);
    await this.ledger.ensureAsset(em, WALLET_ASSET);
    for (const account of [...carbonProjectAccounts(code), holderCreditsAccount(owner.code, code)]) await this.ledger.ensureAccount(em, account);
    return this.getProject(code, em);
  }

  /** Registration with the standard's registry: from then on credits can be issued. */
  async register(em: EntityManager, code: string): Promise<CarbonProjectView> {
    const project = await this.load(em, code, true);
    if (project.state !== 'DRAFT') throw new CarbonError('CARBON_PROJECT_NOT_DRAFT', `carbon project ${code} is ${project.state}`, 'project');
    await em.query(`UPDATE carbon_projects SET state = 'REGISTERED', registered_at = now() WHERE id = $1`, [project.id]);
    return this.getProject(code, em);
  }

  /** A new version of the revenue rule; earlier sales keep the version they used. */
  async setRevenueRule(em: EntityManager, code: string, rule: RevenueRule): Promise<{ version: number; rule: RevenueRule }> {
    const project = await this.load(em, code, true);
    if (project.state === 'CLOSED') throw new CarbonError('CARBON_PROJECT_CLOSED', `carbon project ${code} is closed`, 'project');
    const clean = await this.checkRule(em, rule, project.coop_project_id !== null);
    const [{ version }] = (await em.query(
      `INSERT INTO carbon_revenue_rules (project_id, version, rule) SELECT $1, COALESCE(max(version), 0) + 1, $2 FROM carbon_revenue_rules WHERE project_id = $1 RETURNING version`,
      [project.id, JSON.stringify(clean)],
    )) as Array<{ version: number }>;
    return { version, rule: clean };
  }

  async getProject(code: string, em: EntityManager = this.dataSource.manager): Promise<CarbonProjectView> {
    const [view] = await this.projectViews(em, [await this.load(em, code)]);
    return view;
  }

  /** Projects by code (at most MAX_CARBON_LIST), only `owner`'s when given; three queries whatever the count. */
  async listProjects(filter: { owner?: string | null; state?: CarbonProjectState }, em: EntityManager = this.dataSource.manager): Promise<CarbonProjectView[]> {
    const rows = (await em.query(`${PROJECT_SELECT} WHERE ($1::text IS NULL OR o.code = $1) AND ($2::text IS NULL OR p.state = $2) ORDER BY p.code LIMIT ${MAX_CARBON_LIST}`, [
      filter.owner ?? null,
      filter.state ?? null,
    ])) as ProjectRow[];
    return this.projectViews(em, rows);
  }

  /** The views of `rows`, in their order: their parcels and current rules in one query each. */
  private async projectViews(em: EntityManager, rows: ProjectRow[]): Promise<CarbonProjectView[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((p) => p.id);
    const parcels = (await em.query(
      `SELECT project_id::text AS project_id, parcel_id::text AS id FROM carbon_project_parcels WHERE project_id = ANY($1::bigint[]) ORDER BY parcel_id`,
      [ids],
    )) as Array<{
      project_id: string;
      id: string;
    }>;
    const rules = (await em.query(
      `SELECT DISTINCT ON (project_id) project_id::text AS project_id, version, rule FROM carbon_revenue_rules WHERE project_id = ANY($1::bigint[]) ORDER BY project_id, version DESC`,
      [ids],
    )) as Array<{ project_id: string; version: number; rule: RevenueRule }>;
    const ruleOf = new Map(rules.map((r) => [r.project_id, r]));
    return rows.map((p) => {
      const rule = ruleOf.get(String(p.id))!;
      return {
        code: p.code,
        name: p.name,
        state: p.state,
        owner: p.owner_code,
        coopProject: p.coop_project_code,
        standard: p.standard,
        externalId: p.external_id,
        methodology: p.methodology,
        creditingStart: p.crediting_start,
        creditingEnd: p.crediting_end,
        bufferRatio: new Dec(p.buffer_ratio).toString(),
        parcelIds: parcels.filter((r) => r.project_id === String(p.id)).map((r) => r.id),
        lastSerial: p.last_serial,
        revenueRule: { version: rule.version, rule: rule.rule },
      };
    });
  }

  /** Closes a project: no more issuances; credits already issued are still listed, sold and retired. */
  async close(em: EntityManager, code: string): Promise<CarbonProjectView> {
    const project = await this.load(em, code, true);
    if (project.state === 'CLOSED') throw new CarbonError('CARBON_PROJECT_CLOSED', `carbon project ${code} is closed already`, 'project');
    await em.query(`UPDATE carbon_projects SET state = 'CLOSED', closed_at = now() WHERE id = $1`, [project.id]);
    return this.getProject(code, em);
  }

  /** The public registry of a project (issuances, retirements, totals), in three queries whatever their number. */
  async registry(code: string, em: EntityManager = this.dataSource.manager): Promise<CarbonRegistryView> {
    const project = await this.load(em, code);
    const issuanceRows = (await em.query(`${ISSUANCE_SELECT} WHERE i.project_id = $1 ORDER BY i.vintage_start`, [project.id])) as IssuanceRow[];
    const issuances = issuanceRows.map((r) => this.issuanceView(project, r));
    const retirements: CarbonRegistryView['retirements'] = (await this.retirementViews(em, 'i.project_id = $1', [project.id], 'r.certificate_seq')).map((r) => ({
      certificateNo: r.certificateNo,
      vintage: r.vintage,
      quantity: r.quantity,
      serialBlocks: r.serialBlocks,
      purpose: r.purpose,
      beneficiaryName: r.publishBeneficiary ? r.beneficiaryName : null,
      retiredOn: r.retiredOn,
    }));
    const total = (values: string[]) => values.reduce((s, v) => s + BigInt(v), 0n).toString();
    return {
      project: project.code,
      name: project.name,
      standard: project.standard,
      externalId: project.external_id,
      state: project.state,
      issuances: issuances.map((i) => ({
        vintage: i.vintage,
        vintageStart: i.vintageStart,
        vintageEnd: i.vintageEnd,
        quantity: i.quantity,
        bufferQuantity: i.bufferQuantity,
        serialBlock: i.serialBlock,
        issuedOn: i.issuedOn,
        verificationReference: i.verificationReference,
      })),
      retirements,
      totals: { issued: total(issuances.map((i) => i.quantity)), buffer: total(issuances.map((i) => i.bufferQuantity)), retired: total(retirements.map((r) => r.quantity)) },
    };
  }

  /** The registry as CSV (UTF-8, one row per issuance and per retirement, then the totals). */
  async registryCsv(code: string, em: EntityManager = this.dataSource.manager): Promise<string> {
    const r = await this.registry(code, em);
    const cell = (text: string | null) => (text === null ? '' : /^[=+\-@]/.test(text) ? `'${text}` : text); // no formulas in a spreadsheet
    return serialiseCsv([
      ['记录类型 record', '年份 vintage', '数量(吨) tonnes', '序列号 serials', '日期 date', '编号 number', '用途 purpose', '受益方 beneficiary'],
      ...r.issuances.map((i) => ['签发 ISSUANCE', i.vintage, i.quantity, i.serialBlock, i.issuedOn, cell(i.verificationReference), '', '']),
      ...r.retirements.map((x) => ['注销 RETIREMENT', x.vintage, x.quantity, x.serialBlocks.join(' '), x.retiredOn, x.certificateNo, x.purpose, cell(x.beneficiaryName)]),
      ['合计签发 TOTAL_ISSUED', '', r.totals.issued, '', '', '', '', ''],
      ['其中缓冲 TOTAL_BUFFER', '', r.totals.buffer, '', '', '', '', ''],
      ['合计注销 TOTAL_RETIRED', '', r.totals.retired, '', '', '', '', ''],
    ]);
  }

  private async load(em: EntityManager, code: string, lock = false): Promise<ProjectRow> {
    if (lock) await em.query(`SELECT 1 FROM carbon_projects WHERE code = $1 FOR UPDATE`, [code]);
    const [row] = (await em.query(`${PROJECT_SELECT} WHERE p.code = $1`, [code])) as ProjectRow[];
    if (!row) throw new CarbonError('UNKNOWN_CARBON_PROJECT', `no carbon project ${JSON.stringify(code)}`, 'project');
    return row;
  }

  private async currentRule(em: EntityManager, projectId: string): Promise<{ id: string; version: number; rule: RevenueRule }> {
    const [row] = (await em.query(`SELECT id::text AS id, version, rule FROM carbon_revenue_rules WHERE project_id = $1 ORDER BY version DESC LIMIT 1`, [projectId])) as Array<{
      id: string;
      version: number;
      rule: RevenueRule;
    }>;
    return row;
  }

  /** The rule's shape, and that the parties it names exist (collectives are collectives). */
  private async checkRule(em: EntityManager, raw: unknown, linked: boolean): Promise<RevenueRule> {
    const rule = checkRevenueRule(raw);
    const named = rule.shares.flatMap((s) => (s.kind === 'PARTY' ? [s.party] : s.kind === 'TICKET_UNITS' ? [] : [s.collective]));
    const refs = await partyRefs(em, named);
    rule.shares.forEach((s, i) => {
      if (s.kind === 'PARTY' && !refs.has(s.party)) throw new CarbonError('INVALID_REVENUE_RULE', `rule.shares[${i}]: no party ${s.party}`, `rule.shares[${i}].party`);
      if ((s.kind === 'PER_PERSON' || s.kind === 'PER_HOUSEHOLD') && refs.get(s.collective)?.kind !== 'COLLECTIVE') {
        throw new CarbonError('INVALID_REVENUE_RULE', `rule.shares[${i}]: ${s.collective} is not a collective`, `rule.shares[${i}].collective`);
      }
      if (s.kind === 'TICKET_UNITS' && !linked)
        throw new CarbonError('INVALID_REVENUE_RULE', `rule.shares[${i}]: TICKET_UNITS needs the project linked to a cooperation project`, `rule.shares[${i}].kind`);
    });
    return rule;
  }

  // ---------------------------------------------------------------- issuance

  /**
   * Issues one vintage: a serial block continuing the project's numbering, the buffer share (rounded
   * down) to the buffer and the rest to the owner, in one TCO2E entry. Locks the project row, so
   * numbering is gapless; the exclusion constraints back the vintage and serial checks. A replay
   * with the same key returns the first issuance.
   */
  async issue(em: EntityManager, code: string, input: IssueCreditsInput, key: string): Promise<IssuanceView> {
    const project = await this.load(em, code, true);
    const idempotencyKey = `carbon-issuance:${key}`;
    const replay = (await em.query(`${ISSUANCE_SELECT} JOIN ledger_entries e ON e.id = i.entry_id WHERE i.project_id = $1 AND e.idempotency_key = $2`, [
      project.id,
      idempotencyKey,
    ])) as IssuanceRow[];
    if (replay.length > 0) {
      const r = replay[0];
      if (r.quantity !== String(input.quantity) || r.vintage_start !== input.vintageStart || r.vintage_end !== input.vintageEnd) throw conflict(key, `issuance ${r.id}`);
      return this.issuanceView(project, r);
    }
    if (project.state !== 'REGISTERED')
      throw new CarbonError('CARBON_PROJECT_NOT_REGISTERED', `carbon project ${code} is ${project.state}: credits are issued for registered projects only`, 'project');
    const vintageStart = requireDate(input.vintageStart, 'vintageStart');
    const vintageEnd = requireDate(input.vintageEnd, 'vintageEnd');
    if (vintageEnd < vintageStart) throw invalid('vintageEnd must not be before vintageStart', 'vintageEnd');
    if (vintageStart < project.crediting_start || vintageEnd > project.crediting_end) {
      throw new CarbonError(
        'VINTAGE_OUTSIDE_CREDITING_PERIOD',
        `the monitoring period ${vintageStart}..${vintageEnd} is not inside the crediting period ${project.crediting_start}..${project.crediting_end}`,
        'vintageStart',
      );
    }
    const overlapping = (await em.query(
      `SELECT to_char(vintage_start, 'YYYY-MM-DD') AS s, to_char(vintage_end, 'YYYY-MM-DD') AS e FROM carbon_issuances WHERE project_id = $1 AND vintage_start <= $3::date AND vintage_end >= $2::date`,
      [project.id, vintageStart, vintageEnd],
    )) as Array<{ s: string; e: string }>;
    if (overlapping.length > 0) {
      throw new CarbonError(
        'VINTAGE_OVERLAPS',
        `the monitoring period ${vintageStart}..${vintageEnd} overlaps the issued ${overlapping[0].s}..${overlapping[0].e}`,
        'vintageStart',
        { existing: overlapping },
      );
    }
    const quantity = wholeTonnes(input.quantity, 'quantity');
    const verificationReference = requireText(input.verificationReference, 'verificationReference');
    const issuedOn = input.issuedOn === undefined ? businessToday() : requireDate(input.issuedOn, 'issuedOn');
    if (issuedOn < vintageEnd) throw invalid(`issuedOn ${issuedOn} is before the monitoring period ends (${vintageEnd})`, 'issuedOn');
    if (issuedOn > businessToday()) throw invalid(`issuedOn ${issuedOn} is after today: credits are issued on or before the day they are booked`, 'issuedOn');

    const buffer = bufferTonnes(quantity, project.buffer_ratio);
    const ranges = issuanceRanges(BigInt(project.last_serial), quantity, buffer);
    const vintage = vintageEnd.slice(0, 4);
    const held = quantity - buffer;
    const postings: PostingDraft[] = [{ account: carbonIssued(code), side: 'DEBIT', amount: quantity.toString() }];
    if (held > 0n) postings.push({ account: holderCredits(project.owner_code, code), side: 'CREDIT', amount: held.toString() });
    if (buffer > 0n) postings.push({ account: carbonBuffer(code), side: 'CREDIT', amount: buffer.toString() });
    const posted = await this.ledger.post(em, {
      idempotencyKey,
      kind: 'CARBON_ISSUANCE',
      effectiveDate: issuedOn,
      memo: `碳汇签发 ${serialText(project.standard, code, vintage, ranges.issued)}（缓冲 ${buffer} 吨）`,
      metadata: { carbonProject: code, vintageStart, vintageEnd, verificationReference },
      postings,
    });
    const [issuance] = (await em.query(
      `INSERT INTO carbon_issuances (project_id, vintage, vintage_start, vintage_end, quantity, buffer_quantity, serial_start, serial_end, verification_reference, issued_on, entry_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [
        project.id,
        vintage,
        vintageStart,
        vintageEnd,
        quantity.toString(),
        buffer.toString(),
        ranges.issued.start.toString(),
        ranges.issued.end.toString(),
        verificationReference,
        issuedOn,
        posted.entry.id,
      ],
    )) as Array<{ id: string }>;
    const blocks: Array<[SerialRange, string | null, SerialStatus]> = [];
    if (ranges.held) blocks.push([ranges.held, project.owner_party_id, 'HELD']);
    if (ranges.buffer) blocks.push([ranges.buffer, null, 'BUFFER']);
    await em.query(
      `INSERT INTO carbon_serial_blocks (project_id, issuance_id, serial_start, serial_end, owner_party_id, status)
       SELECT $1, $2, * FROM unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::text[])`,
      [project.id, issuance.id, blocks.map((b) => b[0].start.toString()), blocks.map((b) => b[0].end.toString()), blocks.map((b) => b[1]), blocks.map((b) => b[2])],
    );
    await em.query(`UPDATE carbon_projects SET last_serial = $2 WHERE id = $1`, [project.id, ranges.issued.end.toString()]);
    const [row] = (await em.query(`${ISSUANCE_SELECT} WHERE i.id = $1`, [issuance.id])) as IssuanceRow[];
    return this.issuanceView(project, row);
  }

  async issuances(code: string, em: EntityManager = this.dataSource.manager): Promise<IssuanceView[]> {
    const project = await this.load(em, code);
    const rows = (await em.query(`${ISSUANCE_SELECT} WHERE i.project_id = $1 ORDER BY i.vintage_start`, [project.id])) as IssuanceRow[];
    return rows.map((r) => this.issuanceView(project, r));
  }

  private issuanceView(project: ProjectRow, r: IssuanceRow): IssuanceView {
    const serials = { start: BigInt(r.serial_start), end: BigInt(r.serial_end) };
    return {
      id: r.id,
      project: project.code,
      vintage: r.vintage,
      vintageStart: r.vintage_start,
      vintageEnd: r.vintage_end,
      quantity: r.quantity,
      bufferQuantity: r.buffer_quantity,
      serialBlock: serialText(project.standard, project.code, r.vintage, serials),
      serials: toText(serials),
      verificationReference: r.verification_reference,
      issuedOn: r.issued_on,
      entryId: r.entry_id,
    };
  }

  // ---------------------------------------------------------------- listings and orders

  /**
   * Lists a seller's credits: the oldest HELD blocks (of one vintage if given) become RESERVED for the
   * listing, the last one split. The tonnes stay in the seller's credits account until sold.
   */
  async createListing(em: EntityManager, code: string, input: ListingInput): Promise<ListingView> {
    const project = await this.load(em, code);
    if (project.state === 'DRAFT') throw new CarbonError('CARBON_PROJECT_NOT_REGISTERED', `carbon project ${code} is a draft`, 'project');
    const seller = await this.requireParty(em, input.seller, 'seller');
    const unitPrice = Amount.parsePositive(input.unitPrice, 2, 'unitPrice').value.toFixed(2);
    const quantity = wholeTonnes(input.quantity, 'quantity');
    if (input.issuanceId !== undefined) await this.requireIssuance(em, project, input.issuanceId);
    const blocks = await this.lockBlocks(em, `b.project_id = $1 AND b.owner_party_id = $2 AND b.status = 'HELD' AND ($3::bigint IS NULL OR b.issuance_id = $3::bigint)`, [
      project.id,
      seller.id,
      input.issuanceId ?? null,
    ]);
    const takes = this.take(blocks, quantity, seller.code);
    const [listing] = (await em.query(
      `INSERT INTO carbon_listings (project_id, seller_party_id, issuance_id, unit_price, quantity_listed, quantity_available) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
      [project.id, seller.id, input.issuanceId ?? null, unitPrice, quantity.toString()],
    )) as Array<{ id: string }>;
    await this.moveTakes(em, takes, { ownerPartyId: seller.id, status: 'RESERVED', listingId: listing.id, retirementId: null });
    return this.getListing(listing.id, em);
  }

  /** Ends a listing: its unsold tonnes go back to HELD. */
  async cancelListing(em: EntityManager, listingId: string): Promise<ListingView> {
    const listing = await this.lockListing(em, listingId);
    if (listing.state !== 'OPEN') throw new CarbonError('LISTING_NOT_OPEN', `listing ${listingId} is ${listing.state}`, 'listing');
    await em.query(`UPDATE carbon_serial_blocks SET status = 'HELD', listing_id = NULL WHERE listing_id = $1 AND status = 'RESERVED'`, [listing.id]);
    await em.query(`UPDATE carbon_listings SET state = 'CANCELLED', quantity_available = 0 WHERE id = $1`, [listing.id]);
    return this.getListing(listing.id, em);
  }

  async getListing(id: string, em: EntityManager = this.dataSource.manager): Promise<ListingView> {
    const [row] = /^\d{1,18}$/.test(id)
      ? ((await em.query(
          `SELECT l.id::text AS id, p.code AS project, s.code AS seller, l.issuance_id::text AS issuance_id, l.unit_price::text AS unit_price,
                  l.quantity_listed::text AS quantity_listed, l.quantity_available::text AS quantity_available, l.state
             FROM carbon_listings l JOIN carbon_projects p ON p.id = l.project_id JOIN parties s ON s.id = l.seller_party_id WHERE l.id = $1`,
          [id],
        )) as Array<{
          id: string;
          project: string;
          seller: string;
          issuance_id: string | null;
          unit_price: string;
          quantity_listed: string;
          quantity_available: string;
          state: string;
        }>)
      : [];
    if (!row) throw new CarbonError('UNKNOWN_LISTING', `no listing ${JSON.stringify(id)}`, 'listing');
    return {
      id: row.id,
      project: row.project,
      seller: row.seller,
      issuanceId: row.issuance_id,
      unitPrice: row.unit_price,
      quantityListed: row.quantity_listed,
      quantityAvailable: row.quantity_available,
      state: row.state,
    };
  }

  /**
   * An order against a listing, settled in one ledger entry (one atomic batch when the shares need
   * more than ~990 postings): buyer wallet → project revenue (quantity × price, rounded once),
   * seller credits → buyer credits, and the revenue → the shares of the project's current rule.
   * The buyer gets the listing's oldest serials (by vintage, then number), the last block split.
   * Locks the listing row first, so concurrent orders on it queue and never sell a tonne twice.
   * A buyer short of money is refused (INSUFFICIENT_FUNDS) and nothing moves.
   */
  async order(em: EntityManager, listingId: string, input: OrderInput, key: string): Promise<SaleView> {
    const listing = await this.lockListing(em, listingId);
    const firstKey = `carbon-sale:${key}:1`;
    const [replay] = (await em.query(`SELECT s.id::text AS id FROM carbon_sales s JOIN ledger_entries e ON e.id = s.entry_id WHERE s.listing_id = $1 AND e.idempotency_key = $2`, [
      listing.id,
      firstKey,
    ])) as Array<{ id: string }>;
    if (replay) {
      const sale = await this.getSale(replay.id, em);
      if (sale.buyer !== input.buyer || sale.quantity !== String(input.quantity)) throw conflict(key, `order #${sale.id}`);
      return sale;
    }
    if (listing.state !== 'OPEN') throw new CarbonError('LISTING_NOT_OPEN', `listing ${listingId} is ${listing.state}`, 'listing');
    const project = await this.load(em, listing.project_code);
    const buyer = await this.requireParty(em, input.buyer, 'buyer');
    if (buyer.code === listing.seller_code) throw invalid(`${buyer.code} is the seller of listing ${listingId}`, 'buyer');
    const quantity = wholeTonnes(input.quantity, 'quantity');
    const effectiveDate = effectiveDateOf(input.effectiveDate);
    if (quantity > BigInt(listing.quantity_available)) {
      throw new CarbonError('INSUFFICIENT_CREDITS', `listing ${listingId} has ${listing.quantity_available} t left, ${quantity} t ordered`, 'quantity', {
        requested: quantity.toString(),
        available: listing.quantity_available,
      });
    }
    const blocks = await this.lockBlocks(em, `b.listing_id = $1 AND b.status = 'RESERVED'`, [listing.id]);
    const takes = this.take(blocks, quantity, listing.seller_code);
    const gross = carbonSaleAmount(quantity, listing.unit_price);
    // The owner's sales share the revenue by the rule; a resale pays the reseller the whole price.
    const primary = listing.seller_code === project.owner_code;
    const rule = primary ? await this.currentRule(em, project.id) : null;
    const lines = rule ? splitRevenue(gross, rule.rule, await this.recipients(em, project, rule.rule, effectiveDate)) : [{ share: 0, party: listing.seller_code, amount: gross }];
    const totals = revenueTotalsByParty(lines);
    await this.ensureCreditsAccounts(em, [buyer.code], project.code);
    await this.ensureWallets(
      em,
      totals.map((t) => t.party),
    );

    const drafts = this.saleDrafts({
      project,
      key,
      effectiveDate,
      gross,
      quantity,
      buyer: buyer.code,
      seller: listing.seller_code,
      listingId: listing.id,
      ruleVersion: rule?.version ?? null,
      totals,
    });
    let entryIds: string[];
    try {
      entryIds = drafts.length === 1 ? [(await this.ledger.post(em, drafts[0])).entry.id] : (await this.ledger.postBatch(em, drafts)).entries.map((e) => e.id);
    } catch (error) {
      throw translateFunds(error);
    }
    await this.moveTakes(em, takes, { ownerPartyId: buyer.id, status: 'HELD', listingId: null, retirementId: null });
    await em.query(
      `UPDATE carbon_listings SET quantity_available = quantity_available - $2, state = CASE WHEN quantity_available = $2 THEN 'SOLD_OUT' ELSE state END WHERE id = $1`,
      [listing.id, quantity.toString()],
    );
    const ranges = takes.map((t) => toText(t.taken));
    const [sale] = (await em.query(
      `INSERT INTO carbon_sales (listing_id, buyer_party_id, quantity, unit_price, gross_amount, rule_id, rule_version, serial_ranges, shares, effective_date, entry_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
      [
        listing.id,
        buyer.id,
        quantity.toString(),
        listing.unit_price,
        gross,
        rule?.id ?? null,
        rule?.version ?? null,
        JSON.stringify(ranges),
        JSON.stringify(lines),
        effectiveDate,
        entryIds[0],
      ],
    )) as Array<{ id: string }>;
    return this.getSale(sale.id, em);
  }

  async getSale(id: string, em: EntityManager = this.dataSource.manager): Promise<SaleView> {
    if (!isBigintId(id)) throw new CarbonError('UNKNOWN_SALE', `no carbon sale ${JSON.stringify(id)}`, 'id');
    const [row] = (await em.query(
      `SELECT s.id::text AS id, s.listing_id::text AS listing_id, p.code AS project, p.standard, b.code AS buyer, se.code AS seller, s.quantity::text AS quantity,
              s.unit_price::text AS unit_price, s.gross_amount::text AS gross_amount, s.rule_version, s.serial_ranges, s.shares,
              to_char(s.effective_date, 'YYYY-MM-DD') AS effective_date, e.idempotency_key
         FROM carbon_sales s JOIN carbon_listings l ON l.id = s.listing_id JOIN carbon_projects p ON p.id = l.project_id
         JOIN parties b ON b.id = s.buyer_party_id JOIN parties se ON se.id = l.seller_party_id JOIN ledger_entries e ON e.id = s.entry_id
        WHERE s.id = $1`,
      [id],
    )) as Array<{
      id: string;
      listing_id: string;
      project: string;
      standard: CarbonStandard;
      buyer: string;
      seller: string;
      quantity: string;
      unit_price: string;
      gross_amount: string;
      rule_version: number | null;
      serial_ranges: SerialRangeText[];
      shares: RevenueShareLine[];
      effective_date: string;
      idempotency_key: string;
    }>;
    if (!row) throw new CarbonError('UNKNOWN_SALE', `no carbon sale ${JSON.stringify(id)}`, 'id');
    // The batch's entries: carbon-sale:<key>:1, :2 … (the part number is all digits).
    const base = row.idempotency_key.replace(/:1$/, ':');
    const entries = (await em.query(`SELECT id::text AS id FROM ledger_entries WHERE left(idempotency_key, $2) = $1 AND substr(idempotency_key, $2 + 1) ~ '^[0-9]+$' ORDER BY id`, [
      base,
      base.length,
    ])) as Array<{ id: string }>;
    const vintages = await this.vintageOfSerials(em, row.project, row.serial_ranges);
    return {
      id: row.id,
      listingId: row.listing_id,
      project: row.project,
      buyer: row.buyer,
      seller: row.seller,
      quantity: row.quantity,
      unitPrice: row.unit_price,
      grossAmount: row.gross_amount,
      ruleVersion: row.rule_version,
      serialBlocks: row.serial_ranges.map((r, i) => serialText(row.standard, row.project, vintages[i], fromText(r))),
      serialRanges: row.serial_ranges,
      shares: row.shares,
      effectiveDate: row.effective_date,
      entryIds: entries.map((e) => e.id),
    };
  }

  private async vintageOfSerials(em: EntityManager, project: string, ranges: SerialRangeText[]): Promise<string[]> {
    const rows = (await em.query(
      `SELECT r.ord, i.vintage FROM unnest($2::bigint[]) WITH ORDINALITY AS r(serial, ord)
         JOIN carbon_issuances i ON i.project_id = (SELECT id FROM carbon_projects WHERE code = $1) AND r.serial BETWEEN i.serial_start AND i.serial_end ORDER BY r.ord`,
      [project, ranges.map((r) => r.start)],
    )) as Array<{ ord: string; vintage: string }>;
    return rows.map((r) => r.vintage);
  }

  private saleDrafts(s: {
    project: ProjectRow;
    key: string;
    effectiveDate: string;
    gross: string;
    quantity: bigint;
    buyer: string;
    seller: string;
    listingId: string;
    ruleVersion: number | null;
    totals: Array<{ party: string; amount: string }>;
  }): EntryDraft[] {
    const code = s.project.code;
    const chunks: Array<Array<{ party: string; amount: string }>> = [];
    for (let i = 0; i < s.totals.length; i += SHARES_PER_ENTRY) chunks.push(s.totals.slice(i, i + SHARES_PER_ENTRY));
    if (chunks.length === 0) chunks.push([]);
    const metadata = { carbonProject: code, listing: s.listingId, buyer: s.buyer, seller: s.seller, ruleVersion: s.ruleVersion };
    return chunks.map((chunk, i): EntryDraft => {
      const paid = chunk.reduce((sum, t) => sum.plus(t.amount), new Dec(0)).toFixed(2);
      const sale: PostingDraft[] =
        i === 0
          ? [
              { account: walletOf(s.buyer), side: 'DEBIT', amount: s.gross },
              { account: carbonRevenue(code), side: 'CREDIT', amount: s.gross },
              { account: holderCredits(s.seller, code), side: 'DEBIT', amount: s.quantity.toString() },
              { account: holderCredits(s.buyer, code), side: 'CREDIT', amount: s.quantity.toString() },
            ]
          : [];
      return {
        idempotencyKey: `carbon-sale:${s.key}:${i + 1}`,
        kind: i === 0 ? 'CARBON_SALE' : 'CARBON_REVENUE_SHARE',
        effectiveDate: s.effectiveDate,
        memo:
          i > 0
            ? `碳汇收益分配 ${code} (${i + 1}/${chunks.length})`
            : `碳汇交易 ${code} ${s.quantity} 吨 ${s.gross} 元，${s.ruleVersion === null ? '转售，价款归卖方' : `收益按第 ${s.ruleVersion} 版分配规则分配`}`,
        metadata: { ...metadata, part: i + 1, parts: chunks.length },
        // The revenue account shows the gross price coming in and the shares going out; a buyer who
        // also has a share pays the price and receives the share.
        clearingAccounts: [carbonRevenue(code), walletOf(s.buyer)],
        postings: [
          ...sale,
          ...(chunk.length > 0 ? [{ account: carbonRevenue(code), side: 'DEBIT' as const, amount: paid }] : []),
          ...chunk.map((t) => ({ account: walletOf(t.party), side: 'CREDIT' as const, amount: t.amount })),
        ],
      };
    });
  }

  /** Recipients of each share, in a stable order (party id; 林票 holders by certificate number). */
  private async recipients(em: EntityManager, project: ProjectRow, rule: RevenueRule, date: string): Promise<RevenueRecipient[][]> {
    const out: RevenueRecipient[][] = [];
    for (const share of rule.shares) {
      if (share.kind === 'PARTY') out.push([{ party: share.party, weight: '1' }]);
      else if (share.kind === 'TICKET_UNITS') {
        const [series] = (await em.query(`SELECT code FROM ticket_series WHERE project_id = $1`, [project.coop_project_id])) as Array<{ code: string }>;
        if (!series) throw new CarbonError('NO_REVENUE_RECIPIENTS', `cooperation project ${project.coop_project_code} has no 林票 series to share by units`, 'rule');
        const register = await this.series.register(series.code, date, em);
        out.push(register.lines.map((l) => ({ party: l.partyCode, weight: l.units })));
      } else {
        const kind = share.kind === 'PER_PERSON' ? 'VILLAGER' : 'HOUSEHOLD';
        const rows = (await em.query(`SELECT p.code FROM parties p JOIN parties c ON c.id = p.collective_id WHERE c.code = $1 AND p.kind = $2 AND p.active ORDER BY p.id`, [
          share.collective,
          kind,
        ])) as Array<{ code: string }>;
        out.push(rows.map((r) => ({ party: r.code, weight: '1' })));
      }
    }
    return out;
  }

  private async lockListing(
    em: EntityManager,
    listingId: string,
  ): Promise<{ id: string; state: string; project_code: string; seller_code: string; unit_price: string; quantity_available: string }> {
    const [row] = /^\d{1,18}$/.test(listingId)
      ? ((await em.query(
          `SELECT l.id::text AS id, l.state, p.code AS project_code, s.code AS seller_code, l.unit_price::text AS unit_price, l.quantity_available::text AS quantity_available
             FROM carbon_listings l JOIN carbon_projects p ON p.id = l.project_id JOIN parties s ON s.id = l.seller_party_id WHERE l.id = $1 FOR UPDATE OF l`,
          [listingId],
        )) as Array<{ id: string; state: string; project_code: string; seller_code: string; unit_price: string; quantity_available: string }>)
      : [];
    if (!row) throw new CarbonError('UNKNOWN_LISTING', `no listing ${JSON.stringify(listingId)}`, 'listing');
    return row;
  }

  // ---------------------------------------------------------------- retirement

  /**
   * Retires a holder's tonnes of one vintage (the oldest serials first) for a beneficiary: the blocks
   * become RETIRED, the tonnes go to the project's retired account, and a certificate with a gapless
   * number, the serial ranges and the SHA-256 of its content is recorded. Terminal.
   */
  async retire(em: EntityManager, code: string, input: RetireInput, key: string): Promise<RetirementView> {
    const project = await this.load(em, code);
    const idempotencyKey = `carbon-retirement:${key}`;
    const [replay] = (await em.query(`SELECT r.id::text AS id FROM carbon_retirements r JOIN ledger_entries e ON e.id = r.entry_id WHERE e.idempotency_key = $1`, [
      idempotencyKey,
    ])) as Array<{ id: string }>;
    if (replay) {
      const retirement = await this.getRetirement(replay.id, em);
      if (retirement.retiringParty !== input.holder || retirement.quantity !== String(input.quantity) || retirement.project !== code)
        throw conflict(key, `retirement ${retirement.certificateNo}`);
      return retirement;
    }
    const holder = await this.requireParty(em, input.holder, 'holder');
    const issuance = await this.requireIssuance(em, project, input.issuanceId);
    const quantity = wholeTonnes(input.quantity, 'quantity');
    const beneficiaryName = requireText(input.beneficiaryName, 'beneficiaryName');
    if (typeof input.publishBeneficiary !== 'boolean') throw invalid('publishBeneficiary must be true or false', 'publishBeneficiary');
    if (!RETIREMENT_PURPOSES.includes(input.purpose)) throw invalid(`purpose must be one of ${RETIREMENT_PURPOSES.join(', ')}`, 'purpose');
    const eventName = input.eventName === undefined ? null : requireText(input.eventName, 'eventName');
    const eventEmissions = input.eventEmissions === undefined ? null : Amount.parse(input.eventEmissions, 3, 'eventEmissions').value.toFixed(3);
    const effectiveDate = effectiveDateOf(input.effectiveDate);

    const blocks = await this.lockBlocks(em, `b.issuance_id = $1 AND b.owner_party_id = $2 AND b.status = 'HELD'`, [issuance.id, holder.id]);
    const takes = this.take(blocks, quantity, holder.code);
    const ranges = mergeRanges(takes.map((t) => t.taken));
    let entryId: string;
    try {
      const posted = await this.ledger.post(em, {
        idempotencyKey,
        kind: 'CARBON_RETIREMENT',
        effectiveDate,
        memo: `碳汇注销 ${code} ${issuance.vintage} ${quantity} 吨，受益方 ${input.publishBeneficiary ? beneficiaryName : '（不公开）'}`,
        metadata: { carbonProject: code, issuanceId: issuance.id, holder: holder.code, purpose: input.purpose },
        postings: [
          { account: holderCredits(holder.code, code), side: 'DEBIT', amount: quantity.toString() },
          { account: carbonRetired(code), side: 'CREDIT', amount: quantity.toString() },
        ],
      });
      entryId = posted.entry.id;
    } catch (error) {
      throw translateFunds(error);
    }
    // Gapless certificate numbers: one writer at a time takes the next (released at commit or rollback).
    await em.query(`SELECT pg_advisory_xact_lock(hashtext('carbon_retirement_certificate_seq'))`);
    const [{ seq }] = (await em.query(`SELECT COALESCE(max(certificate_seq), 0) + 1 AS seq FROM carbon_retirements`)) as Array<{ seq: number }>;
    const certificate: RetirementCertificate = {
      certificateNo: retirementCertificateNo(seq),
      project: code,
      projectName: project.name,
      standard: project.standard,
      externalId: project.external_id,
      vintage: issuance.vintage,
      vintageStart: issuance.vintage_start,
      vintageEnd: issuance.vintage_end,
      quantity: quantity.toString(),
      serialBlocks: ranges.map((r) => serialText(project.standard, code, issuance.vintage, r)),
      retiringParty: holder.code,
      retiringPartyName: holder.name,
      beneficiaryName,
      publishBeneficiary: input.publishBeneficiary,
      purpose: input.purpose,
      eventName,
      eventEmissions,
      retiredOn: effectiveDate,
    };
    const [retirement] = (await em.query(
      `INSERT INTO carbon_retirements (certificate_seq, certificate_no, issuance_id, retiring_party_id, beneficiary_name, publish_beneficiary, purpose, event_name, event_emissions,
                                       quantity, serial_ranges, effective_date, content_hash, verification_code, entry_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
      [
        seq,
        certificate.certificateNo,
        issuance.id,
        holder.id,
        beneficiaryName,
        input.publishBeneficiary,
        input.purpose,
        eventName,
        eventEmissions,
        quantity.toString(),
        JSON.stringify(ranges.map(toText)),
        effectiveDate,
        certificateHash(certificate),
        newVerificationCode(),
        entryId,
      ],
    )) as Array<{ id: string }>;
    await this.moveTakes(em, takes, { ownerPartyId: holder.id, status: 'RETIRED', listingId: null, retirementId: retirement.id });
    return this.getRetirement(retirement.id, em);
  }

  async getRetirement(id: string, em: EntityManager = this.dataSource.manager): Promise<RetirementView> {
    const row = await this.retirementRow(em, 'r.id = $1', [id]);
    if (!row) throw new CarbonError('UNKNOWN_CERTIFICATE', `no retirement ${JSON.stringify(id)}`, 'retirement');
    return row;
  }

  async getRetirementByCertificate(certificateNo: string, em: EntityManager = this.dataSource.manager): Promise<RetirementView> {
    const row = await this.retirementRow(em, 'r.certificate_no = $1', [certificateNo]);
    if (!row) throw new CarbonError('UNKNOWN_CERTIFICATE', `no retirement certificate ${JSON.stringify(certificateNo)}`, 'certificateNo');
    return row;
  }

  /**
   * The public check of a certificate number and its code. A wrong code answers like an unknown
   * number (valid: false, nothing disclosed); `intact` recomputes the content's SHA-256 from the
   * stored records, so a row edited behind the service's back shows.
   */
  async verifyRetirement(certificateNo: string, code: string, em: EntityManager = this.dataSource.manager): Promise<RetirementVerification> {
    const normalised = normaliseVerificationCode(code);
    const row = normalised === null ? null : await this.retirementRow(em, 'r.certificate_no = $1 AND r.verification_code = $2', [certificateNo, normalised]);
    if (!row) return { valid: false, intact: false, certificate: null };
    const { retiringParty: _party, retiringPartyName: _partyName, beneficiaryName, ...content } = retirementCertificateOf(row);
    const intact = certificateHash(retirementCertificateOf(row)) === row.contentHash;
    return { valid: true, intact, certificate: { ...content, beneficiaryName: row.publishBeneficiary ? beneficiaryName : null, contentHash: row.contentHash } };
  }

  private async retirementRow(em: EntityManager, where: string, params: unknown[]): Promise<RetirementView | null> {
    if (where.startsWith('r.id') && !/^\d{1,18}$/.test(String(params[0]))) return null;
    const [row] = await this.retirementViews(em, where, params);
    return row ?? null;
  }

  /** The retirements matching `where`, in one query. */
  private async retirementViews(em: EntityManager, where: string, params: unknown[], orderBy = 'r.id'): Promise<RetirementView[]> {
    const rows = (await em.query(
      `SELECT r.id::text AS id, r.certificate_no, p.code AS project, p.name AS project_name, p.standard, p.external_id, i.vintage,
              to_char(i.vintage_start, 'YYYY-MM-DD') AS vintage_start, to_char(i.vintage_end, 'YYYY-MM-DD') AS vintage_end, r.quantity::text AS quantity,
              r.serial_ranges, h.code AS holder, h.name AS holder_name, r.beneficiary_name, r.publish_beneficiary, r.purpose, r.event_name,
              r.event_emissions::text AS event_emissions, to_char(r.effective_date, 'YYYY-MM-DD') AS retired_on, r.content_hash, r.verification_code, r.entry_id::text AS entry_id
         FROM carbon_retirements r JOIN carbon_issuances i ON i.id = r.issuance_id JOIN carbon_projects p ON p.id = i.project_id JOIN parties h ON h.id = r.retiring_party_id
        WHERE ${where} ORDER BY ${orderBy}`,
      params,
    )) as Array<{
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
      holder: string;
      holder_name: string;
      beneficiary_name: string;
      publish_beneficiary: boolean;
      purpose: RetirementPurpose;
      event_name: string | null;
      event_emissions: string | null;
      retired_on: string;
      content_hash: string;
      verification_code: string;
      entry_id: string;
    }>;
    return rows.map((row) => ({
      id: row.id,
      certificateNo: row.certificate_no,
      project: row.project,
      projectName: row.project_name,
      standard: row.standard,
      externalId: row.external_id,
      vintage: row.vintage,
      vintageStart: row.vintage_start,
      vintageEnd: row.vintage_end,
      quantity: row.quantity,
      serialBlocks: row.serial_ranges.map((r) => serialText(row.standard, row.project, row.vintage, fromText(r))),
      retiringParty: row.holder,
      retiringPartyName: row.holder_name,
      beneficiaryName: row.beneficiary_name,
      publishBeneficiary: row.publish_beneficiary,
      purpose: row.purpose,
      eventName: row.event_name,
      eventEmissions: row.event_emissions,
      retiredOn: row.retired_on,
      contentHash: row.content_hash,
      verificationCode: formatVerificationCode(row.verification_code),
      entryId: row.entry_id,
    }));
  }

  /** The certificate as a PDF in Chinese; the beneficiary is printed only when they allowed it. */
  async certificatePdf(id: string, em: EntityManager = this.dataSource.manager): Promise<Buffer> {
    const r = await this.getRetirement(id, em);
    return renderRetirementCertificatePdf({
      certificateNo: r.certificateNo,
      project: r.project,
      projectName: r.projectName,
      standardLabel: r.externalId === null ? STANDARD_LABELS[r.standard] : `${STANDARD_LABELS[r.standard]} ${r.externalId}`,
      vintage: r.vintage,
      vintagePeriod: `${r.vintageStart} 至 ${r.vintageEnd}`,
      quantity: r.quantity,
      serialBlocks: r.serialBlocks,
      beneficiary: r.publishBeneficiary ? r.beneficiaryName : '（受益方要求不公开）',
      retiringParty: r.retiringPartyName,
      purposeLabel: PURPOSE_LABELS[r.purpose],
      eventName: r.eventName,
      eventEmissions: r.eventEmissions,
      retiredOn: r.retiredOn,
      contentHash: r.contentHash,
      verificationCode: r.verificationCode,
      verificationUrl: `${this.env.PUBLIC_BASE_URL}/v1/public/carbon-certificates/${r.certificateNo}`,
    });
  }

  // ---------------------------------------------------------------- invariant

  /**
   * Per vintage: issued = held + reserved + retired + buffer + cancelled (from the serial blocks);
   * and the blocks agree with the ledger: issued, buffer and retired accounts, and each holder's
   * credits account = their HELD + RESERVED tonnes.
   */
  async checkInvariant(code: string, em: EntityManager = this.dataSource.manager): Promise<CarbonInvariantReport> {
    const project = await this.load(em, code);
    const rows = (await em.query(
      `SELECT i.id::text AS id, i.vintage, i.quantity::text AS issued, ${SERIAL_STATUSES.map(
        (s) => `COALESCE(SUM(b.serial_end - b.serial_start + 1) FILTER (WHERE b.status = '${s}'), 0)::text AS ${s.toLowerCase()}`,
      ).join(', ')}
         FROM carbon_issuances i LEFT JOIN carbon_serial_blocks b ON b.issuance_id = i.id
        WHERE i.project_id = $1 GROUP BY i.id ORDER BY i.vintage_start`,
      [project.id],
    )) as Array<{ id: string; vintage: string; issued: string; held: string; reserved: string; retired: string; buffer: string; cancelled: string }>;
    const vintages = rows.map((r) => ({
      issuanceId: r.id,
      vintage: r.vintage,
      issued: r.issued,
      held: r.held,
      reserved: r.reserved,
      retired: r.retired,
      buffer: r.buffer,
      cancelled: r.cancelled,
      ok: BigInt(r.issued) === BigInt(r.held) + BigInt(r.reserved) + BigInt(r.retired) + BigInt(r.buffer) + BigInt(r.cancelled),
    }));
    const sum = (f: (v: VintageBalance) => string) => vintages.reduce((s, v) => s + BigInt(f(v)), 0n);
    const mismatches: string[] = [];
    const expect = async (account: string, tonnes: bigint) => {
      const [row] = (await em.query(
        `SELECT (CASE normal_side WHEN 'DEBIT' THEN debits - credits ELSE credits - debits END)::text AS balance FROM ledger_accounts WHERE code = $1`,
        [account],
      )) as Array<{
        balance: string;
      }>;
      const balance = new Dec(row?.balance ?? 0);
      if (!balance.equals(tonnes.toString())) mismatches.push(`${account}: ledger ${balance.toString()} t, serial blocks ${tonnes} t`);
    };
    await expect(carbonIssued(code), sum((v) => v.issued) - sum((v) => v.cancelled));
    await expect(
      carbonBuffer(code),
      sum((v) => v.buffer),
    );
    await expect(
      carbonRetired(code),
      sum((v) => v.retired),
    );
    const holders = (await em.query(
      `SELECT a.code AS account, COALESCE(t.tonnes, 0)::text AS tonnes
         FROM ledger_accounts a LEFT JOIN (
           SELECT 'holder:' || o.code || ':credits:' || $2 AS account, SUM(b.serial_end - b.serial_start + 1) AS tonnes
             FROM carbon_serial_blocks b JOIN parties o ON o.id = b.owner_party_id WHERE b.project_id = $1 AND b.status IN ('HELD', 'RESERVED') GROUP BY o.code) t ON t.account = a.code
        WHERE a.code LIKE 'holder:%:credits:' || $2
       UNION ALL
       SELECT 'holder:' || o.code || ':credits:' || $2, SUM(b.serial_end - b.serial_start + 1)::text
         FROM carbon_serial_blocks b JOIN parties o ON o.id = b.owner_party_id WHERE b.project_id = $1 AND b.status IN ('HELD', 'RESERVED')
          AND NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.code = 'holder:' || o.code || ':credits:' || $2) GROUP BY o.code`,
      [project.id, code],
    )) as Array<{ account: string; tonnes: string }>;
    for (const h of holders) await expect(h.account, BigInt(h.tonnes));
    return { project: code, ok: vintages.every((v) => v.ok) && mismatches.length === 0, vintages, ledgerMismatches: mismatches };
  }

  // ---------------------------------------------------------------- blocks

  /** Blocks matching `where` (alias b), locked FOR UPDATE in FIFO order: oldest vintage, then lowest serial. */
  private async lockBlocks(em: EntityManager, where: string, params: unknown[]): Promise<Array<BlockRow & { start: bigint; end: bigint }>> {
    const rows = (await em.query(
      `SELECT b.id::text AS id, b.issuance_id::text AS issuance_id, i.vintage, b.serial_start::text AS serial_start, b.serial_end::text AS serial_end
         FROM carbon_serial_blocks b JOIN carbon_issuances i ON i.id = b.issuance_id
        WHERE ${where} ORDER BY i.vintage_start, b.serial_start FOR UPDATE OF b`,
      params,
    )) as BlockRow[];
    return rows.map((r) => ({ ...r, start: BigInt(r.serial_start), end: BigInt(r.serial_end) }));
  }

  private take(blocks: Array<{ id: string; start: bigint; end: bigint }>, quantity: bigint, party: string): BlockTake[] {
    try {
      return takeSerials(blocks, quantity);
    } catch (error) {
      if (error instanceof CarbonError && error.code === 'INSUFFICIENT_CREDITS') {
        throw new CarbonError('INSUFFICIENT_CREDITS', `${party} has ${String(error.details?.available)} t available here, ${quantity} t asked`, 'quantity', {
          ...error.details,
          party,
        });
      }
      throw error;
    }
  }

  /**
   * Hands the taken ranges over: a whole block changes owner and status in place; a split block
   * first shrinks to its rest (so the ranges never overlap, even for an instant) and the taken part
   * becomes a new block.
   */
  private async moveTakes(
    em: EntityManager,
    takes: BlockTake[],
    to: { ownerPartyId: string; status: SerialStatus; listingId: string | null; retirementId: string | null },
  ): Promise<void> {
    const whole = takes.filter((t) => t.rest === null).map((t) => t.blockId);
    if (whole.length > 0) {
      await em.query(`UPDATE carbon_serial_blocks SET owner_party_id = $2, status = $3, listing_id = $4, retirement_id = $5 WHERE id = ANY($1::bigint[])`, [
        whole,
        to.ownerPartyId,
        to.status,
        to.listingId,
        to.retirementId,
      ]);
    }
    for (const t of takes.filter((x) => x.rest !== null)) {
      await em.query(
        `WITH shrunk AS (UPDATE carbon_serial_blocks SET serial_start = $2 WHERE id = $1 RETURNING project_id, issuance_id)
         INSERT INTO carbon_serial_blocks (project_id, issuance_id, serial_start, serial_end, owner_party_id, status, listing_id, retirement_id)
         SELECT project_id, issuance_id, $3, $4, $5, $6, $7, $8 FROM shrunk`,
        [t.blockId, t.rest!.start.toString(), t.taken.start.toString(), t.taken.end.toString(), to.ownerPartyId, to.status, to.listingId, to.retirementId],
      );
    }
  }

  // ---------------------------------------------------------------- helpers

  private async requireParty(em: EntityManager, code: string, field: string): Promise<PartyRef> {
    const party = typeof code === 'string' ? (await partyRefs(em, [code])).get(code) : undefined;
    if (!party || !party.active) throw new CarbonError('UNKNOWN_PARTY', `no active party ${JSON.stringify(code)}`, field);
    return party;
  }

  private async requireIssuance(em: EntityManager, project: ProjectRow, issuanceId: string): Promise<IssuanceRow> {
    const [row] =
      typeof issuanceId === 'string' && /^\d{1,18}$/.test(issuanceId)
        ? ((await em.query(`${ISSUANCE_SELECT} WHERE i.id = $1 AND i.project_id = $2`, [issuanceId, project.id])) as IssuanceRow[])
        : [];
    if (!row) throw new CarbonError('UNKNOWN_VINTAGE', `carbon project ${project.code} has no issuance ${JSON.stringify(issuanceId)}`, 'issuanceId');
    return row;
  }

  private async ensureCreditsAccounts(em: EntityManager, parties: string[], project: string): Promise<void> {
    const codes = parties.map((p) => holderCredits(p, project));
    const existing = new Set(((await em.query(`SELECT code FROM ledger_accounts WHERE code = ANY($1::text[])`, [codes])) as Array<{ code: string }>).map((r) => r.code));
    const missing = parties.filter((p) => !existing.has(holderCredits(p, project)));
    if (missing.length > 0)
      await this.ledger.openAccounts(
        em,
        missing.map((p) => holderCreditsAccount(p, project)),
      );
  }

  /** Every party has its wallet from registration; one opened here only covers a party created without (as parties.service does). */
  private async ensureWallets(em: EntityManager, parties: string[]): Promise<void> {
    const existing = new Set(
      ((await em.query(`SELECT code FROM ledger_accounts WHERE code = ANY($1::text[])`, [parties.map(walletOf)])) as Array<{ code: string }>).map((r) => r.code),
    );
    const missing = parties.filter((p) => !existing.has(walletOf(p)));
    if (missing.length > 0) {
      await this.ledger.openAccounts(
        em,
        missing.map((p) => ({ code: walletOf(p), asset: WALLET_ASSET.code, type: 'LIABILITY' as const, ownerRef: `party:${p}`, noOverdraft: true })),
      );
    }
  }
}

/** The certificate content as hashed, from a stored retirement. */
export function retirementCertificateOf(view: RetirementView): RetirementCertificate {
  return {
    certificateNo: view.certificateNo,
    project: view.project,
    projectName: view.projectName,
    standard: view.standard,
    externalId: view.externalId,
    vintage: view.vintage,
    vintageStart: view.vintageStart,
    vintageEnd: view.vintageEnd,
    quantity: view.quantity,
    serialBlocks: view.serialBlocks,
    retiringParty: view.retiringParty,
    retiringPartyName: view.retiringPartyName,
    beneficiaryName: view.beneficiaryName,
    publishBeneficiary: view.publishBeneficiary,
    purpose: view.purpose,
    eventName: view.eventName,
    eventEmissions: view.eventEmissions,
    retiredOn: view.retiredOn,
  };
}

/** A key reused for a different command: the first one stands. */
function conflict(key: string, first: string): LedgerError {
  return new LedgerError('IDEMPOTENCY_CONFLICT', `idempotency key ${key} was already used for a different command (${first})`, 'idempotencyKey');
}

/** INSUFFICIENT_FUNDS on a buyer's wallet names the party; on a credits account it is INSUFFICIENT_CREDITS. */
function translateFunds(error: unknown): unknown {
  if (!(error instanceof LedgerError) || error.code !== 'INSUFFICIENT_FUNDS') return error;
  const account = String(error.details?.account ?? '');
  const wallet = /^party:(.+):wallet:CNY$/.exec(account);
  if (wallet)
    return new LedgerError('INSUFFICIENT_FUNDS', `${wallet[1]}'s wallet holds ${String(error.details?.balance)} CNY, less than the order costs; nothing moved`, 'buyer', {
      ...error.details,
      party: wallet[1],
    });
  if (/^holder:.+:credits:/.test(account))
    return new CarbonError('INSUFFICIENT_CREDITS', `account ${account} holds fewer tonnes than asked; nothing moved`, 'quantity', error.details);
  return error;
}
