import { EntityManager } from 'typeorm';
import { foldText, mapColumns } from '../imports/columns';
import { ImportRowError, rowError } from '../imports/imports.errors';
import { readTable } from '../imports/table-reader';
import { PartyError } from './parties.errors';
import { partiesStore } from './parties.store';
import { PARTY_CODE_PATTERN, PARTY_CODE_PREFIX, PartyRegistration } from './party-registration';
import { parseRoster, ROSTER_COLUMNS } from './roster-import';

export type RosterImportOutcome = { ok: true; collectiveCode: string; households: number; villagers: number } | { ok: false; errors: ImportRowError[] };

/** Stable: errors of one row keep the order they were found in. */
function byRow(errors: ImportRowError[]): ImportRowError[] {
  return errors
    .map((error, index) => ({ error, index }))
    .sort((a, b) => a.error.row - b.error.row || a.index - b.index)
    .map(({ error }) => error);
}

/** A collective's member roster imported: households and villagers with their wallets, all rows or none. */
export class PartyRoster {
  constructor(private readonly registration: PartyRegistration) {}

  /**
   * Imports a collective's member roster (CSV or .xlsx): one HOUSEHOLD per 户号, coded `H-<户号>`
   * (upper-cased), named `<户主姓名>户`; one VILLAGER per row, coded V-nnnn, linked to household and
   * collective; each with its wallet, all in the caller's transaction. Any row error (parse errors, a
   * 户号 already registered, an ID number already a party) and nothing at all is written.
   *
   * @throws TableReadError (400) when the file is not a readable table at all.
   */
  async importRoster(em: EntityManager, collectiveCode: string, buffer: Buffer, fileName: string, options: { today?: string } = {}): Promise<RosterImportOutcome> {
    const collective = await partiesStore.byCode(em, collectiveCode, 'FOR UPDATE');
    if (!collective) throw new PartyError('UNKNOWN_PARTY', `no party with code ${JSON.stringify(collectiveCode)}`, 'code');
    if (collective.kind !== 'COLLECTIVE') throw new PartyError('PARTY_LINK', `${collectiveCode} is a ${collective.kind}, not a COLLECTIVE`, 'code');
    if (!collective.active) throw new PartyError('PARTY_INACTIVE', `${collectiveCode} is deactivated`, 'code');
    const table = await readTable(buffer, fileName);
    const parsed = parseRoster(table, options);
    if (!parsed.ok) return { ok: false, errors: parsed.errors };

    const { columns } = mapColumns(table, ROSTER_COLUMNS);
    const header = (key: 'householdNo' | 'idNumber') => columns[key] ?? ROSTER_COLUMNS.find((c) => c.key === key)?.header ?? key;
    const errors: ImportRowError[] = [];
    const households = parsed.households.map((h) => ({ ...h, code: `H-${foldText(h.householdNo).toUpperCase()}`, row: h.members[0].row }));
    for (const h of households) {
      if (!PARTY_CODE_PATTERN.test(h.code)) {
        errors.push(
          rowError(
            h.row,
            header('householdNo'),
            `户号“${h.householdNo}”只能包含字母、数字、“-”“.”“_”`,
            `household number "${h.householdNo}" may hold only letters, digits, "-", ".", "_" (it becomes the household code ${h.code})`,
          ),
        );
      }
    }
    const codes = households.map((h) => h.code);
    const takenCodes = await this.registration.takenCodes(em, codes);
    for (const h of households) {
      if (takenCodes.has(h.code))
        errors.push(rowError(h.row, header('householdNo'), `户号${h.householdNo}已登记（${h.code}）`, `household ${h.householdNo} is already registered as ${h.code}`));
    }
    const members = households.flatMap((h) => h.members.map((m) => ({ ...m, household: h, id: this.registration.seal('RESIDENT_ID', m.idNumber) })));
    const existing = new Map(
      (
        await partiesStore.codesByIdHmacs(
          em,
          'RESIDENT_ID',
          members.flatMap((m) => m.id.lookup),
        )
      ).map((r) => [r.id_hmac, r.code]),
    );
    for (const m of members) {
      const code = m.id.lookup.map((hmac) => existing.get(hmac)).find((c) => c !== undefined);
      if (code !== undefined) {
        errors.push(rowError(m.row, header('idNumber'), `身份证号${m.id.masked}已登记为${code}`, `ID number ${m.id.masked} is already registered as party ${code}`));
      }
    }
    if (errors.length > 0) return { ok: false, errors: byRow(errors) };

    await this.registration.ensureWalletAsset(em);
    const householdIds = await this.registration.insert(
      em,
      households.map((h) => ({
        code: h.code,
        kind: 'HOUSEHOLD',
        name: `${h.headName}户`,
        regionId: collective.region_id,
        id: null,
        mobile: null,
        householdId: null,
        collectiveId: collective.id,
        metadata: { householdNo: h.householdNo, headName: h.headName },
      })),
    );
    const villagerCodes = await this.registration.allocateCodes(em, PARTY_CODE_PREFIX.VILLAGER, members.length);
    await this.registration.insert(
      em,
      members.map((m, i) => ({
        code: villagerCodes[i],
        kind: 'VILLAGER',
        name: m.name,
        regionId: collective.region_id,
        id: m.id,
        mobile: this.registration.sealMobile(m.phone, 'phone'),
        householdId: householdIds.get(m.household.code) ?? null,
        collectiveId: collective.id,
        metadata: { householdNo: m.household.householdNo, relation: m.relation },
      })),
    );
    for (const h of households) await this.registration.openWallet(em, h.code, `${h.headName}户`);
    for (const [i, m] of members.entries()) await this.registration.openWallet(em, villagerCodes[i], m.name);
    return { ok: true, collectiveCode, households: households.length, villagers: members.length };
  }
}
