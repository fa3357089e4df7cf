import PDFDocument from 'pdfkit';
import { drawCornerVerificationQr, oneLineFontSize } from '../common/verification-qr';
import { CjkFont, collect, findCjkFont, useFont } from '../tickets/certificate-pdf';

/**
 * The printable 碳汇注销证明 (retirement certificate): one A4 page with pdfkit and the CJK font the
 * 林票 certificates use (found by findCjkFont, embedded as a subset with a text layer). Pure apart
 * from reading the font: the same input and font give the same bytes.
 */
export interface RetirementPdfInput {
  certificateNo: string;
  projectName: string;
  project: string;
  /** e.g. 'FFCER' with its label, e.g. '福建林业碳汇 (FFCER)'. */
  standardLabel: string;
  vintage: string;
  vintagePeriod: string;
  quantity: string;
  serialBlocks: string[];
  /** As printed: the name, or '（受益方要求不公开）'. */
  beneficiary: string;
  retiringParty: string;
  purposeLabel: string;
  eventName: string | null;
  eventEmissions: string | null;
  retiredOn: string;
  contentHash: string;
  verificationCode: string;
  /** The public verification link with the number and the code in it; printed on one line, and encoded in the QR code (扫码验真). */
  verificationUrl: string;
}

const PAGE = { width: 595.28, height: 841.89 };
const TABLE = { x: 56, width: 483.28, labelWidth: 110, padX: 8, padY: 6 };
const COLOR = { ink: '#1a1a1a', muted: '#666666', rule: '#333333', frame: '#2e5e3a', labelFill: '#eef3ee' };

export async function renderRetirementCertificatePdf(input: RetirementPdfInput, font: CjkFont = findCjkFont()): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 0,
    info: { Title: `碳汇注销证明 ${input.certificateNo}`, Creator: 'forest-ledger', Producer: 'forest-ledger', CreationDate: new Date(`${input.retiredOn}T00:00:00+08:00`) },
    lang: 'zh-CN',
    displayTitle: true,
  });
  const done = collect(doc);
  useFont(doc, font);

  doc
    .lineWidth(2)
    .strokeColor(COLOR.frame)
    .rect(24, 24, PAGE.width - 48, PAGE.height - 48)
    .stroke();
  drawCornerVerificationQr(doc, input.verificationUrl, PAGE.width);
  doc.fillColor(COLOR.ink).fontSize(24).text('林业碳汇注销证明', 0, 64, { width: PAGE.width, align: 'center', characterSpacing: 4 });
  doc.fillColor(COLOR.muted).fontSize(11).text(`证书编号 ${input.certificateNo}`, 0, 100, { width: PAGE.width, align: 'center' });
  const rows: Array<[string, string]> = [
    ['项目', `${input.projectName}（${input.project}）`],
    ['标准', input.standardLabel],
    ['年份（监测期）', `${input.vintage}（${input.vintagePeriod}）`],
    ['注销数量', `${input.quantity} 吨二氧化碳当量`],
    ['序列号', input.serialBlocks.join('\n')],
    ['受益方', input.beneficiary],
    ['注销方', input.retiringParty],
    ['用途', input.purposeLabel],
    ['活动名称', input.eventName ?? '—'],
    ['活动排放量', input.eventEmissions === null ? '—' : `${input.eventEmissions} 吨二氧化碳当量`],
    ['注销日期', input.retiredOn],
    // Two lines of 32 hex digits, so the hash never wraps at an arbitrary place.
    ['内容摘要 SHA-256', `${input.contentHash.slice(0, 32)}\n${input.contentHash.slice(32)}`],
  ];
  let y = 132;
  const valueX = TABLE.x + TABLE.labelWidth + TABLE.padX;
  const valueWidth = TABLE.width - TABLE.labelWidth - 2 * TABLE.padX;
  for (const [label, value] of rows) {
    doc.fontSize(10.5);
    const height = Math.max(doc.heightOfString(value, { width: valueWidth, lineGap: 2 }), doc.heightOfString(label, { width: TABLE.labelWidth - 2 * TABLE.padX })) + 2 * TABLE.padY;
    doc.lineWidth(0.6);
    doc.rect(TABLE.x, y, TABLE.labelWidth, height).fillAndStroke(COLOR.labelFill, COLOR.rule);
    doc.rect(TABLE.x + TABLE.labelWidth, y, TABLE.width - TABLE.labelWidth, height).stroke();
    doc.fillColor(COLOR.ink).text(label, TABLE.x + TABLE.padX, y + TABLE.padY, { width: TABLE.labelWidth - 2 * TABLE.padX, lineGap: 2 });
    doc.text(value, valueX, y + TABLE.padY, { width: valueWidth, lineGap: 2 });
    y += height;
  }
  {
    // The code, then the link on one line (its font shrunk to fit), as in the QR code in the corner.
    const urlSize = oneLineFontSize(doc, input.verificationUrl, valueWidth, 9);
    doc.fontSize(10.5);
    const codeHeight = doc.heightOfString(input.verificationCode, { width: valueWidth, lineGap: 2 });
    const height = codeHeight + doc.fontSize(urlSize).heightOfString(input.verificationUrl, { width: valueWidth, lineGap: 2 }) + 2 * TABLE.padY;
    doc.lineWidth(0.6);
    doc.rect(TABLE.x, y, TABLE.labelWidth, height).fillAndStroke(COLOR.labelFill, COLOR.rule);
    doc.rect(TABLE.x + TABLE.labelWidth, y, TABLE.width - TABLE.labelWidth, height).stroke();
    doc
      .fillColor(COLOR.ink)
      .fontSize(10.5)
      .text('验证码', TABLE.x + TABLE.padX, y + TABLE.padY, { width: TABLE.labelWidth - 2 * TABLE.padX, lineGap: 2 });
    doc.text(input.verificationCode, valueX, y + TABLE.padY, { width: valueWidth, lineGap: 2 });
    doc.fontSize(urlSize).text(input.verificationUrl, valueX, y + TABLE.padY + codeHeight, { width: valueWidth, lineGap: 2, link: input.verificationUrl, underline: false });
    y += height;
  }
  doc
    .fillColor(COLOR.muted)
    .fontSize(9)
    .text('注销的碳汇不可再转让或使用。本证明以林账登记为准，可凭证书编号与验证码在线核验，或手机扫描右上角二维码验真。', TABLE.x, Math.max(y + 16, PAGE.height - 80), {
      width: TABLE.width,
      align: 'center',
    });
  doc.end();
  return done;
}
