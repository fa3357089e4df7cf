import { inflateSync } from 'node:zlib';

/**
 * Reads back the QR code a certificate PDF draws, without pdfkit: the page content streams are inflated and
 * their path operators parsed. The symbol is the run of `re` rectangles filled black after its white square
 * (side `side`); each rectangle is a run of dark modules in one row. Returns the module matrix (dark[row][col]),
 * to compare with the matrix of the link printed on the page.
 */
export function qrModulesInPdf(pdf: Buffer, side: number): boolean[][] | null {
  for (const content of contentStreams(pdf)) {
    const ops = content.split('\n').map((line) => line.trim());
    const start = ops.findIndex((op) => new RegExp(`^(-?[\\d.]+) (-?[\\d.]+) ${side} ${side} re$`).test(op));
    if (start === -1) continue;
    const [x0, y0] = ops[start].split(' ').map(Number);
    const firstFill = ops.indexOf('f', start);
    const end = ops.indexOf('f', firstFill + 1);
    const rects = ops
      .slice(firstFill + 1, end)
      .filter((op) => op.endsWith(' re'))
      .map((op) => op.split(' ').slice(0, 4).map(Number));
    if (rects.length === 0) return null;
    const module = Math.min(...rects.map(([, , , h]) => h));
    const total = Math.round(side / module);
    const quiet = Math.round((Math.min(...rects.map(([x]) => x)) - x0) / module);
    const size = total - 2 * quiet;
    const dark = Array.from({ length: size }, () => Array.from({ length: size }, () => false));
    for (const [x, y, w] of rects) {
      const row = Math.round((y - y0) / module) - quiet;
      const col = Math.round((x - x0) / module) - quiet;
      for (let c = col; c < col + Math.round(w / module); c++) dark[row][c] = true;
    }
    return dark;
  }
  return null;
}

/** The URIs of the PDF's link annotations. */
export function pdfLinkUris(pdf: Buffer): string[] {
  return [...pdf.toString('latin1').matchAll(/\/URI \(([^)]*)\)/g)].map((m) => m[1]);
}

function contentStreams(pdf: Buffer): string[] {
  const text = pdf.toString('latin1');
  const streams: string[] = [];
  for (const match of text.matchAll(/stream\r?\n/g)) {
    const start = match.index + match[0].length;
    const end = text.indexOf('endstream', start);
    try {
      streams.push(inflateSync(pdf.subarray(start, end)).toString('latin1'));
    } catch {
      // not a deflated stream (or not a stream at all): fonts, images
    }
  }
  return streams;
}
