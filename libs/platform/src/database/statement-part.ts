import { EntityManager } from 'typeorm';
import { preparedQuery } from './prepared';

/**
 * A data-modifying statement of one store that another store's statement can carry as a CTE, so that two
 * owners' writes of one commit cost one round trip (issue 21: the idempotency answer and the audit rows of a
 * group commit). The text numbers its own parameters from $1; `name` names it as a prepared statement.
 */
export interface StatementPart {
  name: string;
  text: string;
  values: unknown[];
}

/** The part's text with its parameters numbered after `offset` others ($1 → $<offset + 1>). */
export function shiftedText(part: StatementPart, offset: number): string {
  return part.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
}

/**
 * The parts as CTEs for a carrying statement that already has `offset` parameters: `ctes` is `, carried_0 AS (…), …`
 * (to follow the carrier's own CTEs; PostgreSQL allows data-modifying CTEs only at the top level, so parts are never
 * nested), `values` goes after the carrier's, `name` is what the carrier's prepared name gets appended.
 */
export function carriedParts(parts: readonly StatementPart[], offset: number): { ctes: string; values: unknown[]; name: string } {
  let ctes = '';
  const values: unknown[] = [];
  for (const [i, part] of parts.entries()) {
    ctes += `, carried_${i} AS (${shiftedText(part, offset + values.length)})`;
    values.push(...part.values);
  }
  return { ctes, values, name: parts.map((p) => `+${p.name}`).join('') };
}

/** Runs a part on its own (when there is no statement to carry it). */
export async function runPart(em: EntityManager, part: StatementPart): Promise<void> {
  await preparedQuery(em, part.name, part.text, part.values);
}

/** Runs parts in one statement: the last one carries the others (one round trip). */
export async function runParts(em: EntityManager, parts: readonly StatementPart[]): Promise<void> {
  if (parts.length === 0) return;
  const last = parts[parts.length - 1];
  if (parts.length === 1) return await runPart(em, last);
  const carried = carriedParts(parts.slice(0, -1), 0);
  await preparedQuery(em, `${carried.name.slice(1)}+${last.name}`, `WITH ${carried.ctes.slice(2)} ${shiftedText(last, carried.values.length)}`, [
    ...carried.values,
    ...last.values,
  ]);
}
