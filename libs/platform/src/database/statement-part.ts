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

/** Runs a part on its own (when there is no statement to carry it). */
export async function runPart(em: EntityManager, part: StatementPart): Promise<void> {
  await preparedQuery(em, part.name, part.text, part.values);
}
