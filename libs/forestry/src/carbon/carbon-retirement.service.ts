import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, canonicalJson, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { Env } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import { partiesByIds } from '../parties/party-refs';
import { formatVerificationCode, newVerificationCode, normaliseVerificationCode } from '../tickets/verification-code';
import { carbonRetired, holderCredits } from './carbon-accounts';
import { lockBlocks, moveTakes } from './carbon-blocks.store';
import { conflict, effectiveDateOf, fromText, invalid, loadProject, requireParty, requireText, takeOrRefuse, toText, translateFunds } from './carbon-common';
import { issuanceOf } from './carbon-projects.store';
import { insertRetirement, nextCertificateSeq, RetirementKey, RetirementRow, retirementRows } from './carbon-retirements.store';
import { CarbonStandard, RETIREMENT_PURPOSES, RetirementPurpose } from './carbon.model';
import { CarbonError } from './carbon.errors';
import type { RetireInput, RetirementCertificate, RetirementVerification, RetirementView } from './carbon.types';
import { renderRetirementCertificatePdf } from './retirement-certificate-pdf';
import { verificationLink } from '../common/verification-qr';
import { mergeRanges, serialText, wholeTonnes } from './serial-ranges';
import { recordEvent } from '../events/record-event';

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

export function certificateHash(certificate: RetirementCertificate): string {
  return createHash('sha256').update(canonicalJson(certificate), 'utf8').digest('hex');
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

/**
 * Retirement (注销, DOMAIN.md §5): terminal; a certificate with a gapless number, its PDF, and the
 * public verification by number and code. Every write runs in the caller's transaction (`em`).
 */
@Injectable()
export class CarbonRetirementService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly ledgerReads: LedgerReads,
    private readonly env: Env,
  ) {}

  /**
   * Retires a holder's tonnes of one vintage (the oldest serials first) for a beneficiary: the blocks
   * become RETIRED, the tonnes go to the project's retired account, and a certificate with a gapless
   * number, the serial ranges and the SHA-256 of its content is recorded. Terminal. A replay with the
   * same key returns the first certificate (see CarbonMarketService.order on why the check is here).
   */
  async retire(em: EntityManager, code: string, input: RetireInput, key: string): Promise<RetirementView> {
    const project = await loadProject(em, code);
    const idempotencyKey = `carbon-retirement:${key}`;
    const entryId = (await this.ledgerReads.entryIdsByKeys(em, [idempotencyKey])).get(idempotencyKey);
    const [replayed] = entryId === undefined ? [] : await this.views(em, { entryId });
    if (replayed) {
      if (replayed.retiringParty !== input.holder || replayed.quantity !== String(input.quantity) || replayed.project !== code)
        throw conflict(key, `retirement ${replayed.certificateNo}`);
      return replayed;
    }
    const holder = await requireParty(em, input.holder, 'holder');
    const issuance = await issuanceOf(em, project.id, input.issuanceId);
    if (!issuance) throw new CarbonError('UNKNOWN_VINTAGE', `carbon project ${project.code} has no issuance ${JSON.stringify(input.issuanceId)}`, 'issuanceId');
    const quantity = wholeTonnes(input.quantity, 'quantity');
    const beneficiaryName = requireText(input.beneficiaryName, 'beneficiaryName');
    if (typeof input.publishBeneficiary !== 'boolean') throw invalid('publishBeneficiary must be true or false', 'publishBeneficiary');
    if (!RETIREMENT_PURPOSES.includes(input.purpose)) throw invalid(`purpose must be one of ${RETIREMENT_PURPOSES.join(', ')}`, 'purpose');
    const eventName = input.eventName === undefined ? null : requireText(input.eventName, 'eventName');
    const eventEmissions = input.eventEmissions === undefined ? null : Amount.parse(input.eventEmissions, 3, 'eventEmissions').value.toFixed(3);
    const effectiveDate = effectiveDateOf(input.effectiveDate);

    const blocks = await lockBlocks(em, { heldBy: holder.id, issuanceId: issuance.id });
    const takes = takeOrRefuse(blocks, quantity, holder.code);
    const ranges = mergeRanges(takes.map((t) => t.taken));
    let postedId: string;
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
      postedId = posted.entry.id;
    } catch (error) {
      throw translateFunds(error);
    }
    const seq = await nextCertificateSeq(em);
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
    const retirementId = await insertRetirement(em, {
      certificateSeq: seq,
      certificateNo: certificate.certificateNo,
      issuanceId: issuance.id,
      retiringPartyId: holder.id,
      beneficiaryName,
      publishBeneficiary: input.publishBeneficiary,
      purpose: input.purpose,
      eventName,
      eventEmissions,
      quantity,
      serialRanges: ranges.map(toText),
      effectiveDate,
      contentHash: certificateHash(certificate),
      verificationCode: newVerificationCode(),
      entryId: postedId,
    });
    await moveTakes(em, takes, { ownerPartyId: holder.id, status: 'RETIRED', listingId: null, retirementId });
    // The beneficiary only when published (the public certificate's rule); the retiring party by code.
    await recordEvent(
      em,
      'carbon.retired',
      { type: 'carbon_retirement', id: retirementId },
      {
        retirementId,
        certificateNo: certificate.certificateNo,
        project: code,
        vintage: issuance.vintage,
        quantity: quantity.toString(),
        serialBlocks: certificate.serialBlocks,
        retiringParty: holder.code,
        beneficiaryName: input.publishBeneficiary ? beneficiaryName : null,
        purpose: input.purpose,
        retiredOn: effectiveDate,
        entryId: postedId,
      },
    );
    return this.getRetirement(retirementId, em);
  }

  async getRetirement(id: string, em: EntityManager = this.dataSource.manager): Promise<RetirementView> {
    const [row] = await this.views(em, { id });
    if (!row) throw new CarbonError('UNKNOWN_CERTIFICATE', `no retirement ${JSON.stringify(id)}`, 'retirement');
    return row;
  }

  async getRetirementByCertificate(certificateNo: string, em: EntityManager = this.dataSource.manager): Promise<RetirementView> {
    const [row] = await this.views(em, { certificateNo });
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
    const [row] = normalised === null ? [] : await this.views(em, { certificateNo, verificationCode: normalised });
    if (!row) return { valid: false, intact: false, certificate: null };
    const { retiringParty: _party, retiringPartyName: _partyName, beneficiaryName, ...content } = retirementCertificateOf(row);
    const intact = certificateHash(retirementCertificateOf(row)) === row.contentHash;
    return { valid: true, intact, certificate: { ...content, beneficiaryName: row.publishBeneficiary ? beneficiaryName : null, contentHash: row.contentHash } };
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
      verificationUrl: retirementVerificationUrl(this.env.PUBLIC_BASE_URL, r.certificateNo, r.verificationCode),
    });
  }

  /** The retirements `key` names, with their retiring parties, in two queries. */
  private async views(em: EntityManager, key: RetirementKey): Promise<RetirementView[]> {
    const rows = await retirementRows(em, key);
    const parties = await partiesByIds(
      em,
      rows.map((r) => r.retiring_party_id),
    );
    return rows.map((row) => retirementView(row, parties.get(row.retiring_party_id)!));
  }
}

/** The public verification of a retirement certificate: its number in the path, its code (as printed) in the query. */
export function retirementVerificationUrl(baseUrl: string, certificateNo: string, code: string): string {
  return verificationLink(baseUrl, `/v1/public/carbon-certificates/${encodeURIComponent(certificateNo)}`, { code: normaliseVerificationCode(code) ?? code });
}

/** A retirement's serial ranges in the standard's notation. */
export function retirementSerialBlocks(row: Pick<RetirementRow, 'standard' | 'project' | 'vintage' | 'serial_ranges'>): string[] {
  return row.serial_ranges.map((r) => serialText(row.standard, row.project, row.vintage, fromText(r)));
}

function retirementView(row: RetirementRow, holder: { code: string; name: string }): RetirementView {
  return {
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
    serialBlocks: retirementSerialBlocks(row),
    retiringParty: holder.code,
    retiringPartyName: holder.name,
    beneficiaryName: row.beneficiary_name,
    publishBeneficiary: row.publish_beneficiary,
    purpose: row.purpose,
    eventName: row.event_name,
    eventEmissions: row.event_emissions,
    retiredOn: row.retired_on,
    contentHash: row.content_hash,
    verificationCode: formatVerificationCode(row.verification_code),
    entryId: row.entry_id,
  };
}
