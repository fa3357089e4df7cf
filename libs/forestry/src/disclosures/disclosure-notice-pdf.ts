import PDFDocument from 'pdfkit';
import { CjkFont, collect, findCjkFont, useFont } from '../tickets/certificate-pdf';
import { formatUnits, formatYuan } from '../portal/yuan';

/**
 * The printed notice (公示) for the village board: A4, the CJK font of the certificates (a subset with a
 * text layer), the masked list in a table that breaks across pages with its header repeated. Pure apart
 * from the font: the same notice gives the same bytes.
 */
export interface DisclosureNoticeInput {
  village: string;
  /** e.g. 阳城县芹池镇 */
  township: string | null;
  county: string | null;
  kindLabel: string;
  title: string;
  id: string;
  round: number;
  phaseLabel: string;
  publishedOn: string;
  startsOn: string;
  endsOn: string;
  days: number;
  totalUnits: string;
  totalAmount: string | null;
  lines: ReadonlyArray<{ seq: number; name: string; units: string; amount: string | null }>;
  /** YYYY-MM-DD, the PDF's CreationDate. */
  printedOn: string;
}

const PAGE = { width: 595.28, height: 841.89, margin: 48, bottom: 64 };
const WIDTH = PAGE.width - 2 * PAGE.margin;
const COLOR = { ink: '#1a1a1a', muted: '#555555', rule: '#999999', head: '#eef3ee', frame: '#2e5e3a' };
const CELL = 10;
const PAD = { x: 5, y: 4 };

export async function renderDisclosureNoticePdf(input: DisclosureNoticeInput, font: CjkFont = findCjkFont()): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 0,
    info: { Title: `${input.village} ${input.kindLabel}公示`, Creator: 'forest-ledger', Producer: 'forest-ledger', CreationDate: new Date(`${input.printedOn}T00:00:00+08:00`) },
    lang: 'zh-CN',
    displayTitle: true,
  });
  const done = collect(doc);
  useFont(doc, font);
  doc.fillColor(COLOR.frame).fontSize(22).text(`${input.village}${input.kindLabel}公示`, PAGE.margin, 50, { width: WIDTH, align: 'center', characterSpacing: 2 });
  let y = 90;
  const place = [input.county, input.township, input.village].filter((p) => p).join('');
  y = paragraph(doc, input.title, y, 12);
  y = paragraph(doc, `根据农民知情权的要求，现将以下名单在${place}公示 ${input.days} 天。`, y + 4, 10.5);
  y = paragraph(doc, `公示期：${input.startsOn} 至 ${input.endsOn}`, y, 12);
  y = paragraph(doc, '对名单有异议的，请在公示期内向村集体经济组织或县林业局林权服务中心书面或当面反映；公示期满且无异议（或异议已处理）后方可实施。', y, 10.5);
  y = paragraph(doc, `状态：${input.phaseLabel}，公示编号 #${input.id}（第 ${input.round} 轮），发布日期 ${input.publishedOn}`, y + 2, 10.5);
  const payment = input.totalAmount !== null;
  const columns = payment
    ? [
        { title: '序号', width: 0.12, align: 'left' as const },
        { title: '姓名', width: 0.38, align: 'left' as const },
        { title: '份数', width: 0.22, align: 'right' as const },
        { title: '金额（元）', width: 0.28, align: 'right' as const },
      ]
    : [
        { title: '序号', width: 0.15, align: 'left' as const },
        { title: '姓名', width: 0.5, align: 'left' as const },
        { title: '份数', width: 0.35, align: 'right' as const },
      ];
  const rows = input.lines.map((l) => [String(l.seq), l.name, formatUnits(l.units), ...(payment ? [formatYuan(l.amount ?? '0')] : [])]);
  rows.push(['合计', `${input.lines.length} 户/人`, formatUnits(input.totalUnits), ...(payment ? [formatYuan(input.totalAmount ?? '0')] : [])]);
  y = table(doc, columns, rows, y + 8);
  if (y + 50 > PAGE.height - PAGE.bottom) {
    doc.addPage();
    y = PAGE.margin;
  }
  paragraph(doc, `姓名只显示姓氏，其余以 * 代替；本名单与林账登记一致，可在村务公开网页查看。打印日期 ${input.printedOn}`, y + 14, 9, COLOR.muted);
  doc.end();
  return done;
}

function paragraph(doc: PDFKit.PDFDocument, text: string, y: number, size: number, color = COLOR.ink): number {
  doc.fillColor(color).fontSize(size).text(text, PAGE.margin, y, { width: WIDTH });
  return y + doc.heightOfString(text, { width: WIDTH }) + 4;
}

interface Column {
  title: string;
  width: number;
  align: 'left' | 'right';
}

/** The rows under a header; a row that does not fit starts a new page with the header again. */
function table(doc: PDFKit.PDFDocument, columns: Column[], rows: string[][], top: number): number {
  const header = columns.map((c) => c.title);
  let y = row(doc, columns, header, top, true);
  for (const cells of rows) {
    if (y + CELL * 2 + 2 * PAD.y > PAGE.height - PAGE.bottom) {
      doc.addPage();
      y = row(doc, columns, header, PAGE.margin, true);
    }
    y = row(doc, columns, cells, y, false);
  }
  return y;
}

function row(doc: PDFKit.PDFDocument, columns: Column[], cells: string[], y: number, header: boolean): number {
  doc.fontSize(CELL);
  const height = Math.max(...columns.map((c, i) => doc.heightOfString(cells[i] ?? '', { width: c.width * WIDTH - 2 * PAD.x }))) + 2 * PAD.y;
  let x = PAGE.margin;
  doc.lineWidth(0.5);
  for (const [i, column] of columns.entries()) {
    const width = column.width * WIDTH;
    if (header) doc.rect(x, y, width, height).fillAndStroke(COLOR.head, COLOR.rule);
    else doc.rect(x, y, width, height).strokeColor(COLOR.rule).stroke();
    doc
      .fillColor(COLOR.ink)
      .fontSize(CELL)
      .text(cells[i] ?? '', x + PAD.x, y + PAD.y, { width: width - 2 * PAD.x, align: header ? 'left' : column.align });
    x += width;
  }
  return y + height;
}
