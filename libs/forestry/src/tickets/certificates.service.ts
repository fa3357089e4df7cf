import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec } from '@forest-ledger/ledger';
import { Env } from '@forest-ledger/platform';
import ExcelJS from 'exceljs';
import { DataSource, EntityManager } from 'typeorm';
import type { OwnerScope } from '../access/access.types';
import type { PartyKind } from '../parties/party.model';
import { maskName } from '../projects/party-refs';
import { businessToday, holderPledged, holderTickets } from '../projects/project-accounts';
import { renderCertificatePdf } from './certificate-pdf';
import { toChineseCapitalAmount } from './chinese-amount';
import { SeriesService } from './series.service';
import { HoldingOrigin, TransferRestriction } from './ticket.entities';
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

interface HoldingRow {
  series_id: string;
  certificate_no: string;
  origin: HoldingOrigin;
  verification_code: string;
  party_code: string;
  party_name: string;
  party_kind: PartyKind;
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
  farm_name: string;
  farm_code: string;
  collective_code: string;
}

const HOLDING_SELECT = `SELECT h.series_id, h.certificate_no, h.origin, h.verification_code, p.code AS party_code, p.name AS party_name, p.kind AS party_kind, p.id_masked,
       s.code AS series_code, s.name AS series_name, s.face_value::text AS face_value, s.transfer_restriction, to_char(s.issued_on, 'YYYY-MM-DD') AS issued_on,
       pr.id AS project_id, pr.code AS project_code, pr.name AS project_name, f.name AS farm_name, f.code AS farm_code, c.code AS collective_code,
       hh.code AS household_code, hh.name AS household_name
  FROM ticket_holdings h JOIN parties p ON p.id = h.party_id JOIN ticket_series s ON s.id = h.series_id
  JOIN coop_projects pr ON pr.id = s.project_id JOIN parties f ON f.id = pr.farm_party_id JOIN parties c ON c.id = pr.collective_party_id
  LEFT JOIN parties hh ON hh.id = p.household_id AND h.origin = 'MEMBER' AND pr.member_weighting = 'PER_HOUSEHOLD'`;

export const REGISTER_HEADERS = ['林票编号', '持有人编码', '持有人', '证件号 (脱敏)', '来源', '持有份数', '其中质押份数', '持有比例'] as const;
const ORIGIN_LABELS: Record<HoldingOrigin, string> = { FARM: '林场出资', COLLECTIVE: '村集体留存', MEMBER: '村民分配', ACQUIRED: '受让/继承' };

/** Certificates (林票凭证) of holdings: their view, their PDF, the public verification, and the register as Excel. */
@Injectable()
export class CertificatesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly series: SeriesService,
    private readonly env: Env,
  ) {}

  /** A certificate its holder or staff (scope null) may see: it states one party's units, so any other (the issuing farm too) gets a 404. */
  async get(certificateNo: string, scope: OwnerScope, em: EntityManager = this.dataSource.manager): Promise<CertificateView> {
    const [row] = (await em.query(`${HOLDING_SELECT} WHERE h.certificate_no = $1`, [certificateNo])) as HoldingRow[];
    if (!row) throw new TicketError('UNKNOWN_CERTIFICATE', `no certificate ${JSON.stringify(certificateNo)}`, 'certificateNo');
    if (scope !== null && !scope.ownerRefs.includes(`party:${row.party_code}`)) {
      throw new TicketError('UNKNOWN_CERTIFICATE', `no certificate ${JSON.stringify(certificateNo)}`, 'certificateNo');
    }
    const [units, pledged] = await this.unitsOf(em, row);
    const faceAmount = units.plus(pledged).times(row.face_value);
    return {
      certificateNo: row.certificate_no,
      series: row.series_code,
      seriesName: row.series_name,
      project: row.project_code,
      projectName: row.project_name,
      holder: { code: row.party_code, name: row.party_name, idMasked: row.id_masked },
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
      verificationUrl: `${this.env.PUBLIC_BASE_URL}/v1/public/certificates/${row.verification_code}`,
    };
  }

  /** The certificate as a one-page PDF (Chinese, with the 大写 amount and the verification code); a person's name is masked. */
  async pdf(certificateNo: string, scope: OwnerScope): Promise<{ fileName: string; buffer: Buffer }> {
    const em = this.dataSource.manager;
    const view = await this.get(certificateNo, scope, em);
    const [row] = (await em.query(`${HOLDING_SELECT} WHERE h.certificate_no = $1`, [certificateNo])) as HoldingRow[];
    const parcels = (await em.query(
      `SELECT pa.certificate_no, pa.area_mu::text AS area_mu, pa.location FROM coop_project_parcels pp JOIN parcels pa ON pa.id = pp.parcel_id WHERE pp.project_id = $1 ORDER BY pa.certificate_no`,
      [row.project_id],
    )) as Array<{ certificate_no: string; area_mu: string; location: string }>;
    const [area] = (await em.query(`SELECT area_mu::text AS area_mu FROM coop_projects WHERE id = $1`, [row.project_id])) as Array<{ area_mu: string }>;
    const buffer = await renderCertificatePdf({
      certificateNo: view.certificateNo,
      seriesCode: view.series,
      seriesName: view.seriesName,
      projectName: view.projectName,
      holderName: holderLabel(row),
      holderIdMasked: view.holder.idMasked,
      units: new Dec(view.units).plus(view.pledgedUnits).toFixed(0),
      faceValue: view.faceValue,
      faceAmount: view.faceAmount,
      faceAmountInWords: view.faceAmountInWords,
      parcels: parcels.map((p) => ({ certificateNo: p.certificate_no, areaMu: new Dec(p.area_mu).toFixed(4), location: p.location })),
      totalAreaMu: new Dec(area.area_mu).toFixed(4),
      issuer: row.farm_name,
      issuedOn: view.issuedOn,
      printedAt: businessToday(),
      verificationCode: view.verificationCode,
      verificationUrl: view.verificationUrl,
      transferRestrictionLabel: RESTRICTION_LABELS[view.transferRestriction],
    });
    return { fileName: `林票-${view.certificateNo}.pdf`, buffer };
  }

  /** Public: what the verification code printed on a certificate stands for, today. */
  async verify(code: string): Promise<VerificationView> {
    const normalised = normaliseVerificationCode(code);
    const em = this.dataSource.manager;
    const [row] = normalised === null ? [] : ((await em.query(`${HOLDING_SELECT} WHERE h.verification_code = $1`, [normalised])) as HoldingRow[]);
    if (!row) throw new TicketError('UNKNOWN_CERTIFICATE', 'no certificate has this verification code', 'code');
    const [units, pledged] = await this.unitsOf(em, row);
    return {
      valid: units.plus(pledged).greaterThan(0),
      certificateNo: row.certificate_no,
      series: row.series_code,
      seriesName: row.series_name,
      projectName: row.project_name,
      issuer: row.farm_name,
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
    for (const line of register.lines) {
      // Units are whole numbers (exact in a spreadsheet number); the share stays text, so no digit is lost.
      sheet.addRow([line.certificateNo, line.partyCode, line.name, line.idMasked ?? '', ORIGIN_LABELS[line.origin], Number(line.units), Number(line.pledgedUnits), line.share]);
    }
    sheet.addRow(['合计', '', `${register.holders} 户/人`, '', '', Number(register.totalUnits), Number(register.pledgedUnits), register.holders ? '1.0000000000' : '']).font = {
      bold: true,
    };
    return { fileName: `林票持有人名册-${seriesCode}-${asOf}.xlsx`, buffer: Buffer.from(await workbook.xlsx.writeBuffer()) };
  }

  private async unitsOf(em: EntityManager, row: HoldingRow): Promise<[Dec, Dec]> {
    const codes = [holderTickets(row.party_code, row.series_code), holderPledged(row.party_code, row.series_code)];
    const rows = (await em.query(`SELECT code, (credits - debits)::text AS balance FROM ledger_accounts WHERE code = ANY($1::text[])`, [codes])) as Array<{
      code: string;
      balance: string;
    }>;
    const of = (code: string) => new Dec(rows.find((r) => r.code === code)?.balance ?? '0');
    return [of(codes[0]), of(codes[1])];
  }
}

/** The holder as printed and verified; per household the head holds the whole household's units (收益权量化到户). */
function holderLabel(row: HoldingRow): string {
  return `${displayName(row.party_kind, row.party_name)}${row.household_code === null ? '' : '（户主，全户共有）'}`;
}

/** Persons are shown masked in public (张*仁); organisations by their name. */
function displayName(kind: PartyKind, name: string): string {
  return kind === 'VILLAGER' || kind === 'INDIVIDUAL_BUYER' ? maskName(name) : name;
}
