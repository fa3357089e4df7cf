import { AccessService, ApprovalsService, ApprovalFilter, ApprovalView, AuthUser, OwnerScope, PIN_PATTERN, requireRole } from '@forest-ledger/access';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { RegionLevel } from '../regions/region.model';
import { REGION_CODE_PATTERN, RegionRecord, RegionsService } from '../regions/regions.service';
import { selectRegionIdsUnder, selectRegionsByIds } from '../regions/regions.store';
import { PartyError } from './parties.errors';
import { PartyRow, partiesStore } from './parties.store';
import { PartyDeactivation } from './party-deactivation';
import { ownerRefOf, PARTY_CODE_PATTERN, PARTY_CODE_PREFIX, PartyRegistration, walletOf } from './party-registration';
import { PartyRoster, RosterImportOutcome } from './party-roster';
import { IdKind, PARTY_KINDS, PartyKind } from './party.model';
import { PiiCipher } from './pii';
import { PARTY_POLICIES } from './party-policies';

export { DEACTIVATE_PARTY } from './party-deactivation';
export { ownerRefOf, PARTY_CODE_PATTERN, PARTY_CODE_PREFIX, PARTY_ID_RULES, WALLET_ASSET, walletOf } from './party-registration';
export type { RosterImportOutcome } from './party-roster';
export type { ApprovalFilter, ApprovalView } from '@forest-ledger/access';

/** Kinds that live in a village (and whose region must therefore be a VILLAGE). */
const VILLAGE_KINDS: ReadonlySet<PartyKind> = new Set<PartyKind>(['COLLECTIVE', 'HOUSEHOLD', 'VILLAGER']);

const MAX_NAME = 200;
const MAX_REASON = 500;

export interface CreatePartyInput {
  kind: PartyKind;
  name: string;
  /** Generated from the kind's prefix and a sequence when absent (V-0001, V-0002 …). */
  code?: string;
  /** Required (a VILLAGE) for collectives; households and villagers default to their collective's / household's village. */
  regionCode?: string;
  /** Resident ID number (persons) or unified social credit code (organisations); see PARTY_ID_RULES. */
  idNumber?: string;
  /** A mainland mobile number (for the villagers' SMS): sealed at rest like the ID number, shown masked. */
  mobile?: string;
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
  /** The mobile number masked (138****3550); never shown in full. */
  mobileMasked: string | null;
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

const unknownParty = (code: string, field = 'code') => new PartyError('UNKNOWN_PARTY', `no party with code ${JSON.stringify(code)}`, field);

/** Only the party itself for a scoped caller (FARM_OPERATOR, BUYER, VILLAGER); everything for staff. */
function visible(code: string, scope: OwnerScope): boolean {
  return scope === null || scope.ownerRefs.includes(ownerRefOf(code));
}

/**
 * Parties: organisations and persons, real-name registered. ID numbers are stored as an HMAC (lookup,
 * uniqueness), AES-GCM ciphertext (the audited admin reveal) and a masked copy (display), never in clear.
 * Creating a party opens its CNY wallet in the same transaction. Parties are never deleted;
 * deactivation goes through maker-checker (PartyDeactivation) and freezes the wallet; rosters import
 * through PartyRoster. Every write takes the caller's EntityManager (one transaction per use case).
 */
@Injectable()
export class PartiesService {
  private readonly registration: PartyRegistration;
  private readonly roster: PartyRoster;
  private readonly deactivation: PartyDeactivation;
  private readonly approvals: ApprovalsService;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    ledger: LedgerService,
    private readonly pii: PiiCipher,
    private readonly access: AccessService,
    private readonly regions: RegionsService = new RegionsService(dataSource),
  ) {
    this.registration = new PartyRegistration(ledger, new LedgerReads(), pii);
    this.roster = new PartyRoster(this.registration);
    this.approvals = new ApprovalsService(dataSource);
    this.deactivation = new PartyDeactivation(ledger, access, this.approvals);
  }

  // ---------------------------------------------------------------- create

  async create(em: EntityManager, input: CreatePartyInput): Promise<PartyView> {
    if (!PARTY_KINDS.includes(input.kind)) throw new PartyError('VALIDATION_FAILED', `kind must be one of ${PARTY_KINDS.join(', ')}`, 'kind');
    const name = this.checkName(input.name);
    if (input.code !== undefined && !PARTY_CODE_PATTERN.test(input.code)) {
      throw new PartyError('VALIDATION_FAILED', 'code must be 1-48 of upper-case letters, digits, ".", "_", "-", starting with a letter or digit', 'code');
    }
    const mobile = this.registration.sealMobile(input.mobile);
    const links = await this.resolveLinks(em, input);
    const region = await this.resolveRegion(em, input, links.regionId);
    const id = this.registration.sealId(input.kind, input.idNumber);
    if (id) {
      const [existing] = await partiesStore.codesByIdHmacs(em, id.kind, id.lookup);
      if (existing) throw new PartyError('PARTY_EXISTS', `a party with this ID number is already registered (${existing.code})`, 'idNumber', { existingCode: existing.code });
    }
    let code: string;
    if (input.code !== undefined) {
      code = input.code;
      await this.registration.assertCodesFree(em, [code]);
    } else {
      [code] = await this.registration.allocateCodes(em, PARTY_CODE_PREFIX[input.kind], 1);
    }
    await this.registration.insert(em, [
      { code, kind: input.kind, name, regionId: region?.id ?? null, id, mobile, householdId: links.householdId, collectiveId: links.collectiveId, metadata: input.metadata ?? {} },
    ]);
    await this.registration.ensureWalletAsset(em);
    await this.registration.openWallet(em, code, name);
    return this.view(em, code);
  }

  private checkName(name: unknown, field = 'name'): string {
    const clean = typeof name === 'string' ? name.normalize('NFKC').trim() : '';
    if (clean === '' || clean.length > MAX_NAME) throw new PartyError('VALIDATION_FAILED', `${field} must be 1-${MAX_NAME} characters`, field);
    return clean;
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
    const row = await partiesStore.byCode(em, code, 'FOR SHARE');
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

  // ---------------------------------------------------------------- reads

  /** 404 for a party the caller may not see, never 403: a scoped caller cannot probe other codes. */
  /** Sets (or, with null, removes) a party's mobile number: validated, sealed, shown masked (issue 17's SMS). */
  async setMobile(em: EntityManager, code: string, mobile: string | null): Promise<PartyView> {
    const row = await this.row(em, code, 'FOR UPDATE');
    await partiesStore.setMobile(em, row.id, mobile === null ? null : this.registration.sealMobile(mobile));
    return this.view(em, code);
  }

  async get(code: string, scope: OwnerScope, em: EntityManager = this.dataSource.manager): Promise<PartyView> {
    if (!visible(code, scope)) throw unknownParty(code);
    return this.view(em, code);
  }

  /** Keyset pages by code. A scoped caller's list holds at most their own party. */
  async list(filter: PartyFilter, scope: OwnerScope): Promise<{ items: PartyView[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 500);
    let regionIds: string[] | undefined;
    if (filter.regionCode !== undefined) {
      if (!REGION_CODE_PATTERN.test(filter.regionCode)) throw new PartyError('VALIDATION_FAILED', 'regionCode must be a 6, 9 or 12 digit region code', 'regionCode');
      regionIds = await selectRegionIdsUnder(this.dataSource.manager, filter.regionCode);
    }
    const rows = await partiesStore.list(this.dataSource.manager, {
      codes: scope === null ? undefined : scope.ownerRefs.flatMap((ref) => (ref.startsWith('party:') ? [ref.slice('party:'.length)] : [])),
      kind: filter.kind,
      regionIds,
      collectiveCode: filter.collectiveCode,
      householdCode: filter.householdCode,
      active: filter.active,
      after: filter.after,
      limit: limit + 1,
    });
    const items = await this.views(this.dataSource.manager, rows.slice(0, limit));
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].code : null };
  }

  /** Rows as views, their regions asked of the regions store. */
  private async views(em: EntityManager, rows: PartyRow[]): Promise<PartyView[]> {
    const regions = new Map(
      (
        await selectRegionsByIds(
          em,
          rows.flatMap((r) => (r.region_id === null ? [] : [r.region_id])),
        )
      ).map((r) => [r.id, r]),
    );
    return rows.map((row) => {
      const region = row.region_id === null ? undefined : regions.get(row.region_id);
      return {
        code: row.code,
        kind: row.kind,
        name: row.name,
        region: region ? { code: region.code, name: region.name, level: region.level } : null,
        idKind: row.id_kind,
        idNumberMasked: row.id_masked,
        mobileMasked: row.mobile_masked,
        householdCode: row.household_code,
        collectiveCode: row.collective_code,
        active: row.active,
        deactivatedAt: row.deactivated_at ? row.deactivated_at.toISOString() : null,
        metadata: row.metadata,
        walletAccount: walletOf(row.code),
        createdAt: row.created_at.toISOString(),
      };
    });
  }

  private async view(em: EntityManager, code: string): Promise<PartyView> {
    return (await this.views(em, [await this.row(em, code)]))[0];
  }

  private async row(em: EntityManager, code: string, lock: 'FOR UPDATE' | null = null): Promise<PartyRow> {
    const row = await partiesStore.byCode(em, code, lock);
    if (!row) throw unknownParty(code);
    return row;
  }

  // ---------------------------------------------------------------- the audited reveal

  /** The full ID number, for an ADMIN giving a reason; the access is logged in the same transaction. */
  async revealId(em: EntityManager, code: string, user: AuthUser, reason: string): Promise<{ code: string; idKind: IdKind; idNumber: string }> {
    requireRole(user, PARTY_POLICIES.revealId, (m) => new PartyError('FORBIDDEN', m, 'role'));
    const why = typeof reason === 'string' ? reason.normalize('NFKC').trim() : '';
    if (why === '' || why.length > MAX_REASON) throw new PartyError('VALIDATION_FAILED', `reason must be 1-${MAX_REASON} characters`, 'reason');
    const row = await partiesStore.sealedId(em, code);
    if (!row) throw unknownParty(code);
    if (row.id_kind === null || row.id_cipher === null) throw new PartyError('PARTY_HAS_NO_ID', `party ${code} has no ID number on record`, 'code');
    await partiesStore.logPiiAccess(em, row.id, user.userId, why);
    return { code, idKind: row.id_kind, idNumber: this.pii.decrypt(row.id_cipher) };
  }

  // ---------------------------------------------------------------- deactivation (maker-checker), roster import

  requestDeactivation(em: EntityManager, code: string, user: AuthUser, reason?: string): Promise<ApprovalView> {
    return this.deactivation.request(em, code, user, reason);
  }

  decide(em: EntityManager, approvalId: string, user: AuthUser, approve: boolean): Promise<ApprovalView> {
    return this.deactivation.decide(em, approvalId, user, approve);
  }

  listApprovals(filter: ApprovalFilter = {}): Promise<{ items: ApprovalView[]; nextBefore: string | null }> {
    return this.approvals.list(filter);
  }

  importRoster(em: EntityManager, collectiveCode: string, buffer: Buffer, fileName: string, options: { today?: string } = {}): Promise<RosterImportOutcome> {
    return this.roster.importRoster(em, collectiveCode, buffer, fileName, options);
  }

  // ---------------------------------------------------------------- villager login

  /** Creates the party's VILLAGER user with this PIN, or sets a new PIN on the existing one. */
  async setVillagerPin(em: EntityManager, partyCode: string, pin: string): Promise<{ userId: string; created: boolean }> {
    if (typeof pin !== 'string' || !PIN_PATTERN.test(pin)) throw new PartyError('VALIDATION_FAILED', 'pin must be 6 digits', 'pin');
    const party = await this.row(em, partyCode, 'FOR UPDATE');
    if (party.kind !== 'VILLAGER') throw new PartyError('PARTY_LINK', `${partyCode} is a ${party.kind}; only a VILLAGER signs in with a PIN`, 'code');
    if (!party.active) throw new PartyError('PARTY_INACTIVE', `${partyCode} is deactivated`, 'code');
    return this.access.setVillagerPin(em, party.id, party.name, pin);
  }
}
