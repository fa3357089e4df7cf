import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

export class ErrorResponse {
  @ApiProperty({ example: 'INSUFFICIENT_FUNDS', description: 'Stable machine-readable code' })
  code!: string;

  @ApiProperty({ example: 'entry.postings: account party:V-0012:wallet:CNY would be overdrawn (balance 10.00, change -20.00)' })
  message!: string;

  @ApiPropertyOptional({ example: 'postings[0].amount', description: 'The input field at fault' })
  field?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  details?: Record<string, unknown>;

  @ApiProperty({ example: '1f0c9f5e-3c1e-4a7a-9d89-5b1c7a0e2f11', description: 'Also in the X-Correlation-Id response header and in the logs' })
  correlationId!: string;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed input (VALIDATION_FAILED, INVALID_AMOUNT, INVALID_ENTRY, IDEMPOTENCY_KEY_REQUIRED, MALFORMED_REQUEST, BODY_TOO_DEEP, FORBIDDEN_KEY); nothing was written',
  404: 'Unknown asset, account or entry (UNKNOWN_*)',
  409: 'Conflict: the caller used the Idempotency-Key for a different request (IDEMPOTENCY_CONFLICT) or the code exists (*_EXISTS)',
  413: 'Body over 1 MB (PAYLOAD_TOO_LARGE)',
  422: 'Business rule refused (LEDGER_UNBALANCED, INSUFFICIENT_FUNDS, ACCOUNT_FROZEN, ACCOUNT_CLOSED, ACCOUNT_NOT_ZERO, ALREADY_REVERSED, DUPLICATE_POSTING, ASSET_MANAGED); nothing was written',
  500: 'Unexpected error (a bug); only the correlation id is returned',
  503: 'SERVICE_UNAVAILABLE: PostgreSQL or Redis down, the pool saturated, a lock or statement timeout, too many PDFs waiting to render (details.cause); nothing was written; retry after Retry-After seconds with the same Idempotency-Key',
};

/** Documents the error responses of an endpoint with the shared error body (500 and 503 on every one). */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(...[...statuses, 500, 503].map((status) => ApiResponse({ status, description: DESCRIPTIONS[status], type: ErrorResponse })));
}
