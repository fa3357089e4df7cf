import { EntityManager } from 'typeorm';
import type { PartyKind } from '../parties/party.model';

/** What projects and 林票 need to know of a party. */
export interface PartyRef {
  id: string;
  code: string;
  kind: PartyKind;
  name: string;
  active: boolean;
  idMasked: string | null;
  /** For a household or villager: its collective; for a villager also its household. */
  collectiveId: string | null;
  householdId: string | null;
  householdCode: string | null;
}

/** The parties with these codes (unknown codes are simply absent from the map). */
export async function partyRefs(em: EntityManager, codes: readonly string[]): Promise<Map<string, PartyRef>> {
  if (codes.length === 0) return new Map();
  const rows = (await em.query(
    `SELECT p.id, p.code, p.kind, p.name, p.active, p.id_masked, p.collective_id, p.household_id, h.code AS household_code
       FROM parties p LEFT JOIN parties h ON h.id = p.household_id
      WHERE p.code = ANY($1::text[])`,
    [Array.from(new Set(codes))],
  )) as Array<{
    id: string;
    code: string;
    kind: PartyKind;
    name: string;
    active: boolean;
    id_masked: string | null;
    collective_id: string | null;
    household_id: string | null;
    household_code: string | null;
  }>;
  return new Map(
    rows.map((r) => [
      r.code,
      {
        id: r.id,
        code: r.code,
        kind: r.kind,
        name: r.name,
        active: r.active,
        idMasked: r.id_masked,
        collectiveId: r.collective_id,
        householdId: r.household_id,
        householdCode: r.household_code,
      },
    ]),
  );
}

/** A person's name for public display: the first and last characters kept (张守仁 → 张*仁, 李明 → 李*). */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length <= 1) return chars.join('');
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}
