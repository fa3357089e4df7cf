import { EntityManager } from 'typeorm';
import type { PartyKind } from './party.model';

/** The only code that names the parties and pii_access_log tables in SQL. */

export interface PartyRefRow {
  id: string;
  code: string;
  name: string;
  kind: PartyKind;
}

/** Id, code, name and kind of the parties with these codes or ids; unknown ones are absent. */
export async function selectPartyRefs(em: EntityManager, by: { codes: readonly string[] } | { ids: readonly string[] }): Promise<PartyRefRow[]> {
  if ('codes' in by) {
    if (by.codes.length === 0) return [];
    return (await em.query(`SELECT id, code, name, kind FROM parties WHERE code = ANY($1::text[])`, [Array.from(new Set(by.codes))])) as PartyRefRow[];
  }
  if (by.ids.length === 0) return [];
  return (await em.query(`SELECT id, code, name, kind FROM parties WHERE id = ANY($1::bigint[])`, [Array.from(new Set(by.ids))])) as PartyRefRow[];
}
