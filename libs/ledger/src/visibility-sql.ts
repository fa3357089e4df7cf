/**
 * The one SQL condition of "a scoped caller sees only its owners' accounts", on accounts aliased `a`: `ownerRefs` is the
 * placeholder of a text[] of owner references, NULL for a caller who sees every account. Each read that names an
 * account by code uses it, so a villager's 404 for another's account is decided in one place.
 */
export const visibleAccountSql = (ownerRefs: string): string => `(${ownerRefs}::text[] IS NULL OR a.owner_ref = ANY(${ownerRefs}::text[]))`;
