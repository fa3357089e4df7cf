/**
 * The part of `qrcode` (1.5.x) the certificates use: encoding text into a module matrix. The package ships no
 * types; delete this file once `@types/qrcode` is installed.
 */
declare module 'qrcode' {
  export type QRCodeErrorCorrectionLevel = 'L' | 'M' | 'Q' | 'H' | 'low' | 'medium' | 'quartile' | 'high';
  export interface QRCodeCreateOptions {
    errorCorrectionLevel?: QRCodeErrorCorrectionLevel;
    version?: number;
    maskPattern?: number;
  }
  export interface BitMatrix {
    size: number;
    data: Uint8Array;
    get(row: number, col: number): number;
  }
  export interface QRCode {
    modules: BitMatrix;
    version: number;
    errorCorrectionLevel: { bit: number };
    maskPattern: number;
  }
  export function create(text: string, options?: QRCodeCreateOptions): QRCode;
}
