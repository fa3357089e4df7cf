import PDFParser from 'pdf2json';

/** pdf2json reads a verbosity of 0 as "not given" (warnings); below 0 it logs errors only. */
const ERRORS_ONLY = -1;

/**
 * The text layer of a PDF as pdf2json (a pdf.js fork) reads it, independently of pdfkit: one line per
 * text run, top to bottom, pages separated by "----------------Page (n) Break----------------" lines.
 * Chinese text is only found if the embedded font subset carries a correct ToUnicode map.
 */
export async function pdfTextLayer(pdf: Buffer): Promise<{ text: string; pages: number }> {
  const parser = new PDFParser(null, true);
  try {
    const pages = new Promise<number>((resolve, reject) => {
      parser.on('pdfParser_dataReady', (data) => resolve(data.Pages.length));
      parser.on('pdfParser_dataError', (error) => reject(error instanceof Error ? error : error.parserError));
    });
    parser.parseBuffer(pdf, ERRORS_ONLY);
    return { pages: await pages, text: parser.getRawTextContent() };
  } finally {
    parser.destroy();
  }
}
