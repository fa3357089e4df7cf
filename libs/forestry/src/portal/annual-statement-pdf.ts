import PDFDocument from 'pdfkit';
import type { PdfRenderJob } from '../common/pdf-renderer';
import type { PayoutLineState } from '../dividends/dividend.model';
import { CjkFont, collect, findCjkFont, useFont } from '../tickets/certificate-pdf';
import type { AnnualStatement } from './portal.model';
import { formatUnits, formatYuan, formatYuanPerUnit } from './yuan';

/**
 * A holder's 年度对账单: A4 pages with pdfkit and the CJK font of the certificates (a subset with a
 * text layer). Tables break across pages with their header repeated. Pure apart from the font: the
 * same statement gives the same bytes.
 */
const PAGE = { width: 595.28, height: 841.89, margin: 48, bottom: 64 };
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
const COLOR = { ink: '#1a1a1a', muted: '#666666', rule: '#999999', head: '#eef3ee', frame: '#2e5e3a' };
const SIZE = { title: 20, section: 12.5, cell: 9.5, note: 8.5 };
const PAD = { x: 5, y: 4 };

export const PAYOUT_STATE_LABELS: Record<PayoutLineState, string> = { PENDING: '银行处理中', PAID: '已到卡', FAILED: '退回钱包' };

interface Column {
  title: string;
  /** Share of the content width. */
  width: number;
  align?: 'left' | 'right';
}

/** The statement as a job for the PDF render thread and its cache (pdfRenderer). */
export const ANNUAL_STATEMENT_PDF: PdfRenderJob<AnnualStatement> = {
  module: __filename,
  exportName: 'renderAnnualStatementPdf',
  render: (statement) => renderAnnualStatementPdf(statement),
};

export async function renderAnnualStatementPdf(statement: AnnualStatement, font: CjkFont = findCjkFont()): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 0,
    info: {
      Title: `林账年度对账单 ${statement.year} ${statement.holder.code}`,
      Creator: 'forest-ledger',
      Producer: 'forest-ledger',
      CreationDate: new Date(`${statement.printedOn}T00:00:00+08:00`),
    },
    lang: 'zh-CN',
    displayTitle: true,
  });
  const done = collect(doc);
  useFont(doc, font);

  doc.fillColor(COLOR.frame).fontSize(SIZE.title).text(`林账 ${statement.year} 年度对账单`, PAGE.margin, 52, { width: CONTENT_WIDTH, align: 'center', characterSpacing: 2 });
  let y = 88;
  const s = statement;
  const idText = s.holder.idMasked ? `\u3000证件号 ${s.holder.idMasked}` : '';
  y = paragraph(doc, `持有人 ${s.holder.name}（${s.holder.code}）${idText}`, y);
  y = paragraph(doc, `对账期间 ${s.year}-01-01 至 ${s.closingDate}\u3000打印日期 ${s.printedOn}`, y);

  y = section(doc, `一、林票持有（截至 ${s.closingDate}）`, y + 8);
  y = table(
    doc,
    [
      { title: '林票系列', width: 0.2 },
      { title: '项目', width: 0.3 },
      { title: '每份面值', width: 0.12, align: 'right' },
      { title: '持有份数', width: 0.12, align: 'right' },
      { title: '其中质押', width: 0.1, align: 'right' },
      { title: '面值金额', width: 0.16, align: 'right' },
    ],
    s.holdings.map((h) => [h.series, h.projectName, formatYuan(h.faceValue), formatUnits(h.units), formatUnits(h.pledgedUnits), formatYuan(h.faceAmount)]),
    y,
    '本期末未持有林票',
  );

  y = section(doc, '二、分红明细', y + 14);
  y = table(
    doc,
    [
      { title: '发放日期', width: 0.15 },
      { title: '项目', width: 0.29 },
      { title: '份数', width: 0.12, align: 'right' },
      { title: '每份约', width: 0.17, align: 'right' },
      { title: '金额', width: 0.15, align: 'right' },
      { title: '状态', width: 0.12 },
    ],
    [
      ...s.dividends.map((d) => [d.paymentDate, d.projectName, formatUnits(d.units), formatYuanPerUnit(d.amountPerUnit), formatYuan(d.amount), d.paid ? '已入钱包' : '发放中']),
      ...(s.dividends.length > 0 ? [['合计', '', '', '', formatYuan(s.dividendsTotal), '']] : []),
    ],
    y,
    '本年无分红',
  );
  if (s.dividends.length > 0) y = paragraph(doc, '每份约 = 分红总额 ÷ 登记日总份数，四舍五入到分，仅供参考；实得金额按持有份数分配，精确到分。', y + 4);

  y = section(doc, '三、兑付到银行卡', y + 14);
  y = table(
    doc,
    [
      { title: '日期', width: 0.2 },
      { title: '金额', width: 0.25, align: 'right' },
      { title: '状态', width: 0.2 },
      { title: '银行卡', width: 0.35 },
    ],
    [
      ...s.payouts.map((p) => [p.paidOn, formatYuan(p.amount), PAYOUT_STATE_LABELS[p.state], p.cardMasked ?? '—']),
      ...(s.payouts.length > 0 ? [['已到卡合计', formatYuan(s.payoutsTotal), '', '']] : []),
    ],
    y,
    '本年无兑付',
  );

  y = section(doc, '四、钱包', y + 14);
  y = table(
    doc,
    [
      { title: '期初余额', width: 0.25, align: 'right' },
      { title: '本年转入', width: 0.25, align: 'right' },
      { title: '本年转出', width: 0.25, align: 'right' },
      { title: '期末余额', width: 0.25, align: 'right' },
    ],
    [[formatYuan(s.wallet.opening), formatYuan(s.wallet.credits), formatYuan(s.wallet.debits), formatYuan(s.wallet.closing)]],
    y,
    '',
  );

  const note = '本对账单以林账登记为准。转入含分红、出售林票所得和退回的兑付；转出含兑付到卡和购买林票。如有疑问请联系村集体或国有林场。';
  if (y + 40 > PAGE.height - PAGE.bottom) {
    doc.addPage();
    y = PAGE.margin;
  }
  doc
    .fillColor(COLOR.muted)
    .fontSize(SIZE.note)
    .text(note, PAGE.margin, y + 16, { width: CONTENT_WIDTH });
  doc.end();
  return done;
}

function paragraph(doc: PDFKit.PDFDocument, text: string, y: number): number {
  doc.fillColor(COLOR.ink).fontSize(10.5).text(text, PAGE.margin, y, { width: CONTENT_WIDTH });
  return y + doc.heightOfString(text, { width: CONTENT_WIDTH }) + 4;
}

function section(doc: PDFKit.PDFDocument, title: string, y: number): number {
  if (y + 60 > PAGE.height - PAGE.bottom) {
    doc.addPage();
    y = PAGE.margin;
  }
  doc.fillColor(COLOR.frame).fontSize(SIZE.section).text(title, PAGE.margin, y, { width: CONTENT_WIDTH });
  return y + doc.heightOfString(title, { width: CONTENT_WIDTH }) + 6;
}

/** Draws the rows under a header; a row that does not fit starts a new page with the header again. */
function table(doc: PDFKit.PDFDocument, columns: Column[], rows: string[][], top: number, empty: string): number {
  if (rows.length === 0) {
    if (empty === '') return top;
    doc.fillColor(COLOR.muted).fontSize(SIZE.cell).text(empty, PAGE.margin, top, { width: CONTENT_WIDTH });
    return top + doc.heightOfString(empty, { width: CONTENT_WIDTH }) + 2;
  }
  let y = drawRow(
    doc,
    columns,
    columns.map((c) => c.title),
    top,
    true,
  );
  for (const row of rows) {
    if (y + rowHeight(doc, columns, row) > PAGE.height - PAGE.bottom) {
      doc.addPage();
      y = drawRow(
        doc,
        columns,
        columns.map((c) => c.title),
        PAGE.margin,
        true,
      );
    }
    y = drawRow(doc, columns, row, y, false);
  }
  return y;
}

function rowHeight(doc: PDFKit.PDFDocument, columns: Column[], cells: string[]): number {
  doc.fontSize(SIZE.cell);
  return Math.max(...columns.map((c, i) => doc.heightOfString(cells[i] ?? '', { width: c.width * CONTENT_WIDTH - 2 * PAD.x }))) + 2 * PAD.y;
}

function drawRow(doc: PDFKit.PDFDocument, columns: Column[], cells: string[], y: number, header: boolean): number {
  const height = rowHeight(doc, columns, cells);
  let x = PAGE.margin;
  doc.lineWidth(0.5);
  for (const [i, column] of columns.entries()) {
    const width = column.width * CONTENT_WIDTH;
    if (header) doc.rect(x, y, width, height).fillAndStroke(COLOR.head, COLOR.rule);
    else doc.rect(x, y, width, height).strokeColor(COLOR.rule).stroke();
    doc
      .fillColor(COLOR.ink)
      .fontSize(SIZE.cell)
      .text(cells[i] ?? '', x + PAD.x, y + PAD.y, { width: width - 2 * PAD.x, align: header ? 'left' : (column.align ?? 'left') });
    x += width;
  }
  return y + height;
}
