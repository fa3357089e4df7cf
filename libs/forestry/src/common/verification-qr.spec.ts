import { create } from 'qrcode';
import { pdfTextLayer } from '../../../../test/setup/pdf-text';
import { pdfLinkUris, qrModulesInPdf } from '../../../../test/setup/pdf-qr';
import { retirementVerificationUrl } from '../carbon/carbon-retirement.service';
import { renderRetirementCertificatePdf, RetirementPdfInput } from '../carbon/retirement-certificate-pdf';
import { certificateVerificationUrl } from '../tickets/certificates.service';
import { CertificatePdfInput, DEFAULT_CJK_FONT_CANDIDATES, findCjkFont, renderCertificatePdf } from '../tickets/certificate-pdf';
import { QR_SIDE, qrMatrix } from './verification-qr';

/**
 * 扫码验真 (issue 20, item 5). QR decoding is not available offline, so the test reads the symbol the PDF draws
 * back from its content stream (test/setup/pdf-qr.ts, not pdfkit) and checks it is the QR code of the very link
 * the page prints (read with pdf2json) — which carries the verification code. Latin text only, so a machine
 * without fonts-noto-cjk falls back to DejaVu.
 */
const font = findCjkFont([...DEFAULT_CJK_FONT_CANDIDATES, '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf']);
const BASE = 'https://lin.example.gov.cn';

const ticket: CertificatePdfInput = {
  certificateNo: 'YC-DXG-2025-000003',
  seriesCode: 'YC-DXG-2025',
  seriesName: '阳城县大西沟村林票 2025',
  projectName: '合作经营项目',
  holderName: '阳城县芹池镇大西沟村股份经济合作社',
  holderIdMasked: '93140522MA0K1234X5',
  holderIdKind: 'ORGANISATION',
  units: '1243',
  faceValue: '100.00',
  faceAmount: '124300.00',
  faceAmountInWords: '壹拾贰万肆仟叁佰元整',
  parcels: [],
  totalAreaMu: '0.0000',
  issuer: '阳城县国有林场',
  issuedOn: '2025-03-01',
  printedAt: '2025-06-18',
  verificationCode: 'K7Q2-M9XW-4HTB-P3NA',
  verificationUrl: certificateVerificationUrl(BASE, 'K7Q2M9XW4HTBP3NA'),
  transferRestrictionLabel: '限本集体成员间转让',
};

const retirement: RetirementPdfInput = {
  certificateNo: 'CC-2026-000001',
  projectName: '大西沟碳汇',
  project: 'CP-DXG',
  standardLabel: 'CCER',
  vintage: '2025',
  vintagePeriod: '2025-01-01 至 2025-12-31',
  quantity: '12.000',
  serialBlocks: ['CCER-CP-DXG-2025-000001-000012'],
  beneficiary: '某公司',
  retiringParty: '某公司',
  purposeLabel: '企业社会责任',
  eventName: null,
  eventEmissions: null,
  retiredOn: '2026-05-01',
  contentHash: 'a'.repeat(64),
  verificationCode: '7K2M-9QXH-4TNB-R8WD',
  verificationUrl: retirementVerificationUrl(BASE, 'CC-2026-000001', '7k2m-9qxh-4tnb-r8wd'),
};

describe('verification QR code (扫码验真)', () => {
  it('encodes exactly the given text: the matrix is the qrcode library’s for that text', () => {
    const url = ticket.verificationUrl;
    const matrix = qrMatrix(url);
    const reference = create(url, { errorCorrectionLevel: 'M' }).modules;
    expect(matrix.text).toBe(url);
    expect(matrix.size).toBe(reference.size);
    expect(matrix.dark.flat().map(Number)).toEqual([...reference.data]);
    expect(qrMatrix(`${url}X`).dark).not.toEqual(matrix.dark);
  });

  it('puts the code into the link: in the path for a 林票 certificate, in the query for a retirement', () => {
    expect(ticket.verificationUrl).toBe('https://lin.example.gov.cn/v1/public/certificates/K7Q2M9XW4HTBP3NA');
    expect(retirement.verificationUrl).toBe('https://lin.example.gov.cn/v1/public/carbon-certificates/CC-2026-000001?code=7K2M9QXH4TNBR8WD');
  });

  it.each([
    ['林票 certificate', () => renderCertificatePdf(ticket, font), ticket.verificationUrl],
    ['carbon retirement certificate', () => renderRetirementCertificatePdf(retirement, font), retirement.verificationUrl],
  ])('the %s prints its link (with the code) on one line and draws the QR code of that same link', async (_name, render, url) => {
    const pdf = await render();
    const { text } = await pdfTextLayer(pdf);
    const printed = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .find((line) => line.startsWith(BASE));
    expect(printed).toBe(url);
    const drawn = qrModulesInPdf(pdf, QR_SIDE);
    expect(drawn).not.toBeNull();
    expect(drawn).toEqual(qrMatrix(printed!).dark);
    expect(pdfLinkUris(pdf)).toContain(url);
  });
});
