/**
 * Base of every domain error in the service, HTTP-agnostic. `kind` fixes the HTTP status class in one
 * place (apps/api/src/http/error.filter.ts); `code` is stable for clients; `field` names the input at fault.
 * This library imports nothing: every other library may depend on it, it depends on none.
 */
export type DomainErrorKind = 'invalid' | 'unauthenticated' | 'forbidden' | 'not-found' | 'conflict' | 'rule' | 'rate-limited';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** A detail as text for a message (`fallback` when absent or not a string or number). */
  detailText(key: string, fallback = ''): string {
    const value = this.details?.[key];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;
  }
}
