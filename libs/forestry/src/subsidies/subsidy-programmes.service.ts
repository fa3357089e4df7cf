import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, Dec, formatDecimal, LedgerError, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { walletOf, WALLET_ASSET } from '../parties/parties.service';
import { partiesByCodes, partiesByIds } from '../parties/party-refs';
import { businessToday, PLATFORM_ACCOUNTS } from '../projects/project-accounts';
import { regionsByCodes, regionsByIds } from '../regions/region-refs';
import {
  insertNextRule,
  insertProgramme,
  insertProgrammeRegions,
  ProgrammeRow,
  ruleView,
  RuleView,
  selectProgramme,
  selectProgrammeRegions,
  selectProgrammes,
  selectRules,
} from './programmes.store';
import { SubsidyError } from './subsidies.errors';
import { programmeAccounts, programmeClawbackPending, programmeReserved, programmeWallet } from './subsidy-accounts';
import { subsidyDate, subsidyText } from './subsidy-input';
import { SubsidyActor } from './subsidy.model';
import { InstalmentTerm, RATE_BASES, RateBasis, RecipientShare, ruleProblem, RuleTerms, TransferMode } from './subsidy-rules';
import { requireRole } from '@forest-ledger/access';
import { SUBSIDY_POLICIES } from './subsidy-policies';

export type { RuleView } from './programmes.store';

export const PROGRAMME_CODE_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,39}$/;
const RATE_SCALE = 6;

export interface CreateProgrammeInput {
  code: string;
  name: string;
  /** A GOVERNMENT_FUND party: the budget comes from its wallet. */
  fundingPartyCode: string;
  /** A county (all its townships) or townships. */
  regionCodes: string[];
}

export interface RuleInput {
  effectiveFrom: string;
  rateBasis: RateBasis;
  rate: string;
  capPerContract?: string | null;
  capPerRecipientPerYear?: string | null;
  minTermYears: number;
  minAreaMu: string;
  modes?: TransferMode[];
  transferorKinds?: string[];
  transfereeKinds?: string[];
  recipients: RecipientShare[];
  instalments: InstalmentTerm[];
  clawbackRate: string;
}

export interface ProgrammeView {
  code: string;
  name: string;
  fundingParty: { code: string; name: string };
  regions: Array<{ code: string; name: string; level: string }>;
  rules: RuleView[];
  accounts: { wallet: string; reserved: string; clawbackPending: string };
  /** Every top-up so far. */
  budget: string;
  /** Not yet committed to a claim: what approvals may still reserve. */
  available: string;
  /** Approved, not yet paid. */
  reserved: string;
  paid: string;
  clawbackPending: string;
}

function invalidRule(message: string, field: string): SubsidyError {
  return new SubsidyError('INVALID_RULE', message, field);
}

function share(value: unknown, field: string): string {
  const d = Amount.parse(value, RATE_SCALE, field).value;
  if (d.greaterThan(1)) throw invalidRule(`${field} must lie between 0 and 1; got ${String(value)}`, field);
  return d.toString();
}

function kinds(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalidRule(`${field} must be a list of party kinds`, field);
  return [...new Set(value as string[])];
}

/**
 * Subsidy programmes, their versioned rules and their budget (林权流转奖补, DOMAIN.md §6). Every write
 * runs in the caller's transaction (`em`); the top-up's entry key derives from the command's key.
 */
@Injectable()
export class SubsidyProgrammesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly reads: LedgerReads,
  ) {}

  async createProgramme(em: EntityManager, input: CreateProgrammeInput): Promise<ProgrammeView> {
    const code = subsidyText(input.code, 'code', 40, 'INVALID_PROGRAMME');
    if (!PROGRAMME_CODE_PATTERN.test(code)) throw new SubsidyError('INVALID_PROGRAMME', 'code must be 1-40 of capital letters, digits, ".", "_", "-"', 'code');
    const name = subsidyText(input.name, 'name', 200, 'INVALID_PROGRAMME');
    const fund = (await partiesByCodes(em, [input.fundingPartyCode])).get(input.fundingPartyCode);
    if (!fund) throw new SubsidyError('INVALID_PROGRAMME', `no party with code ${JSON.stringify(input.fundingPartyCode)}`, 'fundingPartyCode');
    if (fund.kind !== 'GOVERNMENT_FUND')
      throw new SubsidyError('WRONG_PARTY_KIND', `the funding party must be a GOVERNMENT_FUND; ${fund.code} is a ${fund.kind}`, 'fundingPartyCode');
    if (!Array.isArray(input.regionCodes) || input.regionCodes.length === 0)
      throw new SubsidyError('INVALID_PROGRAMME', 'regionCodes must name a county or townships', 'regionCodes');
    const regions = await regionsByCodes(em, input.regionCodes);
    for (const rc of input.regionCodes) {
      const region = regions.get(rc);
      if (!region) throw new SubsidyError('INVALID_PROGRAMME', `no region with code ${JSON.stringify(rc)}`, 'regionCodes');
      if (region.level === 'VILLAGE') throw new SubsidyError('INVALID_PROGRAMME', `region ${rc} is a village: give its county or township`, 'regionCodes');
    }
    const id = await insertProgramme(em, { code, name, fundingPartyId: fund.id });
    if (id === null) throw new SubsidyError('PROGRAMME_EXISTS', `a programme with code ${code} exists already`, 'code');
    await insertProgrammeRegions(
      em,
      id,
      [...regions.values()].map((r) => r.id),
    );
    await this.ledger.ensureAsset(em, WALLET_ASSET);
    for (const account of [...PLATFORM_ACCOUNTS, ...programmeAccounts(code)]) await this.ledger.ensureAccount(em, account);
    return this.getProgramme(code, em);
  }

  /** Adds the next rule version, in force from its date. Versions are never edited: a change is a new version. */
  async addRule(em: EntityManager, programmeCode: string, input: RuleInput, actor: SubsidyActor): Promise<RuleView> {
    requireRole(actor, SUBSIDY_POLICIES.addRule, (m) => new SubsidyError('NOT_AN_APPROVER', m, 'role'));
    const programme = await this.loadProgramme(em, programmeCode, true);
    const effectiveFrom = subsidyDate(input.effectiveFrom, 'effectiveFrom', 'INVALID_RULE');
    if (!RATE_BASES.includes(input.rateBasis)) throw invalidRule(`rateBasis must be one of ${RATE_BASES.join(', ')}`, 'rateBasis');
    const rate = Amount.parse(input.rate, input.rateBasis === 'PER_MU' ? RATE_SCALE : 2, 'rate').value.toString();
    const cap = (v: string | null | undefined, field: string) => (v === undefined || v === null ? null : Amount.parse(v, 2, field).value.toFixed(2));
    const terms: RuleTerms = {
      version: 0,
      effectiveFrom,
      rateBasis: input.rateBasis,
      rate,
      capPerContract: cap(input.capPerContract, 'capPerContract'),
      capPerRecipientPerYear: cap(input.capPerRecipientPerYear, 'capPerRecipientPerYear'),
      minTermYears: input.minTermYears,
      minAreaMu: Amount.parse(input.minAreaMu, 4, 'minAreaMu').value.toFixed(4),
      modes: input.modes ?? [],
      transferorKinds: kinds(input.transferorKinds, 'transferorKinds'),
      transfereeKinds: kinds(input.transfereeKinds, 'transfereeKinds'),
      recipients: Array.isArray(input.recipients) ? input.recipients.map((r, i) => ({ role: r.role, share: share(r.share, `recipients[${i}].share`) })) : [],
      instalments: Array.isArray(input.instalments)
        ? input.instalments.map((r, i) => ({ share: share(r.share, `instalments[${i}].share`), afterContractYears: r.afterContractYears }))
        : [],
      clawbackRate: share(input.clawbackRate, 'clawbackRate'),
    };
    const problem = ruleProblem(terms);
    if (problem) throw invalidRule(problem[1], problem[0]);
    const row = await insertNextRule(em, programme.id, terms, actor.userId);
    if (!row)
      throw new SubsidyError('RULE_VERSION_EXISTS', `programme ${programmeCode} has a rule version from ${effectiveFrom} already: add one from another date`, 'effectiveFrom');
    return { ...terms, id: row.id, version: row.version };
  }

  /** Moves budget from the funding party's wallet into the programme's wallet (one entry). */
  async topUp(
    em: EntityManager,
    programmeCode: string,
    input: { amount: string; effectiveDate?: string; memo?: string },
    key: string,
  ): Promise<{ entryId: string; available: string; replayed: boolean }> {
    const programme = await this.loadProgramme(em, programmeCode);
    const amount = Amount.parsePositive(input.amount, 2, 'amount').value.toFixed(2);
    const effectiveDate = input.effectiveDate === undefined ? businessToday() : subsidyDate(input.effectiveDate, 'effectiveDate', 'INVALID_PROGRAMME');
    const fundingCode = (await partiesByIds(em, [programme.funding_party_id])).get(programme.funding_party_id)!.code;
    await this.ledger.ensureAccount(em, {
      code: walletOf(fundingCode),
      asset: 'CNY',
      type: 'LIABILITY',
      ownerRef: `party:${fundingCode}`,
      noOverdraft: true,
    });
    const posted = await this.ledger.post(em, {
      idempotencyKey: `subsidy-topup:${key}`,
      kind: 'SUBSIDY_BUDGET_TOPUP',
      effectiveDate,
      memo: input.memo ?? `${programme.name} 预算拨入 ${amount} 元`,
      metadata: { programme: programme.code },
      postings: [
        { account: walletOf(fundingCode), side: 'DEBIT', amount },
        { account: programmeWallet(programme.code), side: 'CREDIT', amount },
      ],
    });
    const available = posted.balances.find((b) => b.account === programmeWallet(programme.code))?.balance ?? '0.00';
    return { entryId: posted.entry.id, available, replayed: posted.replayed };
  }

  async getProgramme(code: string, em: EntityManager = this.dataSource.manager): Promise<ProgrammeView> {
    const [view] = await this.programmeViews(em, [await this.loadProgramme(em, code)]);
    return view;
  }

  /** Programmes by code, at most `limit`, with their regions, rules and budget figures (a few queries whatever their number). */
  async listProgrammes(limit: number, em: EntityManager = this.dataSource.manager): Promise<ProgrammeView[]> {
    return this.programmeViews(em, await selectProgrammes(em, limit));
  }

  /** The programme's row; `lock` takes it FOR UPDATE. 404 UNKNOWN_PROGRAMME when absent. */
  async loadProgramme(em: EntityManager, code: string, lock = false): Promise<ProgrammeRow> {
    const row = await selectProgramme(em, code, lock);
    if (!row) throw new SubsidyError('UNKNOWN_PROGRAMME', `no subsidy programme with code ${JSON.stringify(code)}`, 'programme');
    return row;
  }

  /** The views of programmes in their order: funding parties, regions, rules, top-ups and payments, balances. */
  private async programmeViews(em: EntityManager, programmes: ProgrammeRow[]): Promise<ProgrammeView[]> {
    if (programmes.length === 0) return [];
    const ids = programmes.map((p) => p.id);
    const funds = await partiesByIds(
      em,
      programmes.map((p) => p.funding_party_id),
    );
    const links = await selectProgrammeRegions(em, ids);
    const regions = await regionsByIds(
      em,
      links.map((l) => l.region_id),
    );
    const rules = await selectRules(em, ids);
    const wallets = programmes.map((p) => programmeWallet(p.code));
    const reserved = programmes.map((p) => programmeReserved(p.code));
    // Budget: top-ups credited to the wallet; paid: payments debited from the reserved account.
    const toppedUp = await this.reads.postingSums(em, wallets, { kinds: ['SUBSIDY_BUDGET_TOPUP'], side: 'CREDIT' });
    const paidOut = await this.reads.postingSums(em, reserved, { kinds: ['SUBSIDY_PAYMENT'], side: 'DEBIT' });
    const balances = await this.reads.balances(em, [...wallets, ...reserved, ...programmes.map((p) => programmeClawbackPending(p.code))]);
    const balance = (account: string): string => {
      const value = balances.get(account);
      if (value === undefined) throw new LedgerError('UNKNOWN_ACCOUNT', `no account with code ${JSON.stringify(account)}`, 'account');
      return formatDecimal(value, 2);
    };
    return programmes.map((programme) => {
      const code = programme.code;
      const fund = funds.get(programme.funding_party_id)!;
      return {
        code,
        name: programme.name,
        fundingParty: { code: fund.code, name: fund.name },
        regions: links
          .filter((l) => l.programme_id === programme.id)
          .map((l) => regions.get(l.region_id)!)
          .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
          .map((r) => ({ code: r.code, name: r.name, level: r.level })),
        rules: rules.filter((r) => r.programme_id === programme.id).map(ruleView),
        accounts: { wallet: programmeWallet(code), reserved: programmeReserved(code), clawbackPending: programmeClawbackPending(code) },
        budget: new Dec(toppedUp.get(programmeWallet(code)) ?? 0).toFixed(2),
        available: balance(programmeWallet(code)),
        reserved: balance(programmeReserved(code)),
        paid: new Dec(paidOut.get(programmeReserved(code)) ?? 0).toFixed(2),
        clawbackPending: balance(programmeClawbackPending(code)),
      };
    });
  }
}
