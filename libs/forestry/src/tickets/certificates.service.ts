import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, LedgerReads } from '@forest-ledger/ledger';
import { Env } from '@forest-ledger/platform';
import ExcelJS from 'exceljs';
import { DataSource, EntityManager } from 'typeorm';
import type { OwnerScope } from '@forest-ledger/access';
import type { IdKind, PartyKind } from '../parties/party.model';
import { maskName, partiesByIds } from '../parties/party-refs';
import { businessToday, holderPledged, holderTickets } from '../projects/project-accounts';
import { ProjectsService } from '../projects/projects.service';
import { decimalCell, RATIO_SCALE } from '../common/xlsx-cells';
import { pdfRenderer } from '../common/pdf-renderer';
import { verificationLink } from '../common/verification-qr';
import { CERTIFICATE_PDF, CertificateHolderKind } from './certificate-pdf';
import { toChineseCapitalAmount } from './chinese-amount';
import { SeriesService } from './series.service';
import * as store from './series.store';
import { HoldingOrigin, TransferRestriction } from './ticket.model';
import { TicketError } from './tickets.errors';
import { formatVerificationCode, normaliseVerificationCode } from './verification-code';

export const RESTRICTION_LABELS: Record<TransferRestriction, string> = {
  OPEN: '可自由转让',
  COLLECTIVE_MEMBERS: '限本集体成员间转让',
  NONE: '不可转让',
};

export interface CertificateView {
  certificateNo: string;
  series: string;
  seriesName: string;
  project: string;
  projectName: string;
  holder: { code: string; name: string; idMasked: string | null };
  /** TICKET (林票) or INCOME_RIGHT (集体林地收益权证书). */
  instrument: 'TICKET' | 'INCOME_RIGHT';
  /** Issued per household (收益权量化到户): the household whose units these are, held by its head. */
  household: { code: string; name: string } | null;
  origin: HoldingOrigin;
  /** Free units now. */
  units: string;
  pledgedUnits: string;
  faceValue: string;
  /** (units + pledged) × face value, CNY. */
  faceAmount: string;
  faceAmountInWords: string;
  transferRestriction: TransferRestriction;
  issuedOn: string;
  verificationCode: string;
  verificationUrl: string;
}

/** What anyone holding the paper may learn: enough to check it, nothing more (name and ID masked). */
export interface VerificationView {
  valid: boolean;
  certificateNo: string;
  series: string;
  seriesName: string;
  projectName: string;
  issuer: string;
  holderName: string;
  units: string;
  pledgedUnits: string;
  faceValue: string;
  asOf: string;
}

/** A holding with its series, project and holder, as a certificate shows it. */
interface CertificateRow {
  series_id: string;
  certificate_no: string;
  origin: HoldingOrigin;
  verification_code: string;
  party_code: string;
  party_name: string;
  party_kind: PartyKind;
  id_kind: IdKind | null;
  id_masked: string | null;
  series_code: string;
  series_name: string;
  face_value: string;
  transfer_restriction: TransferRestriction;
  issued_on: string;
  project_id: string;
  project_code: string;
  /** The holder's household when this holding was issued to it per household (its head holds it), else null. */
  household_code: string | null;
  household_name: string | null;
  project_name: string;
  /** The farm (林票) or, for an income-right scheme, the collective. */
  issuer_name: string;
  collective_code: string;
  instrument: 'TICKET' | 'INCOME_RIGHT';
}

export const REGISTER_HEADERS = ['林票编号', '持有人编码', '持有人', '证件号 (脱敏)', '来源', '持有份数', '其中质押份数', '持有比例'] as const;
const ORIGIN_LABELS: Record<HoldingOrigin, string> = { FARM: '林场出资', COLLECTIVE: '村集体留存', MEMBER: '村民分配', ACQUIRED: '受让/继承' };

/** Certificates (林票凭证) of holdings: their view, their PDF, the public verification, and the register as Excel. */
@Injectable()
export class CertificatesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly series: SeriesService,
    private readonly env: Env,
    private readonly projects: ProjectsService,
    private readonly reads: LedgerReads,
  ) {}

  /** A certificate its holder or staff (scope null) may see: it states one party's units, so any other (the issuing farm too) gets a 404. */
  async get(certificateNo: string, scope: OwnerScope, em: EntityManager = this.dataSource.manager): Promise<CertificateView> {
    return (await this.viewWithRow(certificateNo, scope, em)).view;
  }

  private async viewWithRow(certificateNo: string, scope: OwnerScope, em: EntityManager): Promise<{ view: CertificateView; row: CertificateRow }> {
    const row = await this.certificateRow(em, await store.holdingByCertificateNo(em, certificateNo));
    if (!row) throw new TicketError('UNKNOWN_CERTIFICATE', `no certificate ${JSON.stringify(certificateNo)}`, 'certificateNo');
    if (scope !== null && !scope.ownerRefs.includes(`party:${row.party_code}`)) {
      throw new TicketError('UNKNOWN_CERTIFICATE', `no certificate ${JSON.stringify(certificateNo)}`, 'certificateNo');
    }
    const [units, pledged] = await this.unitsOf(em, row);
    const faceAmount = units.plus(pledged).times(row.face_value);
    const view: CertificateView = {
      certificateNo: row.certificate_no,
      series: row.series_code,
      seriesName: row.series_name,
      project: row.project_code,
      projectName: row.project_name,
      holder: { code: row.party_code, name: row.party_name, idMasked: row.id_masked },
      instrument: row.instrument,
      household: row.household_code === null ? null : { code: row.household_code, name: row.household_name ?? row.household_code },
      origin: row.origin,
      units: units.toFixed(0),
      pledgedUnits: pledged.toFixed(0),
      faceValue: new Dec(row.face_value).toFixed(2),
      faceAmount: faceAmount.toFixed(2),
      faceAmountInWords: toChineseCapitalAmount(faceAmount.toFixed(2)),
      transferRestriction: row.transfer_restriction,
      issuedOn: row.issued_on,
      verificationCode: formatVerificationCode(row.verification_code),
      verificationUrl: certificateVerificationUrl(this.env.PUBLIC_BASE_URL, row.verification_code),
    };
    return { view, row };
  }

  /** The certificate as a one-page PDF (Chinese, with the 大写 amount and the verification code); a person's name is masked. */
  async pdf(certificateNo: string, scope: OwnerScope): Promise<{ fileName: string; buffer: Buffer }> {
    const em = this.dataSource.manager;
    const { view, row } = await this.viewWithRow(certificateNo, scope, em);
    const parcels = await this.projects.parcelsOf(em, row.project_id);
    const [project] = [...(await this.projects.recordsByIds(em, [row.project_id])).values()];
    // Off the event loop, and once per distinct content (the same certificate on the same day is the same bytes).
    const buffer = await pdfRenderer.render(CERTIFICATE_PDF, {
      certificateNo: view.certificateNo,
      seriesCode: view.series,
      seriesName: view.seriesName,
      projectName: view.projectName,
      holderName: holderLabel(row),
      holderIdMasked: view.holder.idMasked,
      holderIdKind: holderIdKind(row),
      units: new Dec(view.units).plus(view.pledgedUnits).toFixed(0),
      faceValue: view.faceValue,
      faceAmount: view.faceAmount,
      faceAmountInWords: view.faceAmountInWords,
      parcels: parcels.map((p) => ({ certificateNo: p.certificateNo, areaMu: new Dec(p.areaMu).toFixed(4), location: p.location })),
      totalAreaMu: new Dec(project.area_mu).toFixed(4),
      issuer: row.issuer_name,
      issuedOn: view.issuedOn,
      printedAt: businessToday(),
      verificationCode: view.verificationCode,
      verificationUrl: view.verificationUrl,
      transferRestrictionLabel: RESTRICTION_LABELS[view.transferRestriction],
      instrument: row.instrument,
    });
    return { fileName: `${row.instrument === 'INCOME_RIGHT' ? '收益权证书' : '林票'}-${view.certificateNo}.pdf`, buffer };
  }

  /** Public: what the verification code printed on a certificate stands for, today (em: the read replica's, from the controller). */
  async verify(code: string, em: EntityManager = this.dataSource.manager): Promise<VerificationView> {
    const normalised = normaliseVerificationCode(code);
    const row = normalised === null ? undefined : await this.certificateRow(em, await store.holdingByVerificationCode(em, normalised));
    if (!row) throw new TicketError('UNKNOWN_CERTIFICATE', 'no certificate has this verification code', 'code');
    const [units, pledged] = await this.unitsOf(em, row);
    return {
      valid: units.plus(pledged).greaterThan(0),
      certificateNo: row.certificate_no,
      series: row.series_code,
      seriesName: row.series_name,
      projectName: row.project_name,
      issuer: row.issuer_name,
      holderName: holderLabel(row),
      units: units.plus(pledged).toFixed(0),
      pledgedUnits: pledged.toFixed(0),
      faceValue: new Dec(row.face_value).toFixed(2),
      asOf: businessToday(),
    };
  }

  /** The holder register at a date as an .xlsx workbook (one sheet, a total row). */
  /** The register as a workbook; a scoped reader's has only its own lines (partyLinesSeenBy) under the series' totals. */
  async registerWorkbook(seriesCode: string, asOf: string = businessToday(), scope: OwnerScope = null): Promise<{ fileName: string; buffer: Buffer }> {
    const register = await this.series.register(seriesCode, asOf, undefined, scope);
    const workbook = new ExcelJS.Workbook();
    workbook.creator = 'forest-ledger';
    const sheet = workbook.addWorksheet('股东名册', { views: [{ state: 'frozen', ySplit: 2 }] });
    sheet.addRow([`林票 ${seriesCode} 持有人名册 截至 ${asOf}`]).font = { bold: true };
    sheet.addRow([...REGISTER_HEADERS]).font = { bold: true };
    sheet.columns = REGISTER_HEADERS.map((_, i) => ({ width: [22, 14, 16, 22, 12, 12, 14, 16][i] }));
    // Units are whole numbers (format 0), the share a ratio with its ten places (0.0000000000): numbers, exact (xlsx-cells).
    const figures = (row: ExcelJS.Row, units: string, pledged: string, share: string | null): ExcelJS.Row => {
      decimalCell(row.getCell(6), units, 0);
      decimalCell(row.getCell(7), pledged, 0);
      if (share !== null) decimalCell(row.getCell(8), share, RATIO_SCALE);
      return row;
    };
    for (const line of register.lines)
      figures(sheet.addRow([line.certificateNo, line.partyCode, line.name, line.idMasked ?? '', ORIGIN_LABELS[line.origin]]), line.units, line.pledgedUnits, line.share);
    figures(sheet.addRow(['合计', '', `${register.holders} 户/人`, '', '']), register.totalUnits, register.pledgedUnits, register.holders ? '1' : null).font = { bold: true };
    return { fileName: `林票持有人名册-${seriesCode}-${asOf}.xlsx`, buffer: Buffer.from(await workbook.xlsx.writeBuffer()) };
  }

  private async unitsOf(em: EntityManager, row: CertificateRow): Promise<[Dec, Dec]> {
    const codes = [holderTickets(row.party_code, row.series_code), holderPledged(row.party_code, row.series_code)];
    const balances = await this.reads.balances(em, codes);
    return [balances.get(codes[0]) ?? new Dec(0), balances.get(codes[1]) ?? new Dec(0)];
  }

  /** The holding with its series, project, holder and (issued per household) household; undefined for none. */
  private async certificateRow(em: EntityManager, h: store.HoldingRow | undefined): Promise<CertificateRow | undefined> {
    if (!h) return undefined;
    const series = (await store.findSeriesByIds(em, [h.series_id])).get(h.series_id)!;
    const project = (await this.projects.recordsByIds(em, [series.project_id])).get(series.project_id)!;
    const party = (await partiesByIds(em, [h.party_id])).get(h.party_id)!;
    const perHousehold = h.origin === 'MEMBER' && project.member_weighting === 'PER_HOUSEHOLD' && party.householdId !== null;
    const household = perHousehold ? (await partiesByIds(em, [party.householdId!])).get(party.householdId!) : undefined;
    return {
      series_id: h.series_id,
      certificate_no: h.certificate_no,
      origin: h.origin,
      verification_code: h.verification_code,
      party_code: party.code,
      party_name: party.name,
      party_kind: party.kind,
      id_kind: party.idKind,
      id_masked: party.idMasked,
      series_code: series.code,
      series_name: series.name,
      face_value: series.face_value,
      transfer_restriction: series.transfer_restriction,
      issued_on: series.issued_on,
      project_id: project.id,
      project_code: project.code,
      household_code: household?.code ?? null,
      household_name: household?.name ?? null,
      project_name: project.name,
      issuer_name: project.farm_name ?? project.collective_name,
      instrument: project.project_kind === 'INCOME_RIGHT' ? 'INCOME_RIGHT' : 'TICKET',
      collective_code: project.collective_code,
    };
  }
}

/** The public verification of a 林票 certificate, its code in the path (printed, and in the QR code). */
export function certificateVerificationUrl(baseUrl: string, code: string): string {
  return verificationLink(baseUrl, `/v1/public/certificates/${encodeURIComponent(code)}`);
}

/** A resident ID for a person; a 统一社会信用代码 for a collective, farm or company (by the number's kind, else the party's). */
function holderIdKind(row: CertificateRow): CertificateHolderKind {
  if (row.id_kind !== null) return row.id_kind === 'RESIDENT_ID' ? 'PERSON' : 'ORGANISATION';
  return row.party_kind === 'VILLAGER' || row.party_kind === 'INDIVIDUAL_BUYER' ? 'PERSON' : 'ORGANISATION';
}

/** The holder as printed and verified; per household the head holds the whole household's units (收益权量化到户). */
function holderLabel(row: CertificateRow): string {
  return `${displayName(row.party_kind, row.party_name)}${row.household_code === null ? '' : '（户主，全户共有）'}`;
}

/** Persons are shown masked in public (张*仁); organisations by their name. */
function displayName(kind: PartyKind, name: string): string {
  return kind === 'VILLAGER' || kind === 'INDIVIDUAL_BUYER' ? maskName(name) : name;
}
