import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isBigintId, LedgerService } from '@forest-ledger/ledger';
import * as argon2 from 'argon2';
import { DataSource, EntityManager } from 'typeorm';
import { AccessService, PIN_PATTERN } from '../access/access.service';
import { ApprovalState, APPROVAL_STATES } from '../access/access.entities';
import { AuthUser, OwnerScope } from '../access/access.types';
import { checkPartyId } from '../imports/cell-values';
import { foldText, mapColumns } from '../imports/columns';
import { ImportRowError, rowError } from '../imports/imports.errors';
import { readTable } from '../imports/table-reader';
import { RegionLevel } from '../regions/region.entity';
import { REGION_CODE_PATTERN, RegionRecord, RegionsService } from '../regions/regions.service';
import { maskResidentId } from './identity-codes';
import { PartyError } from './parties.errors';
import { IdKind, PARTY_KINDS, PartyKind } from './party.entity';
import { PiiCipher } from './pii';
import { normalisePhone, parseRoster, ROSTER_COLUMNS } from './roster-import';

/** Readable party codes: letters, digits, ".", "_", "-" (they become part of account codes, so no ":"). */
export const PARTY_CODE_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,47}$/;

/** The prefix of generated codes, by kind: V-0012, H-0003, C-0001 … */
export const PARTY_CODE_PREFIX: Record<PartyKind, string> = {
  STATE_FARM: 'F',
  COLLECTIVE: 'C',
  HOUSEHOLD: 'H',
  VILLAGER: 'V',
  ENTERPRISE: 'E',
  INDIVIDUAL_BUYER: 'B',
  GOVERNMENT_FUND: 'G',
  BANK: 'K',
  LESSEE: 'L',
};

/** Which ID number a kind carries and whether it must. A LESSEE may be a person or an organisation. */
export const PARTY_ID_RULES: Record<PartyKind, { accepts: readonly IdKind[]; required: boolean }> = {
  STATE_FARM: { accepts: ['CREDIT_CODE'], required: true },
  COLLECTIVE: { accepts: ['CREDIT_CODE'], required: true },
  ENTERPRISE: { accepts: ['CREDIT_CODE'], required: true },
  BANK: { accepts: ['CREDIT_CODE'], required: true },
  GOVERNMENT_FUND: { accepts: ['CREDIT_CODE'], required: false },
  VILLAGER: { accepts: ['RESIDENT_ID'], required: true },
  INDIVIDUAL_BUYER: { accepts: ['RESIDENT_ID'], required: true },
  LESSEE: { accepts: ['RESIDENT_ID', 'CREDIT_CODE'], required: false },
  HOUSEHOLD: { accepts: [], required: false },
};

/** Kinds that live in a village (and whose region must therefore be a VILLAGE). */
const VILLAGE_KINDS: ReadonlySet<PartyKind> = new Set<PartyKind>(['COLLECTIVE', 'HOUSEHOLD', 'VILLAGER']);

export const DEACTIVATE_PARTY = 'DEACTIVATE_PARTY';
export const WALLET_ASSET = { code: 'CNY', scale: 2, description: '人民币 (分)' };
const MAX_NAME = 200;
const MAX_REASON = 500;
/** First key of the two-key advisory locks taken here ('PA'), so they never collide with other features' locks. */
const CODE_LOCK_NAMESPACE = 0x5041;

export const walletOf = (partyCode: string): string => `party:${partyCode}:wallet:CNY`;
export const ownerRefOf = (partyCode: string): string => `party:${partyCode}`;

export interface CreatePartyInput {
  kind: PartyKind;
  name: string;
  /** Generated from the kind's prefix and a sequence when absent (V-0001, V-0002 …). */
  code?: string;
  /** Required (a VILLAGE) for collectives; households and villagers default to their collective's / household's village. */
  regionCode?: string;
  /** Resident ID number (persons) or unified social credit code (organisations); see PARTY_ID_RULES. */
  idNumber?: string;
  phone?: string;
  /** A villager's household (a HOUSEHOLD party). */
  householdCode?: string;
  /** A household's or villager's collective (a COLLECTIVE party); a villager's defaults to its household's. */
  collectiveCode?: string;
  metadata?: Record<string, unknown>;
}

export interface PartyRegion {
  code: string;
  name: string;
  level: RegionLevel;
}

/** What every screen and response shows of a party: the ID number only masked. */
export interface PartyView {
  code: string;
  kind: PartyKind;
  name: string;
  region: PartyRegion | null;
  idKind: IdKind | null;
  idNumberMasked: string | null;
  phone: string | null;
  householdCode: string | null;
  collectiveCode: string | null;
  active: boolean;
  deactivatedAt: string | null;
  metadata: Record<string, unknown>;
  walletAccount: string;
  createdAt: string;
}

export interface PartyFilter {
  kind?: PartyKind;
  /** Parties in this region or below it (a township's code finds its villages' parties). */
  regionCode?: string;
  collectiveCode?: string;
  householdCode?: string;
  active?: boolean;
  limit?: number;
  /** The last code of the previous page. */
  after?: string;
}

export interface ApprovalView {
  id: string;
  action: string;
  payload: Record<string, unknown>;
  state: ApprovalState;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}

export interface ApprovalFilter {
  state?: ApprovalState;
  action?: string;
  limit?: number;
  /** The last id of the previous page (newest first). */
  before?: string;
}

export type RosterImportOutcome = { ok: true; collectiveCode: string; households: number; villagers: number } | { ok: false; errors: ImportRowError[] };

interface PartyRow {
  id: string;
  code: string;
  kind: PartyKind;
  name: string;
  region_id: string | null;
  region_code: string | null;
  region_name: string | null;
  region_level: RegionLevel | null;
  id_kind: IdKind | null;
  id_masked: string | null;
  phone: string | null;
  household_id: string | null;
  household_code: string | null;
  collective_id: string | null;
  collective_code: string | null;
  active: boolean;
  deactivated_at: Date | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

interface ApprovalRow {
  id: string;
  action: string;
  payload: Record<string, unknown>;
  state: ApprovalState;
  requested_by: string;
  requested_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
}

/** One row for the parties table, everything resolved. */
interface PartyInsert {
  code: string;
  kind: PartyKind;
  name: string;
  regionId: string | null;
  id: SealedId | null;
  phone: string | null;
  householdId: string | null;
  collectiveId: string | null;
  metadata: Record<string, unknown>;
}

interface SealedId {
  kind: IdKind;
  /** Under the newest key: what is stored. */
  hmac: string;
  /** Under every configured key, newest first: what an existing party may be stored under while keys rotate. */
  lookup: string[];
  cipher: string;
  masked: string;
}

// The clear ID (id_cipher, id_hmac) is never selected here: only the reveal reads the ciphertext.
const PARTY_COLUMNS = `p.id, p.code, p.kind, p.name, p.region_id, r.code AS region_code, r.name AS region_name, r.level AS region_level,
  p.id_kind, p.id_masked, p.phone, p.household_id, h.code AS household_code, p.collective_id, c.code AS collective_code,
  p.active, p.deactivated_at, p.metadata, p.created_at`;
const PARTY_FROM = `parties p LEFT JOIN regions r ON r.id = p.region_id LEFT JOIN parties h ON h.id = p.household_id LEFT JOIN parties c ON c.id = p.collective_id`;
const APPROVAL_COLUMNS = `id, action, payload, state, requested_by, requested_at, decided_by, decided_at`;

function toView(row: PartyRow): PartyView {
  return {
    code: row.code,
    kind: row.kind,
    name: row.name,
    region: row.region_code !== null && row.region_name !== null && row.region_level !== null ? { code: row.region_code, name: row.region_name, level: row.region_level } : null,
    idKind: row.id_kind,
    idNumberMasked: row.id_masked,
    phone: row.phone,
    householdCode: row.household_code,
    collectiveCode: row.collective_code,
    active: row.active,
    deactivatedAt: row.deactivated_at ? row.deactivated_at.toISOString() : null,
    metadata: row.metadata,
    walletAccount: walletOf(row.code),
    createdAt: row.created_at.toISOString(),
  };
}

function toApproval(row: ApprovalRow): ApprovalView {
  return {
    id: row.id,
    action: row.action,
    payload: row.payload,
    state: row.state,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at.toISOString(),
    decidedBy: row.decided_by,
    decidedAt: row.decided_at ? row.decided_at.toISOString() : null,
  };
}

const unknownParty = (code: string, field = 'code') => new PartyError('UNKNOWN_PARTY', `no party with code ${JSON.stringify(code)}`, field);

/** Only the party itself for a scoped caller (FARM_OPERATOR, BUYER, VILLAGER); everything for staff. */
function visible(code: string, scope: OwnerScope): boolean {
  return scope === null || scope.ownerRefs.includes(ownerRefOf(code));
}

/** Stable: errors of one row keep the order they were found in. */
function byRow(errors: ImportRowError[]): ImportRowError[] {
  return errors
    .map((error, index) => ({ error, index }))
    .sort((a, b) => a.error.row - b.error.row || a.index - b.index)
    .map(({ error }) => error);
}

/**
 * Parties: organisations and persons, real-name registered. ID numbers are stored as an HMAC (lookup,
 * uniqueness), AES-GCM ciphertext (the audited admin reveal) and a masked copy (display), never in clear.
 * Creating a party opens its CNY wallet in the same transaction. Parties are never deleted;
 * deactivation goes through maker-checker and freezes the wallet. Every write takes the caller's
 * EntityManager (one transaction per use case).
 */
@Injectable()
export class PartiesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly pii: PiiCipher,
    private readonly access: AccessService,
    private readonly regions: RegionsService = new RegionsService(dataSource),
  ) {}

  // ---------------------------------------------------------------- create

  async create(em: EntityManager, input: CreatePartyInput): Promise<PartyView> {
    if (!PARTY_KINDS.includes(input.kind)) throw new PartyError('VALIDATION_FAILED', `kind must be one of ${PARTY_KINDS.join(', ')}`, 'kind');
    const name = this.checkName(input.name);
    if (input.code !== undefined && !PARTY_CODE_PATTERN.test(input.code)) {
      throw new PartyError('VALIDATION_FAILED', 'code must be 1-48 of upper-case letters, digits, ".", "_", "-", starting with a letter or digit', 'code');
    }
    const phone = this.checkPhone(input.phone);
    const links = await this.resolveLinks(em, input);
    const region = await this.resolveRegion(em, input, links.regionId);
    const id = this.sealId(input.kind, input.idNumber);
    if (id) {
      const [existing] = (await em.query(`SELECT code FROM parties WHERE id_kind = $1 AND id_hmac = ANY($2::text[])`, [id.kind, id.lookup])) as Array<{ code: string }>;
      if (existing) throw new PartyError('PARTY_EXISTS', `a party with this ID number is already registered (${existing.code})`, 'idNumber', { existingCode: existing.code });
    }
    let code: string;
    if (input.code !== undefined) {
      code = input.code;
      await this.assertCodesFree(em, [code]);
    } else {
      [code] = await this.allocateCodes(em, PARTY_CODE_PREFIX[input.kind], 1);
    }
    await this.insertParties(em, [
      { code, kind: input.kind, name, regionId: region?.id ?? null, id, phone, householdId: links.householdId, collectiveId: links.collectiveId, metadata: input.metadata ?? {} },
    ]);
    await this.ledger.ensureAsset(em, WALLET_ASSET);
    await this.openWallet(em, code, name);
    return this.view(em, code);
  }

  private checkName(name: unknown, field = 'name'): string {
    const clean = typeof name === 'string' ? name.normalize('NFKC').trim() : '';
    if (clean === '' || clean.length > MAX_NAME) throw new PartyError('VALIDATION_FAILED', `${field} must be 1-${MAX_NAME} characters`, field);
    return clean;
  }

  private checkPhone(phone: string | undefined): string | null {
    if (phone === undefined || phone.trim() === '') return null;
    const digits = normalisePhone(phone);
    if (!/^\d{7,15}$/.test(digits))
      throw new PartyError('VALIDATION_FAILED', 'phone must be a mobile or landline number of 7-15 digits (spaces, hyphens and +86 allowed)', 'phone');
    return digits;
  }

  /** Validates and normalises the ID number for the kind; returns it sealed (HMAC, ciphertext, masked). */
  private sealId(kind: PartyKind, idNumber: string | undefined): SealedId | null {
    const rule = PARTY_ID_RULES[kind];
    if (idNumber === undefined || idNumber.trim() === '') {
      if (rule.required) {
        const what = rule.accepts.includes('RESIDENT_ID') ? 'a resident ID number' : 'a unified social credit code';
        throw new PartyError('VALIDATION_FAILED', `a ${kind} needs idNumber (${what})`, 'idNumber');
      }
      return null;
    }
    if (rule.accepts.length === 0) throw new PartyError('VALIDATION_FAILED', `a ${kind} carries no ID number (its members do)`, 'idNumber');
    const check = checkPartyId(idNumber, { allowCreditCode: rule.accepts.includes('CREDIT_CODE') });
    if (!check.ok) throw new PartyError('INVALID_ID_NUMBER', check.en, 'idNumber');
    if (!rule.accepts.includes(check.kind)) {
      throw new PartyError('INVALID_ID_NUMBER', `a ${kind} carries a unified social credit code, not a resident ID number (${maskResidentId(check.idNumber)})`, 'idNumber');
    }
    return this.seal(check.kind, check.idNumber);
  }

  private seal(kind: IdKind, normalised: string): SealedId {
    const lookup = this.pii.hmacCandidates(kind, normalised);
    return { kind, hmac: lookup[0], lookup, cipher: this.pii.encrypt(normalised), masked: maskResidentId(normalised) };
  }

  /** Household and collective links: only for households and villagers, each checked for kind and membership. */
  private async resolveLinks(em: EntityManager, input: CreatePartyInput): Promise<{ householdId: string | null; collectiveId: string | null; regionId: string | null }> {
    const none = { householdId: null, collectiveId: null, regionId: null };
    if (input.kind !== 'VILLAGER' && input.householdCode !== undefined) throw new PartyError('VALIDATION_FAILED', 'only a VILLAGER belongs to a household', 'householdCode');
    if (input.kind !== 'VILLAGER' && input.kind !== 'HOUSEHOLD') {
      if (input.collectiveCode !== undefined) throw new PartyError('VALIDATION_FAILED', 'only a HOUSEHOLD or a VILLAGER belongs to a collective', 'collectiveCode');
      return none;
    }
    if (input.kind === 'HOUSEHOLD') {
      if (input.collectiveCode === undefined) throw new PartyError('VALIDATION_FAILED', 'a HOUSEHOLD needs collectiveCode', 'collectiveCode');
      const collective = await this.linked(em, input.collectiveCode, 'COLLECTIVE', 'collectiveCode');
      return { householdId: null, collectiveId: collective.id, regionId: collective.region_id };
    }
    if (input.householdCode === undefined) throw new PartyError('VALIDATION_FAILED', 'a VILLAGER needs householdCode', 'householdCode');
    const household = await this.linked(em, input.householdCode, 'HOUSEHOLD', 'householdCode');
    if (input.collectiveCode !== undefined) {
      const collective = await this.linked(em, input.collectiveCode, 'COLLECTIVE', 'collectiveCode');
      if (household.collective_id !== collective.id) {
        throw new PartyError('PARTY_LINK', `household ${household.code} is not a member of collective ${collective.code}`, 'householdCode');
      }
    }
    return { householdId: household.id, collectiveId: household.collective_id, regionId: household.region_id };
  }

  /** A linked party, locked FOR SHARE so it cannot be deactivated before this transaction commits. */
  private async linked(em: EntityManager, code: string, kind: PartyKind, field: string): Promise<PartyRow> {
    const [row] = (await em.query(`SELECT ${PARTY_COLUMNS} FROM ${PARTY_FROM} WHERE p.code = $1 FOR SHARE OF p`, [code])) as PartyRow[];
    if (!row) throw unknownParty(code, field);
    if (row.kind !== kind) throw new PartyError('PARTY_LINK', `${code} is a ${row.kind}, not a ${kind}`, field);
    if (!row.active) throw new PartyError('PARTY_INACTIVE', `${code} is deactivated`, field);
    return row;
  }

  /** The party's region: given, or inherited from its household / collective; a VILLAGE for village kinds. */
  private async resolveRegion(em: EntityManager, input: CreatePartyInput, inherited: string | null): Promise<RegionRecord | null> {
    let region: RegionRecord | null = null;
    if (input.regionCode !== undefined) {
      region = await this.regions.require(input.regionCode, em, 'regionCode');
      if (inherited !== null && region.id !== inherited) {
        throw new PartyError(
          'PARTY_REGION',
          `a ${input.kind} lives in the village of its ${input.kind === 'VILLAGER' ? 'household' : 'collective'}, not in ${region.code}`,
          'regionCode',
        );
      }
    } else if (inherited !== null) {
      region = await this.regions.findById(inherited, em);
    }
    if (VILLAGE_KINDS.has(input.kind)) {
      if (region === null) throw new PartyError('VALIDATION_FAILED', `a ${input.kind} needs regionCode (its village)`, 'regionCode');
      if (region.level !== 'VILLAGE')
        throw new PartyError('PARTY_REGION', `a ${input.kind} belongs to a VILLAGE; ${region.code} (${region.name}) is a ${region.level}`, 'regionCode');
    }
    return region;
  }

  /**
   * Next free codes `<prefix>-0001` … from the highest existing one, under a transaction-scoped advisory
   * lock per prefix: concurrent creators of one kind queue here, so two never draw the same number.
   * Numbers whose owner reference already has ledger accounts (e.g. loaded demo data) are skipped.
   */
  private async allocateCodes(em: EntityManager, prefix: string, count: number): Promise<string[]> {
    await em.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [CODE_LOCK_NAMESPACE, `party-code:${prefix}`]);
    const [{ n }] = (await em.query(
      `SELECT COALESCE(max(substring(code FROM '^[A-Z]+-(\\d{1,9})$')::bigint), 0)::text AS n FROM parties WHERE code ~ ('^' || $1 || '-\\d{1,9}$')`,
      [prefix],
    )) as Array<{ n: string }>;
    const codes: string[] = [];
    let next = Number(n) + 1;
    while (codes.length < count) {
      const candidates = Array.from({ length: count - codes.length }, (_, i) => `${prefix}-${String(next + i).padStart(4, '0')}`);
      next += candidates.length;
      const used = new Set(
        ((await em.query(`SELECT DISTINCT owner_ref FROM ledger_accounts WHERE owner_ref = ANY($1::text[])`, [candidates.map(ownerRefOf)])) as Array<{ owner_ref: string }>).map(
          (r) => r.owner_ref,
        ),
      );
      codes.push(...candidates.filter((c) => !used.has(ownerRefOf(c))));
    }
    return codes;
  }

  /** Refuses codes that are taken by a party or that already own ledger accounts. */
  private async assertCodesFree(em: EntityManager, codes: string[]): Promise<void> {
    const [taken] = (await em.query(
      `SELECT code FROM parties WHERE code = ANY($1::text[])
       UNION ALL SELECT substring(owner_ref FROM 7) FROM ledger_accounts WHERE owner_ref = ANY($2::text[]) LIMIT 1`,
      [codes, codes.map(ownerRefOf)],
    )) as Array<{ code: string }>;
    if (taken) throw new PartyError('PARTY_EXISTS', `party code ${taken.code} is already taken`, 'code', { existingCode: taken.code });
  }

  /** One statement for any number of rows; a unique-key race (code or ID number) becomes PARTY_EXISTS. */
  private async insertParties(em: EntityManager, rows: PartyInsert[]): Promise<Map<string, string>> {
    const column = <T>(pick: (r: PartyInsert) => T) => rows.map(pick);
    const inserted = (await em.query(
      `INSERT INTO parties (code, kind, name, region_id, id_kind, id_hmac, id_cipher, id_masked, phone, household_id, collective_id, metadata)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::bigint[], $12::jsonb[])
       ON CONFLICT DO NOTHING RETURNING id, code`,
      [
        column((r) => r.code),
        column((r) => r.kind),
        column((r) => r.name),
        column((r) => r.regionId),
        column((r) => r.id?.kind ?? null),
        column((r) => r.id?.hmac ?? null),
        column((r) => r.id?.cipher ?? null),
        column((r) => r.id?.masked ?? null),
        column((r) => r.phone),
        column((r) => r.householdId),
        column((r) => r.collectiveId),
        column((r) => JSON.stringify(r.metadata)),
      ],
    )) as Array<{ id: string; code: string }>;
    if (inserted.length !== rows.length) {
      const done = new Set(inserted.map((r) => r.code));
      const lost = rows.find((r) => !done.has(r.code));
      throw new PartyError('PARTY_EXISTS', `a party with code ${lost?.code ?? '?'} or its ID number was registered concurrently; retry`, 'code');
    }
    return new Map(inserted.map((r) => [r.code, r.id]));
  }

  /** The party's CNY wallet: credit-normal (what the platform owes the party), never overdrawn. */
  private async openWallet(em: EntityManager, code: string, name: string): Promise<void> {
    await this.ledger.openAccount(em, { code: walletOf(code), asset: WALLET_ASSET.code, type: 'LIABILITY', ownerRef: ownerRefOf(code), noOverdraft: true, metadata: { name } });
  }

  // ---------------------------------------------------------------- reads

  /** 404 for a party the caller may not see, never 403: a scoped caller cannot probe other codes. */
  async get(code: string, scope: OwnerScope, em: EntityManager = this.dataSource.manager): Promise<PartyView> {
    if (!visible(code, scope)) throw unknownParty(code);
    return this.view(em, code);
  }

  /** Keyset pages by code. A scoped caller's list holds at most their own party. */
  async list(filter: PartyFilter, scope: OwnerScope): Promise<{ items: PartyView[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 500);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (scope !== null) add(`('party:' || p.code) = ANY(?::text[])`, scope.ownerRefs);
    if (filter.kind !== undefined) add('p.kind = ?', filter.kind);
    if (filter.regionCode !== undefined) {
      if (!REGION_CODE_PATTERN.test(filter.regionCode)) throw new PartyError('VALIDATION_FAILED', 'regionCode must be a 6, 9 or 12 digit region code', 'regionCode');
      add(`r.code LIKE ? || '%'`, filter.regionCode);
    }
    if (filter.collectiveCode !== undefined) add('c.code = ?', filter.collectiveCode);
    if (filter.householdCode !== undefined) add('h.code = ?', filter.householdCode);
    if (filter.active !== undefined) add('p.active = ?', filter.active);
    if (filter.after !== undefined) add('p.code > ?', filter.after);
    params.push(limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT ${PARTY_COLUMNS} FROM ${PARTY_FROM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY p.code LIMIT $${params.length}`,
      params,
    )) as PartyRow[];
    const items = rows.slice(0, limit).map(toView);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].code : null };
  }

  private async view(em: EntityManager, code: string): Promise<PartyView> {
    return toView(await this.row(em, code));
  }

  private async row(em: EntityManager, code: string, lock = ''): Promise<PartyRow> {
    const [row] = (await em.query(`SELECT ${PARTY_COLUMNS} FROM ${PARTY_FROM} WHERE p.code = $1 ${lock}`, [code])) as PartyRow[];
    if (!row) throw unknownParty(code);
    return row;
  }

  // ---------------------------------------------------------------- the audited reveal

  /** The full ID number, for an ADMIN giving a reason; the access is logged in the same transaction. */
  async revealId(em: EntityManager, code: string, user: AuthUser, reason: string): Promise<{ code: string; idKind: IdKind; idNumber: string }> {
    if (user.role !== 'ADMIN') throw new PartyError('FORBIDDEN', 'only an ADMIN may see a full ID number', 'role');
    const why = typeof reason === 'string' ? reason.normalize('NFKC').trim() : '';
    if (why === '' || why.length > MAX_REASON) throw new PartyError('VALIDATION_FAILED', `reason must be 1-${MAX_REASON} characters`, 'reason');
    const [row] = (await em.query(`SELECT id, id_kind, id_cipher FROM parties WHERE code = $1`, [code])) as Array<{ id: string; id_kind: IdKind | null; id_cipher: string | null }>;
    if (!row) throw unknownParty(code);
    if (row.id_kind === null || row.id_cipher === null) throw new PartyError('PARTY_HAS_NO_ID', `party ${code} has no ID number on record`, 'code');
    await em.query(`INSERT INTO pii_access_log (party_id, user_id, reason) VALUES ($1, $2, $3)`, [row.id, user.userId, why]);
    return { code, idKind: row.id_kind, idNumber: this.pii.decrypt(row.id_cipher) };
  }

  // ---------------------------------------------------------------- deactivation (maker-checker)

  /** Asks for a party's deactivation; another user decides. One pending request per party. */
  async requestDeactivation(em: EntityManager, code: string, user: AuthUser, reason?: string): Promise<ApprovalView> {
    const party = await this.row(em, code, 'FOR UPDATE OF p');
    if (!party.active) throw new PartyError('PARTY_INACTIVE', `party ${code} is already deactivated`, 'code');
    const [pending] = (await em.query(`SELECT id FROM approvals WHERE action = $1 AND state = 'PENDING' AND payload->>'partyCode' = $2`, [DEACTIVATE_PARTY, code])) as Array<{
      id: string;
    }>;
    if (pending) throw new PartyError('APPROVAL_PENDING', `deactivation of ${code} is already awaiting approval ${pending.id}`, 'code', { approvalId: pending.id });
    const payload: Record<string, unknown> = { partyCode: code, partyName: party.name };
    const why = reason?.normalize('NFKC').trim();
    if (why) payload.reason = why.slice(0, MAX_REASON);
    const [row] = (await em.query(`INSERT INTO approvals (action, payload, requested_by) VALUES ($1, $2, $3) RETURNING ${APPROVAL_COLUMNS}`, [
      DEACTIVATE_PARTY,
      JSON.stringify(payload),
      user.userId,
    ])) as ApprovalRow[];
    return toApproval(row);
  }

  /**
   * Approves or rejects a pending request. Refused for the requester (four eyes; also a CHECK in the
   * database) and for a request already decided. The approval row is locked, so two deciders queue.
   * Approving a deactivation sets the party inactive, disables its users and freezes its wallet.
   */
  async decide(em: EntityManager, approvalId: string, user: AuthUser, approve: boolean): Promise<ApprovalView> {
    const [row] = isBigintId(approvalId) ? ((await em.query(`SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE id = $1 FOR UPDATE`, [approvalId])) as ApprovalRow[]) : [];
    if (!row) throw new PartyError('UNKNOWN_APPROVAL', `no approval with id ${JSON.stringify(approvalId)}`, 'id');
    if (row.action !== DEACTIVATE_PARTY) throw new PartyError('APPROVAL_ACTION_UNSUPPORTED', `approval ${row.id} (${row.action}) is decided by its own feature`, 'id');
    if (row.state !== 'PENDING') throw new PartyError('APPROVAL_DECIDED', `approval ${row.id} was already ${row.state.toLowerCase()}`, 'id');
    if (row.requested_by === user.userId) throw new PartyError('SAME_USER_APPROVAL', 'the user who requested an action cannot approve or reject it', 'id');
    if (approve) {
      const code = String(row.payload.partyCode);
      const party = await this.row(em, code, 'FOR UPDATE OF p');
      await em.query(`UPDATE parties SET active = false, deactivated_at = now() WHERE id = $1 AND active`, [party.id]);
      await em.query(`UPDATE users SET active = false WHERE party_id = $1`, [party.id]);
      await this.ledger.setFrozen(em, walletOf(code), true);
    }
    await em.query(`UPDATE approvals SET state = $2, decided_by = $3, decided_at = now() WHERE id = $1`, [row.id, approve ? 'APPROVED' : 'REJECTED', user.userId]);
    const [decided] = (await em.query(`SELECT ${APPROVAL_COLUMNS} FROM approvals WHERE id = $1`, [row.id])) as ApprovalRow[];
    return toApproval(decided);
  }

  /** Newest first, keyset on id. */
  async listApprovals(filter: ApprovalFilter = {}): Promise<{ items: ApprovalView[]; nextBefore: string | null }> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 500);
    if (filter.state !== undefined && !APPROVAL_STATES.includes(filter.state))
      throw new PartyError('VALIDATION_FAILED', `state must be one of ${APPROVAL_STATES.join(', ')}`, 'state');
    if (filter.before !== undefined && !isBigintId(filter.before)) throw new PartyError('VALIDATION_FAILED', 'before must be an approval id', 'before');
    const rows = (await this.dataSource.query(
      `SELECT ${APPROVAL_COLUMNS} FROM approvals
       WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR action = $2) AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4`,
      [filter.state ?? null, filter.action ?? null, filter.before ?? null, limit + 1],
    )) as ApprovalRow[];
    const items = rows.slice(0, limit).map(toApproval);
    return { items, nextBefore: rows.length > limit ? items[items.length - 1].id : null };
  }

  // ---------------------------------------------------------------- roster import

  /**
   * Imports a collective's member roster (CSV or .xlsx): one HOUSEHOLD per 户号, coded `H-<户号>`
   * (upper-cased), named `<户主姓名>户`; one VILLAGER per row, coded V-nnnn, linked to household and
   * collective; each with its wallet, all in the caller's transaction. Any row error (parse errors, a
   * 户号 already registered, an ID number already a party) and nothing at all is written.
   *
   * @throws TableReadError (400) when the file is not a readable table at all.
   */
  async importRoster(em: EntityManager, collectiveCode: string, buffer: Buffer, fileName: string, options: { today?: string } = {}): Promise<RosterImportOutcome> {
    const collective = await this.row(em, collectiveCode, 'FOR UPDATE OF p');
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
    const takenCodes = new Set(
      (
        (await em.query(`SELECT code FROM parties WHERE code = ANY($1::text[]) UNION SELECT substring(owner_ref FROM 7) FROM ledger_accounts WHERE owner_ref = ANY($2::text[])`, [
          codes,
          codes.map(ownerRefOf),
        ])) as Array<{ code: string }>
      ).map((r) => r.code),
    );
    for (const h of households) {
      if (takenCodes.has(h.code))
        errors.push(rowError(h.row, header('householdNo'), `户号${h.householdNo}已登记（${h.code}）`, `household ${h.householdNo} is already registered as ${h.code}`));
    }
    const members = households.flatMap((h) => h.members.map((m) => ({ ...m, household: h, id: this.seal('RESIDENT_ID', m.idNumber) })));
    const existing = new Map(
      (
        (await em.query(`SELECT id_hmac, code FROM parties WHERE id_kind = 'RESIDENT_ID' AND id_hmac = ANY($1::text[])`, [members.flatMap((m) => m.id.lookup)])) as Array<{
          id_hmac: string;
          code: string;
        }>
      ).map((r) => [r.id_hmac, r.code]),
    );
    for (const m of members) {
      const code = m.id.lookup.map((hmac) => existing.get(hmac)).find((c) => c !== undefined);
      if (code !== undefined) {
        errors.push(rowError(m.row, header('idNumber'), `身份证号${m.id.masked}已登记为${code}`, `ID number ${m.id.masked} is already registered as party ${code}`));
      }
    }
    if (errors.length > 0) return { ok: false, errors: byRow(errors) };

    await this.ledger.ensureAsset(em, WALLET_ASSET);
    const householdIds = await this.insertParties(
      em,
      households.map((h) => ({
        code: h.code,
        kind: 'HOUSEHOLD',
        name: `${h.headName}户`,
        regionId: collective.region_id,
        id: null,
        phone: null,
        householdId: null,
        collectiveId: collective.id,
        metadata: { householdNo: h.householdNo, headName: h.headName },
      })),
    );
    const villagerCodes = await this.allocateCodes(em, PARTY_CODE_PREFIX.VILLAGER, members.length);
    await this.insertParties(
      em,
      members.map((m, i) => ({
        code: villagerCodes[i],
        kind: 'VILLAGER',
        name: m.name,
        regionId: collective.region_id,
        id: m.id,
        phone: m.phone ?? null,
        householdId: householdIds.get(m.household.code) ?? null,
        collectiveId: collective.id,
        metadata: { householdNo: m.household.householdNo, relation: m.relation },
      })),
    );
    for (const h of households) await this.openWallet(em, h.code, `${h.headName}户`);
    for (const [i, m] of members.entries()) await this.openWallet(em, villagerCodes[i], m.name);
    return { ok: true, collectiveCode, households: households.length, villagers: members.length };
  }

  // ---------------------------------------------------------------- villager login

  /** Creates the party's VILLAGER user with this PIN, or sets a new PIN on the existing one. */
  async setVillagerPin(em: EntityManager, partyCode: string, pin: string): Promise<{ userId: string; created: boolean }> {
    if (typeof pin !== 'string' || !PIN_PATTERN.test(pin)) throw new PartyError('VALIDATION_FAILED', 'pin must be 6 digits', 'pin');
    const party = await this.row(em, partyCode, 'FOR UPDATE OF p');
    if (party.kind !== 'VILLAGER') throw new PartyError('PARTY_LINK', `${partyCode} is a ${party.kind}; only a VILLAGER signs in with a PIN`, 'code');
    if (!party.active) throw new PartyError('PARTY_INACTIVE', `${partyCode} is deactivated`, 'code');
    const [user] = (await em.query(`SELECT id FROM users WHERE party_id = $1 AND role = 'VILLAGER' FOR UPDATE`, [party.id])) as Array<{ id: string }>;
    if (user) {
      await em.query(`UPDATE users SET pin_hash = $2 WHERE id = $1`, [user.id, await argon2.hash(pin)]);
      return { userId: user.id, created: false };
    }
    const created = await this.access.createUser(em, { displayName: party.name, role: 'VILLAGER', pin, partyId: party.id });
    return { userId: created.id, created: true };
  }
}
