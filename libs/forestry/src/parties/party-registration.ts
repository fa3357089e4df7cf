import { LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { checkPartyId } from '../imports/cell-values';
import { maskMobile, maskResidentId } from './identity-codes';
import { MOBILE, normalisePhone } from './roster-import';
import { PartyError } from './parties.errors';
import { PartyInsert, partiesStore } from './parties.store';
import { IdKind, PartyKind } from './party.model';
import { PiiCipher } from './pii';

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

export const WALLET_ASSET = { code: 'CNY', scale: 2, description: '人民币 (分)' };
export const walletOf = (partyCode: string): string => `party:${partyCode}:wallet:CNY`;
export const ownerRefOf = (partyCode: string): string => `party:${partyCode}`;

export interface SealedId {
  kind: IdKind;
  /** Under the newest key: what is stored. */
  hmac: string;
  /** Under every configured key, newest first: what an existing party may be stored under while keys rotate. */
  lookup: string[];
  cipher: string;
  masked: string;
}

/**
 * What registering a party takes, shared by the single create and the roster import: the sealed ID
 * number, a free code, the row, and the CNY wallet opened in the same transaction.
 */
export class PartyRegistration {
  constructor(
    private readonly ledger: LedgerService,
    private readonly ledgerReads: LedgerReads,
    private readonly pii: PiiCipher,
  ) {}

  /** Validates and normalises the ID number for the kind; returns it sealed (HMAC, ciphertext, masked). */
  sealId(kind: PartyKind, idNumber: string | undefined): SealedId | null {
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

  /** Validates a mobile number (11-digit mainland, spaces, hyphens and +86 allowed); returns it sealed with its masked copy. */
  sealMobile(text: string | null | undefined, field = 'mobile'): { cipher: string; masked: string } | null {
    if (text === undefined || text === null || text.trim() === '') return null;
    const digits = normalisePhone(text);
    if (!MOBILE.test(digits))
      throw new PartyError('VALIDATION_FAILED', `${field} must be an 11-digit mainland mobile number starting with 1 (spaces, hyphens and +86 allowed)`, field);
    return { cipher: this.pii.encrypt(digits), masked: maskMobile(digits) };
  }

  seal(kind: IdKind, normalised: string): SealedId {
    const lookup = this.pii.hmacCandidates(kind, normalised);
    return { kind, hmac: lookup[0], lookup, cipher: this.pii.encrypt(normalised), masked: maskResidentId(normalised) };
  }

  /**
   * Next free codes `<prefix>-0001` … from the highest existing one, under a transaction-scoped advisory
   * lock per prefix: concurrent creators of one kind queue here, so two never draw the same number.
   * Numbers whose owner reference already has ledger accounts (e.g. loaded demo data) are skipped.
   */
  async allocateCodes(em: EntityManager, prefix: string, count: number): Promise<string[]> {
    await partiesStore.lockCodePrefix(em, prefix);
    const codes: string[] = [];
    let next = (await partiesStore.maxCodeNumber(em, prefix)) + 1;
    while (codes.length < count) {
      const candidates = Array.from({ length: count - codes.length }, (_, i) => `${prefix}-${String(next + i).padStart(4, '0')}`);
      next += candidates.length;
      const used = await this.ledgerReads.ownerRefsInUse(em, candidates.map(ownerRefOf));
      codes.push(...candidates.filter((c) => !used.has(ownerRefOf(c))));
    }
    return codes;
  }

  /** Of these codes, those taken by a party or by an owner of ledger accounts. */
  async takenCodes(em: EntityManager, codes: string[]): Promise<Set<string>> {
    const parties = await partiesStore.existingCodes(em, codes);
    const owners = await this.ledgerReads.ownerRefsInUse(em, codes.map(ownerRefOf));
    return new Set(codes.filter((c) => parties.has(c) || owners.has(ownerRefOf(c))));
  }

  /** Refuses codes that are taken by a party or that already own ledger accounts. */
  async assertCodesFree(em: EntityManager, codes: string[]): Promise<void> {
    const set = await this.takenCodes(em, codes);
    const first = codes.find((c) => set.has(c));
    if (first !== undefined) throw new PartyError('PARTY_EXISTS', `party code ${first} is already taken`, 'code', { existingCode: first });
  }

  /** One statement for any number of rows; a unique-key race (code or ID number) becomes PARTY_EXISTS. */
  async insert(em: EntityManager, rows: PartyInsert[]): Promise<Map<string, string>> {
    const inserted = await partiesStore.insertMany(em, rows);
    if (inserted.size !== rows.length) {
      const lost = rows.find((r) => !inserted.has(r.code));
      throw new PartyError('PARTY_EXISTS', `a party with code ${lost?.code ?? '?'} or its ID number was registered concurrently; retry`, 'code');
    }
    return inserted;
  }

  async ensureWalletAsset(em: EntityManager): Promise<void> {
    await this.ledger.ensureAsset(em, WALLET_ASSET);
  }

  /** The party's CNY wallet: credit-normal (what the platform owes the party), never overdrawn. */
  async openWallet(em: EntityManager, code: string, name: string): Promise<void> {
    await this.ledger.openAccount(em, { code: walletOf(code), asset: WALLET_ASSET.code, type: 'LIABILITY', ownerRef: ownerRefOf(code), noOverdraft: true, metadata: { name } });
  }
}
