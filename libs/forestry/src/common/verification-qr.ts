import { create } from 'qrcode';

/**
 * 扫码验真: the QR code every certificate (林票, carbon retirement, income right) prints next to its
 * verification link. It encodes exactly the printed link, which carries the verification code, so a phone
 * opens the public verification with the code filled in. Drawn as vector squares (no image, no
 * rasterising), so it stays sharp on any printer and the same input gives the same bytes.
 */

/** Medium error correction (~15 % of the symbol may be soiled or folded), the usual choice for print. */
export const QR_ERROR_CORRECTION = 'M' as const;
/** The blank margin a reader needs around the symbol, in modules (ISO/IEC 18004). */
export const QR_QUIET_ZONE = 4;

export interface QrMatrix {
  /** What the symbol encodes. */
  text: string;
  size: number;
  /** dark[row][col] */
  dark: boolean[][];
}

/** The module matrix of the QR code of `text`. */
export function qrMatrix(text: string): QrMatrix {
  const qr = create(text, { errorCorrectionLevel: QR_ERROR_CORRECTION });
  const size = qr.modules.size;
  const dark = Array.from({ length: size }, (_, row) => Array.from({ length: size }, (_, col) => qr.modules.get(row, col) === 1));
  return { text, size, dark };
}

/**
 * Draws the QR code of `url` as a `side`×`side` square (quiet zone included) at (x, y), makes it a link to
 * `url` too (a PDF opened on a screen), and returns the matrix it drew.
 */
export function drawVerificationQr(doc: PDFKit.PDFDocument, url: string, x: number, y: number, side: number): QrMatrix {
  const matrix = qrMatrix(url);
  const module = side / (matrix.size + 2 * QR_QUIET_ZONE);
  const left = x + QR_QUIET_ZONE * module;
  const top = y + QR_QUIET_ZONE * module;
  doc.save();
  doc.rect(x, y, side, side).fill('#ffffff');
  matrix.dark.forEach((row, r) => {
    // One rectangle per run of dark modules in a row: fewer path operations, no hairline gaps between squares.
    let c = 0;
    while (c < matrix.size) {
      if (!row[c]) {
        c++;
        continue;
      }
      const start = c;
      while (c < matrix.size && row[c]) c++;
      doc.rect(left + start * module, top + r * module, (c - start) * module, module);
    }
  });
  doc.fill('#000000');
  doc.restore();
  doc.link(x, y, side, side, url);
  return matrix;
}

/** Side of the printed QR code, points (~28 mm: comfortably scanned by a phone at arm's length). */
export const QR_SIDE = 80;
const CAPTION = '扫码验真';

/**
 * The certificates' place for it: the top right corner of an A4 page (beside the centred title, above the table
 * that starts at y = 132), with 扫码验真 under it. Returns the matrix drawn.
 */
export function drawCornerVerificationQr(doc: PDFKit.PDFDocument, url: string, pageWidth: number): QrMatrix {
  const x = pageWidth - 56 - QR_SIDE;
  const y = 38;
  const matrix = drawVerificationQr(doc, url, x, y, QR_SIDE);
  doc
    .fillColor('#666666')
    .fontSize(7.5)
    .text(CAPTION, x, y + QR_SIDE - 2, { width: QR_SIDE, align: 'center', lineBreak: false });
  return matrix;
}

/**
 * The font size (at most `max`, at least `min`) at which `text` fits `width` on one line, so a printed link is
 * never broken across lines (a reader can type it, a text layer holds it whole).
 */
export function oneLineFontSize(doc: PDFKit.PDFDocument, text: string, width: number, max: number, min = 6): number {
  doc.fontSize(max);
  const natural = doc.widthOfString(text);
  return natural <= width ? max : Math.max(min, Math.floor(((max * width) / natural) * 10) / 10);
}

/** A public verification link: the configured base URL (PUBLIC_BASE_URL), the path, and the query (the code) encoded. */
export function verificationLink(baseUrl: string, path: string, query: Record<string, string> = {}): string {
  const search = new URLSearchParams(query).toString();
  return `${baseUrl}${path}${search === '' ? '' : `?${search}`}`;
}
