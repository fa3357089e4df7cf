import { pdfTextLayer as textLayer } from '../../../../test/setup/pdf-text';
import { CertificateFontMissingError, CertificatePdfInput, findCjkFont, MAX_PARCEL_ROWS, renderCertificatePdf } from './certificate-pdf';

/**
 * Needs a CJK font on the machine (Debian: fonts-noto-cjk, installed by .ci/run). The text layer is
 * read back with pdf2json (a pdf.js fork), independently of pdfkit: it only finds the Chinese text if the
 * embedded subset carries a correct ToUnicode map.
 */

function input(overrides: Partial<CertificatePdfInput> = {}): CertificatePdfInput {
  return {
    certificateNo: 'YC-DXG-2025-000003',
    seriesCode: 'YC-DXG-2025',
    seriesName: '阳城县大西沟村林票 2025',
    projectName: '芹池镇大西沟村国有林场—村集体合作经营项目',
    holderName: '张*仁',
    holderIdMasked: '140522********0310',
    holderIdKind: 'PERSON',
    units: '6300',
    faceValue: '100.00',
    faceAmount: '630000.00',
    faceAmountInWords: '陆拾叁万元整',
    parcels: parcels(3),
    totalAreaMu: '316.50',
    issuer: '阳城县国有林场',
    issuedOn: '2025-03-01',
    printedAt: '2025-06-18',
    verificationCode: 'K7Q2-M9XW-4HTB-P3NA',
    verificationUrl: 'http://localhost:3000/v1/public/certificates/K7Q2M9XW4HTBP3NA',
    transferRestrictionLabel: '限本集体成员间转让',
    ...overrides,
  };
}

function parcels(count: number): CertificatePdfInput['parcels'] {
  return Array.from({ length: count }, (_, i) => ({
    certificateNo: `晋(2019)阳城县不动产权第${String(1201 + i).padStart(7, '0')}号`,
    areaMu: (100 + i * 3.25).toFixed(2),
    location: `芹池镇大西沟村${['后沟', '阳坡', '大岭'][i % 3]}第${i + 1}小班`,
  }));
}

describe('renderCertificatePdf', () => {
  const font = findCjkFont();

  it('renders one A4 page whose text layer holds the certificate in Chinese', async () => {
    const pdf = await renderCertificatePdf(input(), font);

    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.length).toBeLessThan(2 * 1024 * 1024); // a font subset, not the whole CJK font
    const { text, pages } = await textLayer(pdf);
    expect(pages).toBe(1);
    for (const expected of [
      '林票持有凭证',
      '张*仁',
      '140522********0310',
      '陆拾叁万元整',
      '¥630,000.00',
      'YC-DXG-2025-000003',
      'K7Q2-M9XW-4HTB-P3NA',
      '限本集体成员间转让',
      '阳城县国有林场',
      '本凭证以林账登记为准',
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).toContain('芹池镇大西沟村后沟第1小班');
    expect(text).toContain('合计 316.50 亩，共 3 宗');
    expect(text).not.toContain('等 3 宗');
  });

  it('prints a dash when the holder has no ID number', async () => {
    const { text } = await textLayer(await renderCertificatePdf(input({ holderIdMasked: null }), font));
    expect(text).toMatch(/身份证号\s+—/);
  });

  it("labels an organisation's number 统一社会信用代码, a person's 身份证号", async () => {
    const organisation = await textLayer(
      await renderCertificatePdf(input({ holderName: '大西沟村股份经济合作社', holderIdMasked: '93140522MA0K1234X5', holderIdKind: 'ORGANISATION' }), font),
    );
    expect(organisation.text).toMatch(/统一社会信用代码\s*93140522MA0K1234X5/);
    expect(organisation.text).not.toContain('身份证号');
    expect((await textLayer(await renderCertificatePdf(input(), font))).text).toMatch(/身份证号\s*140522\*{8}0310/);
  });

  it(`lists at most ${MAX_PARCEL_ROWS} of 30 parcels and counts the rest, still on one page`, async () => {
    const pdf = await renderCertificatePdf(input({ parcels: parcels(30), totalAreaMu: '4413.75' }), font);

    const { text, pages } = await textLayer(pdf);
    expect(pages).toBe(1);
    expect(text).toContain(`第${MAX_PARCEL_ROWS}小班`);
    expect(text).not.toContain(`第${MAX_PARCEL_ROWS + 1}小班`);
    expect(text).toContain(`等 30 宗（另有 ${30 - MAX_PARCEL_ROWS} 宗未列出`);
    expect(text).toContain('合计 4413.75 亩，共 30 宗');
  });

  it('gives the same bytes for the same input (dates come from the input, not the clock)', async () => {
    const [a, b] = [await renderCertificatePdf(input(), font), await renderCertificatePdf(input(), font)];
    expect(a.equals(b)).toBe(true);
    expect(a.toString('latin1')).toContain('(D:20250617160000Z)'); // 2025-06-18 00:00 China Standard Time
  });

  it('gives the same bytes after other documents used the same parsed font (its caches change no document)', async () => {
    const first = await renderCertificatePdf(input(), font);
    await renderCertificatePdf(input({ holderName: '欧阳*燕', projectName: '龘靐齉爩鬱', parcels: parcels(20) }), font);
    expect((await renderCertificatePdf(input(), font)).equals(first)).toBe(true);
  });

  it('refuses a printedAt that is not YYYY-MM-DD', async () => {
    await expect(renderCertificatePdf(input({ printedAt: '18/06/2025' }), font)).rejects.toThrow(RangeError);
  });

  it('says which font it could not use', async () => {
    await expect(renderCertificatePdf(input(), { path: '/nope/font.ttf' })).rejects.toThrow('cannot use CJK font /nope/font.ttf');
    await expect(renderCertificatePdf(input(), { path: font.path, family: 'NoSuchFace' })).rejects.toThrow(`cannot use CJK font ${font.path} (face NoSuchFace)`);
  });
});

describe('findCjkFont', () => {
  it('names the paths tried and the Debian package when no candidate exists', () => {
    let error: unknown;
    try {
      findCjkFont(['/nope', '/nope/either.ttc']);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CertificateFontMissingError);
    expect((error as Error).message).toContain('/nope, /nope/either.ttc');
    expect((error as Error).message).toContain('fonts-noto-cjk');
  });

  it("picks the collection's Simplified-Chinese face for Noto CJK", () => {
    expect(findCjkFont(['/nope', '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'])).toEqual({
      path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
      family: 'NotoSansCJKsc-Regular',
    });
  });
});
