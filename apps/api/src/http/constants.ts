/** HTTP constants shared by controllers: the idempotency header's OpenAPI description and the file content types. */
export const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: true,
  description: "Unique per command of one user (a UUID); a replay by the same user returns the first answer, another user's key is another command",
} as const;
export const PDF_CONTENT_TYPE = 'application/pdf';
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';
export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
