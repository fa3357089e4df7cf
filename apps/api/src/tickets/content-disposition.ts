/** `attachment` or `inline` with an ASCII fallback name and the real (Chinese) name as RFC 5987 `filename*`. */
export function contentDisposition(type: 'attachment' | 'inline', fileName: string, asciiFallback: string): string {
  return `${type}; filename="${asciiFallback.replace(/[^A-Za-z0-9._-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
