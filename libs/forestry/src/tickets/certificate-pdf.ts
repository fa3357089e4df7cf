import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import PDFDocument from 'pdfkit';
import type { PdfRenderJob } from '../common/pdf-renderer';
import { drawCornerVerificationQr, oneLineFontSize } from '../common/verification-qr';

/**
 * The printable 林票持有凭证: one A4 page rendered with pdfkit. Pure apart from reading the font file:
 * no database, no configuration, no clock (both dates come from the input), so the same input and
 * font give the same bytes.
 *
 * The font is embedded as a subset (only the glyphs used, ~tens of KB instead of the 16–20 MB CJK
 * file) with a ToUnicode map, so the PDF has a real text layer that can be searched and extracted.
 */
export interface CertificatePdfInput {
  /** e.g. 'YC-DXG-2025-000003' */
  certificateNo: string;
  /** e.g. 'YC-DXG-2025' */
  seriesCode: string;
  seriesName: string;
  projectName: string;
  /** Already masked by the caller for display, e.g. '张*仁'. */
  holderName: string;
  /** e.g. '140522********0310' (a person's, masked) or an organisation's 统一社会信用代码; null when there is none. */
  holderIdMasked: string | null;
  /** Which number holderIdMasked is: a person's 身份证号, or a collective's or company's 统一社会信用代码. */
  holderIdKind: CertificateHolderKind;
  /** Whole units as text, e.g. '6300'. */
  units: string;
  /** CNY per unit, e.g. '100.00'. */
  faceValue: string;
  /** units × face value, e.g. '630000.00'. */
  faceAmount: string;
  /** 大写 of faceAmount, computed by the caller, e.g. '陆拾叁万元整'. */
  faceAmountInWords: string;
  /** Any length; the page lists the first MAX_PARCEL_ROWS and counts the rest. */
  parcels: Array<{ certificateNo: string; areaMu: string; location: string }>;
  totalAreaMu: string;
  issuer: string;
  /** YYYY-MM-DD */
  issuedOn: string;
  /** YYYY-MM-DD; also the PDF's CreationDate (midnight, China Standard Time). */
  printedAt: string;
  verificationCode: string;
  /** The public verification link with the code in it; printed on one line, and encoded in the QR code (扫码验真). */
  verificationUrl: string;
  transferRestrictionLabel: string;
  /** TICKET (default): 林票持有凭证; INCOME_RIGHT: 集体林地收益权证书 of a collective's scheme. */
  instrument?: 'TICKET' | 'INCOME_RIGHT';
}

const TITLES = { TICKET: { title: '林票持有凭证', number: '林票编号' }, INCOME_RIGHT: { title: '集体林地收益权证书', number: '证书编号' } } as const;
export type CertificateHolderKind = 'PERSON' | 'ORGANISATION';
/** The label of the holder's number: an organisation (collective, farm, company) has a 统一社会信用代码, not an ID card. */
export const HOLDER_ID_LABELS: Record<CertificateHolderKind, string> = { PERSON: '身份证号', ORGANISATION: '统一社会信用代码' };

export interface CjkFont {
  path: string;
  /** Face to use inside a font collection (.ttc): its PostScript name. Must be absent for a single font (.ttf/.otf). */
  family?: string;
}

/** The Debian package that provides the default fonts; named in the error so an operator knows what to install. */
export const CJK_FONT_PACKAGE = 'fonts-noto-cjk';

/**
 * Where Debian's fonts-noto-cjk puts its files first (Sans, then Serif), then other distributions'
 * Noto CJK paths, then other Debian CJK fonts (fonts-wqy-zenhei, fonts-droid-fallback).
 */
export const DEFAULT_CJK_FONT_CANDIDATES: readonly string[] = [
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc',
  '/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc',
  '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf',
];

export class CertificateFontMissingError extends Error {
  constructor(readonly triedPaths: readonly string[]) {
    super(
      `no CJK font found for 林票 certificates; tried: ${triedPaths.join(', ') || '(no paths)'}. ` +
        `Install the Debian package ${CJK_FONT_PACKAGE} (apt-get install -y --no-install-recommends ${CJK_FONT_PACKAGE}) or configure the path of a CJK font.`,
    );
    this.name = 'CertificateFontMissingError';
  }
}

/** The first candidate that exists, with the collection face to use when it is a known .ttc. */
export function findCjkFont(candidates: readonly string[] = DEFAULT_CJK_FONT_CANDIDATES): CjkFont {
  const path = candidates.find((candidate) => existsSync(candidate));
  if (path === undefined) throw new CertificateFontMissingError(candidates);
  const family = collectionFace(path);
  return family === undefined ? { path } : { path, family };
}

/**
 * A .ttc holds several faces and pdfkit (fontkit) needs one by PostScript name. For Noto CJK the
 * Simplified-Chinese face: the same ideographs have different glyph shapes in the JP/KR/TC/HK faces.
 */
function collectionFace(path: string): string | undefined {
  const name = basename(path);
  const noto = /^Noto(Sans|Serif)CJK-(\w+)\.ttc$/.exec(name);
  if (noto) return `Noto${noto[1]}CJKsc-${noto[2]}`;
  if (name === 'wqy-zenhei.ttc') return 'WenQuanYiZenHei';
  if (name === 'wqy-microhei.ttc') return 'WenQuanYiMicroHei';
  return undefined;
}

/** Rejects (never throws) on a missing font or a malformed printedAt. */
export async function renderCertificatePdf(input: CertificatePdfInput, font: CjkFont = findCjkFont()): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 0, // every position is computed here; a margin would only trigger pdfkit's automatic page breaks
    info: {
      Title: `${TITLES[input.instrument ?? 'TICKET'].title} ${input.certificateNo}`,
      Subject: input.seriesName,
      Author: input.issuer,
      Creator: 'forest-ledger',
      Producer: 'forest-ledger',
      CreationDate: chinaMidnight(input.printedAt),
    },
    lang: 'zh-CN',
    displayTitle: true,
  });
  const done = collect(doc);
  useFont(doc, font);
  drawPage(doc, input);
  doc.end();
  return await done;
}

/** The certificate as a job for the PDF render thread and its cache (pdfRenderer). */
export const CERTIFICATE_PDF: PdfRenderJob<CertificatePdfInput> = {
  module: __filename,
  exportName: 'renderCertificatePdf',
  render: (input) => renderCertificatePdf(input),
  // For the render process's warm-up only: every field a real certificate fills, nobody's data.
  sample: {
    certificateNo: 'SAMPLE-2025-000001',
    seriesCode: 'SAMPLE-2025',
    seriesName: '示例村林票 2025',
    projectName: '示例国有林场—村集体合作经营项目',
    holderName: '张*仁',
    holderIdMasked: '140522********0000',
    holderIdKind: 'PERSON',
    units: '6300',
    faceValue: '1.00',
    faceAmount: '6300.00',
    faceAmountInWords: '陆仟叁佰元整',
    parcels: [{ certificateNo: '晋(2019)阳城县不动产权第0000001号', areaMu: '100.0000', location: '示例村后沟第1小班' }],
    totalAreaMu: '100.0000',
    issuer: '示例国有林场',
    issuedOn: '2025-03-01',
    printedAt: '2025-03-01',
    verificationCode: 'SAMP-LE00-0000-0000',
    verificationUrl: 'http://localhost/v1/public/certificates/SAMPLE0000000000',
    transferRestrictionLabel: '可自由转让',
  },
};

/** The document's bytes once it ends. */
export function collect(doc: PDFKit.PDFDocument): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}

/**
 * The font pdfkit itself parses with: fontkit, required from pdfkit's own location so that it is the very version
 * pdfkit checks a font object against (pdfkit's font() takes a parsed fontkit font as well as bytes).
 */
interface FontkitFont {
  layout: (text: string) => unknown;
  postscriptName: string;
}
const fontkit = createRequire(require.resolve('pdfkit'))('fontkit') as { create: (bytes: Uint8Array, postscriptName?: string) => FontkitFont };

/**
 * Fonts parsed once per process (per thread), by path and face. Handing pdfkit the bytes made it parse the ~19 MB
 * collection's tables again for every document (CFF index, GSUB/GPOS, cmap: about 100 ms of a 145 ms certificate).
 * A parsed font only gains caches (glyph outlines, decoded tables) that never change what a document contains;
 * each document still takes its own subset, so the same input gives the same bytes.
 */
const parsedFonts = new Map<string, FontkitFont>();

function parsedFont(font: CjkFont): FontkitFont {
  const key = `${font.path}\n${font.family ?? ''}`;
  let parsed = parsedFonts.get(key);
  if (parsed === undefined) {
    const bytes = readFileSync(font.path);
    parsed = font.family === undefined ? fontkit.create(bytes) : fontkit.create(bytes, font.family);
    if (parsed === null || typeof parsed.layout !== 'function') throw new Error('no such face in the collection');
    parsedFonts.set(key, parsed);
  }
  return parsed;
}

/** Sets the CJK font on a document (parsed once per process); a bad font is an error naming it. */
export function useFont(doc: PDFKit.PDFDocument, font: CjkFont): void {
  try {
    // pdfkit's typings list only bytes and names; its font() takes a parsed fontkit font too (it checks for layout()).
    doc.font(parsedFont(font) as unknown as PDFKit.Mixins.PDFFontSource);
  } catch (error) {
    const face = font.family === undefined ? '' : ` (face ${font.family})`;
    const hint = font.path.endsWith('.ttc') && font.family === undefined ? '; a font collection (.ttc) needs the PostScript name of a face as family' : '';
    throw new Error(`cannot use CJK font ${font.path}${face}: ${error instanceof Error ? error.message : String(error)}${hint}`);
  }
}

function chinaMidnight(date: string): Date {
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(date) ? new Date(`${date}T00:00:00+08:00`) : new Date(Number.NaN);
  if (Number.isNaN(parsed.getTime())) throw new RangeError(`printedAt must be a date YYYY-MM-DD, got ${JSON.stringify(date)}`);
  return parsed;
}

// ---- layout (points; A4 is 595.28 × 841.89) ----------------------------------------------------

const PAGE = { width: 595.28, height: 841.89 };
const TABLE = { x: 56, width: 483.28, labelWidth: 104, padX: 8, padY: 6 }; // the label column holds 统一社会信用代码 on one line
const FONT_SIZE = { title: 24, subtitle: 11, cell: 10.5, parcel: 9, footer: 9 };
const LINE_GAP = 2;
const COLOR = { ink: '#1a1a1a', muted: '#666666', rule: '#333333', frame: '#2e5e3a', labelFill: '#eef3ee' };
/** Parcel rows printed on the page; the rest are counted, not listed. */
export const MAX_PARCEL_ROWS = 12;

interface Row {
  label: string;
  /** Height of the value, given the cell width; draws the value when `draw` is true. */
  render: (doc: PDFKit.PDFDocument, x: number, y: number, width: number, draw: boolean) => number;
}

function drawPage(doc: PDFKit.PDFDocument, input: CertificatePdfInput): void {
  drawFrame(doc);
  drawCornerVerificationQr(doc, input.verificationUrl, PAGE.width);
  let y = drawHeading(doc, input);
  for (const row of rows(input)) y = drawRow(doc, row, y);
  drawFooter(doc, y);
}

function drawFrame(doc: PDFKit.PDFDocument): void {
  doc
    .lineWidth(2)
    .strokeColor(COLOR.frame)
    .rect(24, 24, PAGE.width - 48, PAGE.height - 48)
    .stroke();
  doc
    .lineWidth(0.6)
    .rect(30, 30, PAGE.width - 60, PAGE.height - 60)
    .stroke();
}

function drawHeading(doc: PDFKit.PDFDocument, input: CertificatePdfInput): number {
  doc
    .fillColor(COLOR.ink)
    .fontSize(FONT_SIZE.title)
    .text(TITLES[input.instrument ?? 'TICKET'].title, 0, 64, { width: PAGE.width, align: 'center', characterSpacing: 6 });
  doc.fillColor(COLOR.muted).fontSize(FONT_SIZE.subtitle).text(input.seriesName, 0, 100, { width: PAGE.width, align: 'center' });
  return 132;
}

function rows(input: CertificatePdfInput): Row[] {
  return [
    textRow(TITLES[input.instrument ?? 'TICKET'].number, input.certificateNo),
    textRow('系列', `${input.seriesName}（${input.seriesCode}）`),
    textRow('项目', input.projectName),
    textRow('持有人', input.holderName),
    textRow(HOLDER_ID_LABELS[input.holderIdKind], input.holderIdMasked ?? '—'),
    textRow('份数', `${groupThousands(input.units)} 份`),
    textRow('每份面值（元）', input.faceValue),
    textRow('面值合计', `¥${groupThousands(input.faceAmount)}\n人民币（大写）${input.faceAmountInWords}`),
    { label: '涉及林地', render: (doc, x, y, width, draw) => renderParcels(doc, input, x, y, width, draw) },
    textRow('转让限制', input.transferRestrictionLabel),
    textRow('发行人', input.issuer),
    textRow('发行日期', input.issuedOn),
    textRow('打印日期', input.printedAt),
    {
      label: '验证码',
      render: (doc, x, y, width, draw) => {
        const code = textBlock(doc, input.verificationCode, x, y, width, draw, FONT_SIZE.cell);
        const size = oneLineFontSize(doc, input.verificationUrl, width, FONT_SIZE.parcel);
        return code + textBlock(doc, input.verificationUrl, x, y + code, width, draw, size, input.verificationUrl);
      },
    },
  ];
}

function textRow(label: string, value: string): Row {
  return { label, render: (doc, x, y, width, draw) => textBlock(doc, value, x, y, width, draw, FONT_SIZE.cell) };
}

/** Wrapped text in the cell; returns its height. */
function textBlock(doc: PDFKit.PDFDocument, text: string, x: number, y: number, width: number, draw: boolean, size: number, link?: string): number {
  doc.fontSize(size);
  const options: PDFKit.Mixins.TextOptions = { width, lineGap: LINE_GAP, ...(link === undefined ? {} : { link, underline: false }) };
  const height = doc.heightOfString(text, options);
  if (draw) doc.fillColor(COLOR.ink).text(text, x, y, options);
  return height;
}

function drawRow(doc: PDFKit.PDFDocument, row: Row, top: number): number {
  const valueX = TABLE.x + TABLE.labelWidth + TABLE.padX;
  const valueWidth = TABLE.width - TABLE.labelWidth - 2 * TABLE.padX;
  const height = Math.max(row.render(doc, valueX, 0, valueWidth, false), lineHeight(doc, FONT_SIZE.cell)) + 2 * TABLE.padY;

  doc.lineWidth(0.6).strokeColor(COLOR.rule);
  doc.rect(TABLE.x, top, TABLE.labelWidth, height).fillAndStroke(COLOR.labelFill, COLOR.rule);
  doc.rect(TABLE.x + TABLE.labelWidth, top, TABLE.width - TABLE.labelWidth, height).stroke();
  doc
    .fillColor(COLOR.ink)
    .fontSize(FONT_SIZE.cell)
    .text(row.label, TABLE.x + TABLE.padX, top + TABLE.padY, { width: TABLE.labelWidth - 2 * TABLE.padX, lineGap: LINE_GAP });
  row.render(doc, valueX, top + TABLE.padY, valueWidth, true);
  return top + height;
}

function lineHeight(doc: PDFKit.PDFDocument, size: number): number {
  return doc.fontSize(size).currentLineHeight(true) + LINE_GAP;
}

/** Up to MAX_PARCEL_ROWS lines of 宗地编号 · 坐落 · 面积, then the count of the rest, then the total. */
function renderParcels(doc: PDFKit.PDFDocument, input: CertificatePdfInput, x: number, y: number, width: number, draw: boolean): number {
  const line = lineHeight(doc, FONT_SIZE.parcel);
  const columns = { no: 180, area: 56 };
  const locationX = x + columns.no;
  const locationWidth = width - columns.no - columns.area - 8;
  const shown = input.parcels.slice(0, MAX_PARCEL_ROWS);
  const lines: Array<[string, string, string]> = [['林权证号', '坐落', '面积（亩）'], ...shown.map((p): [string, string, string] => [p.certificateNo, p.location, p.areaMu])];
  const hidden = input.parcels.length - shown.length;
  const summary = [
    ...(hidden > 0 ? [`…… 等 ${input.parcels.length} 宗（另有 ${hidden} 宗未列出，以林账登记为准）`] : []),
    `合计 ${input.totalAreaMu} 亩，共 ${input.parcels.length} 宗`,
  ];

  if (draw) {
    lines.forEach(([no, location, area], i) => {
      doc.fontSize(FONT_SIZE.parcel).fillColor(i === 0 ? COLOR.muted : COLOR.ink);
      const rowY = y + i * line;
      doc.text(fitToWidth(doc, no, columns.no - 8), x, rowY, { lineBreak: false });
      doc.text(fitToWidth(doc, location, locationWidth), locationX, rowY, { lineBreak: false });
      doc.text(area, x + width - columns.area, rowY, { width: columns.area, align: 'right', lineBreak: false });
    });
    summary.forEach((text, i) => doc.fillColor(COLOR.ink).text(fitToWidth(doc, text, width), x, y + (lines.length + i) * line, { lineBreak: false }));
  }
  return (lines.length + summary.length) * line;
}

/** Cuts text with an ellipsis so that it stays on one line (a long 坐落 must not push the page over). */
function fitToWidth(doc: PDFKit.PDFDocument, text: string, width: number): string {
  if (doc.widthOfString(text) <= width) return text;
  const chars = [...text];
  while (chars.length > 0 && doc.widthOfString(`${chars.join('')}…`) > width) chars.pop();
  return `${chars.join('')}…`;
}

function drawFooter(doc: PDFKit.PDFDocument, tableBottom: number): void {
  const y = Math.max(tableBottom + 16, PAGE.height - 80);
  doc
    .fillColor(COLOR.muted)
    .fontSize(FONT_SIZE.footer)
    .text('本凭证以林账登记为准，可凭验证码在线核验，或手机扫描右上角二维码验真。', TABLE.x, y, { width: TABLE.width, align: 'center', lineBreak: false });
}

/** '630000.00' → '630,000.00'; text that is not a plain decimal is printed as given. */
function groupThousands(amount: string): string {
  const match = /^(\d+)(\.\d+)?$/.exec(amount);
  if (!match) return amount;
  return match[1].replace(/\B(?=(\d{3})+$)/g, ',') + (match[2] ?? '');
}
