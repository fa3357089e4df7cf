import { Dec } from '@forest-ledger/ledger';
import { pdfTextLayer } from '../../../../test/setup/pdf-text';
import { renderAnnualStatementPdf } from './annual-statement-pdf';
import type { AnnualStatement } from './portal.model';
import { formatYuan } from './yuan';

/** Needs a CJK font (Debian: fonts-noto-cjk). The text layer is read back with pdf2json, page by page. */

function statement(dividendCount: number): AnnualStatement {
  const dividends = Array.from({ length: dividendCount }, (_, i) => ({
    paymentDate: `2026-${String((i % 12) + 1).padStart(2, '0')}-15`,
    projectName: '芹池镇大西沟村国有林场—村集体合作经营项目',
    series: 'YC-DXG-2025',
    units: '261',
    amountPerUnit: '1.234500',
    amount: '322.20',
    paid: i % 7 !== 0,
  }));
  return {
    year: 2026,
    closingDate: '2026-12-31',
    printedOn: '2027-01-05',
    holder: { code: 'V-0001', name: '张守仁', idMasked: '1405**********0310' },
    holdings: [
      {
        series: 'YC-DXG-2025',
        seriesName: '林票 2025',
        projectName: '芹池镇大西沟村国有林场—村集体合作经营项目',
        faceValue: '100.00',
        units: '1261',
        pledgedUnits: '200',
        faceAmount: '146100.00',
      },
    ],
    dividends,
    dividendsTotal: new Dec('322.20').times(dividendCount).toFixed(2),
    payouts: [{ paidOn: '2026-07-20', amount: '23600.00', state: 'PAID', cardMasked: '6222 **** **** 1234' }],
    payoutsTotal: '23600.00',
    wallet: { opening: '10550.00', credits: '15660.00', debits: '23600.00', closing: '2610.00' },
  };
}

/** Each page's text, spaces removed (pdf2json splits runs of CJK text). */
async function pages(buffer: Buffer): Promise<string[]> {
  const { text } = await pdfTextLayer(buffer);
  return text
    .split(/-+Page \(\d+\) Break-+/)
    .filter((p) => p.trim() !== '')
    .map((p) => p.replace(/\s+/g, ''));
}

describe('renderAnnualStatementPdf', () => {
  it('prints the holder, the holdings with grouped ¥ amounts, the dividends, the payouts and the wallet on one page', async () => {
    const text = await pages(await renderAnnualStatementPdf(statement(2)));
    expect(text).toHaveLength(1);
    for (const expected of [
      '林账2026年度对账单',
      '张守仁（V-0001）',
      '1405**********0310',
      '对账期间2026-01-01至2026-12-31',
      '1,261',
      '¥146,100.00',
      '¥1.23', // the amount per unit like every other amount: ¥ and two decimals
      '¥322.20',
      '合计¥644.40',
      '已到卡',
      '¥23,600.00',
      '¥10,550.00¥15,660.00¥23,600.00¥2,610.00',
    ]) {
      expect(text[0]).toContain(expected);
    }
    expect(text[0]).not.toContain('1.234500');
  });

  it('breaks a long dividend table across pages with its header repeated, and says when a section is empty', async () => {
    const text = await pages(await renderAnnualStatementPdf({ ...statement(80), payouts: [], payoutsTotal: '0.00' }));
    expect(text.length).toBeGreaterThan(1);
    expect(text[1]).toContain('发放日期项目份数每份约金额状态');
    expect(text.join('')).toContain(`合计${formatYuan(new Dec('322.20').times(80).toFixed(2))}`);
    expect(text.join('')).toContain('本年无兑付');
    expect(text[text.length - 1]).toContain('本对账单以林账登记为准');
  });
});
