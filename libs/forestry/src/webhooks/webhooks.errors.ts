import type { DomainErrorKind } from '@forest-ledger/common';

/** The webhook routes' own codes and their kinds (the API declares them per route); bad input is VALIDATION_FAILED. */
export const WEBHOOK_ERRORS: Readonly<Record<'WEBHOOK_SUBSCRIPTION_NOT_FOUND' | 'INVALID_QUERY', DomainErrorKind>> = {
  WEBHOOK_SUBSCRIPTION_NOT_FOUND: 'not-found',
  INVALID_QUERY: 'invalid',
};
