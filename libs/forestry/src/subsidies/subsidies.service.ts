import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, balanceOf, Dec, EntryDraft, formatDecimal, LedgerError, LedgerService, PostingDraft, PostResult } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import type { Role } from '../access/access.entities';
import { partyRefs } from '../projects/party-refs';
import { BANK_CLEARING_ACCOUNT, businessToday, PLATFORM_ACCOUNTS } from '../projects/project-accounts';
import { walletOf, WALLET_ASSET } from '../parties/parties.service';
import { SubsidyError } from './subsidies.errors';
import { programmeAccounts, programmeClawbackPending, programmeReceivable, programmeReserved, programmeWallet, receivableAccount } from './subsidy-accounts';
import { ClaimState, InstalmentState } from './subsidy.model';
import {
  calculateSubsidy,
  Calculation,
  clawback,
  ClawbackResult,
  EligibilityReason,
  evaluateEligibility,
  instalmentSchedule,
  InstalmentTerm,
  RATE_BASES,
  RateBasis,
  RecipientRole,
  RecipientShare,
  ruleInForce,
  ruleProblem,
  RuleTerms,
  TransferMode,
} from './subsidy-rules';
import { ContractRecord, subsidyDate, subsidyText, TransferContractsService } from './transfer-contracts.service';

export const PROGRAMME_CODE_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,39}$/;
const RATE_SCALE = 6;

/** Who acts: the user id and role the API authenticated (the library trusts the caller for both). */
export interface SubsidyActor {
  userId: string;
  role: Role;
}

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

export interface RuleView extends RuleTerms {
  id: string;
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

export interface RecipientView {
  party: string;
  role: RecipientRole;
  amount: string;
  paid: string;
  clawback: string | null;
  recovered: string;
  outstanding: string;
}

export interface InstalmentView {
  id: string;
  seq: number;
  dueDate: string;
  amount: string;
  state: InstalmentState;
  splits: Array<{ party: string; amount: string }>;
  entryId: string | null;
  paidOn: string | null;
}

export interface ClaimView {
  id: string;
  programme: string;
  contract: string;
  state: ClaimState;
  rule: { id: string; version: number; effectiveFrom: string } | null;
  eligible: boolean;
  eligibility: EligibilityReason[];
  calculation: Calculation | null;
  amount: string;
  appliedBy: string;
  approvedBy: string | null;
  approvedOn: string | null;
  /** Set when an approver rejected the claim (state REJECTED). */
  rejectedBy: string | null;
  rejectedOn: string | null;
  rejectionReason: string | null;
  reserveEntryId: string | null;
  recipients: RecipientView[];
  instalments: InstalmentView[];
  clawback: { amount: string; entryId: string | null; calculation: ClawbackResult } | null;
}

export interface TerminationOutcome {
  contract: string;
  terminatedOn: string;
  claims: ClaimView[];
}

export interface DuePaymentsReport {
  asOf: string;
  paid: Array<{ claimId: string; seq: number; entryId: string }>;
  refused: Array<{ claimId: string; seq: number; code: string; message: string }>;
}

interface ProgrammeRow {
  id: string;
  code: string;
  name: string;
  funding_code: string;
  funding_name: string;
}

interface RuleRow {
  id: string;
  version: number;
  effective_from: string;
  rate_basis: RateBasis;
  rate: string;
  cap_per_contract: string | null;
  cap_per_recipient_per_year: string | null;
  min_term_years: number;
  min_area_mu: string;
  modes: TransferMode[];
  transferor_kinds: string[];
  transferee_kinds: string[];
  recipients: RecipientShare[];
  instalments: InstalmentTerm[];
  clawback_rate: string;
}

interface ClaimRow {
  id: string;
  programme_id: string;
  programme_code: string;
  contract_id: string;
  contract_code: string;
  rule_id: string | null;
  state: ClaimState;
  apply_key: string;
  eligibility: EligibilityReason[];
  calculation: Calculation | null;
  amount: string;
  applied_by: string;
  approved_by: string | null;
  approved_on: string | null;
  rejected_by: string | null;
  rejected_on: string | null;
  rejection_reason: string | null;
  rejection_key: string | null;
  reserve_entry_id: string | null;
  clawback_amount: string | null;
  clawback_entry_id: string | null;
  clawback_calculation: ClawbackResult | null;
}

const CLAIM_SELECT = `SELECT c.id, c.programme_id, p.code AS programme_code, c.contract_id, t.code AS contract_code, c.rule_id, c.state, c.apply_key, c.eligibility, c.calculation,
       c.amount::text AS amount, c.applied_by, c.approved_by, to_char(c.approved_on, 'YYYY-MM-DD') AS approved_on, c.reserve_entry_id,
       c.rejected_by, to_char(c.rejected_on, 'YYYY-MM-DD') AS rejected_on, c.rejection_reason, c.rejection_key,
       c.clawback_amount::text AS clawback_amount, c.clawback_entry_id, c.clawback_calculation
  FROM subsidy_claims c JOIN subsidy_programmes p ON p.id = c.programme_id JOIN transfer_contracts t ON t.id = c.contract_id`;

const PROGRAMME_SELECT = `SELECT p.id, p.code, p.name, f.code AS funding_code, f.name AS funding_name FROM subsidy_programmes p JOIN parties f ON f.id = p.funding_party_id`;

const RULE_SELECT = `SELECT id, programme_id, version, to_char(effective_from, 'YYYY-MM-DD') AS effective_from, rate_basis, rate::text AS rate, cap_per_contract::text AS cap_per_contract,
       cap_per_recipient_per_year::text AS cap_per_recipient_per_year, min_term_years, min_area_mu::text AS min_area_mu, modes, transferor_kinds, transferee_kinds,
       recipients, instalments, clawback_rate::text AS clawback_rate
  FROM subsidy_rules`;

/** States in which a claim's approved amount counts against the recipient's annual cap. */
const COUNTED_STATES: ClaimState[] = ['APPROVED', 'COMPLETED', 'CLAWBACK_DUE', 'RECOVERED'];

function ruleTerms(row: RuleRow): RuleView {
  return {
    id: row.id,
    version: row.version,
    effectiveFrom: row.effective_from,
    rateBasis: row.rate_basis,
    rate: new Dec(row.rate).toString(),
    capPerContract: row.cap_per_contract === null ? null : new Dec(row.cap_per_contract).toFixed(2),
    capPerRecipientPerYear: row.cap_per_recipient_per_year === null ? null : new Dec(row.cap_per_recipient_per_year).toFixed(2),
    minTermYears: row.min_term_years,
    minAreaMu: new Dec(row.min_area_mu).toFixed(4),
    modes: row.modes,
    transferorKinds: row.transferor_kinds,
    transfereeKinds: row.transferee_kinds,
    recipients: row.recipients,
    instalments: row.instalments,
    clawbackRate: new Dec(row.clawback_rate).toString(),
  };
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
 * Subsidy programmes, their versioned rules, claims, approvals, instalments and clawback
 * (林权流转奖补, DOMAIN.md §6). Every write runs in the caller's transaction (`em`) and posts its
 * ledger entries there; keys of entries derive from the command's key.
 *
 * Budget: approval moves the claim's amount from the programme wallet to its reserved account in one
 * entry, and both accounts are no-overdraft, so the ledger's row locks make concurrent approvals
 * serialise on the wallet and refuse whatever the budget cannot cover. Instalments are paid from
 * the reserved account.
 */
@Injectable()
export class SubsidiesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly contracts: TransferContractsService,
  ) {}

  // ---------------------------------------------------------------- programmes and rules

  async createProgramme(em: EntityManager, input: CreateProgrammeInput): Promise<ProgrammeView> {
    const code = subsidyText(input.code, 'code', 40, 'INVALID_PROGRAMME');
    if (!PROGRAMME_CODE_PATTERN.test(code)) throw new SubsidyError('INVALID_PROGRAMME', 'code must be 1-40 of capital letters, digits, ".", "_", "-"', 'code');
    const name = subsidyText(input.name, 'name', 200, 'INVALID_PROGRAMME');
    const fund = (await partyRefs(em, [input.fundingPartyCode])).get(input.fundingPartyCode);
    if (!fund) throw new SubsidyError('INVALID_PROGRAMME', `no party with code ${JSON.stringify(input.fundingPartyCode)}`, 'fundingPartyCode');
    if (fund.kind !== 'GOVERNMENT_FUND')
      throw new SubsidyError('WRONG_PARTY_KIND', `the funding party must be a GOVERNMENT_FUND; ${fund.code} is a ${fund.kind}`, 'fundingPartyCode');
    if (!Array.isArray(input.regionCodes) || input.regionCodes.length === 0)
      throw new SubsidyError('INVALID_PROGRAMME', 'regionCodes must name a county or townships', 'regionCodes');
    const regions = (await em.query(`SELECT id, code, level FROM regions WHERE code = ANY($1::text[])`, [input.regionCodes])) as Array<{ id: string; code: string; level: string }>;
    for (const rc of input.regionCodes) {
      const region = regions.find((r) => r.code === rc);
      if (!region) throw new SubsidyError('INVALID_PROGRAMME', `no region with code ${JSON.stringify(rc)}`, 'regionCodes');
      if (region.level === 'VILLAGE') throw new SubsidyError('INVALID_PROGRAMME', `region ${rc} is a village: give its county or township`, 'regionCodes');
    }
    const [row] = (await em.query(`INSERT INTO subsidy_programmes (code, name, funding_party_id) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING RETURNING id`, [
      code,
      name,
      fund.id,
    ])) as Array<{ id: string }>;
    if (!row) throw new SubsidyError('PROGRAMME_EXISTS', `a programme with code ${code} exists already`, 'code');
    await em.query(`INSERT INTO subsidy_programme_regions (programme_id, region_id) SELECT $1, unnest($2::bigint[])`, [row.id, regions.map((r) => r.id)]);
    await this.ledger.ensureAsset(em, WALLET_ASSET);
    for (const account of [...PLATFORM_ACCOUNTS, ...programmeAccounts(code)]) await this.ledger.ensureAccount(em, account);
    return this.getProgramme(code, em);
  }

  /** Adds the next rule version, in force from its date. Versions are never edited: a change is a new version. */
  async addRule(em: EntityManager, programmeCode: string, input: RuleInput, actor: SubsidyActor): Promise<RuleView> {
    const programme = await this.loadProgramme(em, programmeCode, true);
    if (actor.role !== 'ADMIN' && actor.role !== 'APPROVER') throw new SubsidyError('NOT_AN_APPROVER', 'only an ADMIN or APPROVER enters subsidy rules', 'role');
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
      modes: (input.modes ?? []) as TransferMode[],
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
    const [{ next }] = (await em.query(`SELECT COALESCE(MAX(version), 0) + 1 AS next FROM subsidy_rules WHERE programme_id = $1`, [programme.id])) as Array<{ next: number }>;
    const [row] = (await em.query(
      `INSERT INTO subsidy_rules (programme_id, version, effective_from, rate_basis, rate, cap_per_contract, cap_per_recipient_per_year, min_term_years, min_area_mu,
                                  modes, transferor_kinds, transferee_kinds, recipients, instalments, clawback_rate, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING RETURNING id`,
      [
        programme.id,
        next,
        effectiveFrom,
        terms.rateBasis,
        terms.rate,
        terms.capPerContract,
        terms.capPerRecipientPerYear,
        terms.minTermYears,
        terms.minAreaMu,
        terms.modes,
        terms.transferorKinds,
        terms.transfereeKinds,
        JSON.stringify(terms.recipients),
        JSON.stringify(terms.instalments),
        terms.clawbackRate,
        actor.userId,
      ],
    )) as Array<{ id: string }>;
    if (!row)
      throw new SubsidyError('RULE_VERSION_EXISTS', `programme ${programmeCode} has a rule version from ${effectiveFrom} already: add one from another date`, 'effectiveFrom');
    return { ...terms, id: row.id, version: Number(next) };
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
    await this.ledger.ensureAccount(em, {
      code: walletOf(programme.funding_code),
      asset: 'CNY',
      type: 'LIABILITY',
      ownerRef: `party:${programme.funding_code}`,
      noOverdraft: true,
    });
    const posted = await this.ledger.post(em, {
      idempotencyKey: `subsidy-topup:${key}`,
      kind: 'SUBSIDY_BUDGET_TOPUP',
      effectiveDate,
      memo: input.memo ?? `${programme.name} 预算拨入 ${amount} 元`,
      metadata: { programme: programme.code },
      postings: [
        { account: walletOf(programme.funding_code), side: 'DEBIT', amount },
        { account: programmeWallet(programme.code), side: 'CREDIT', amount },
      ],
    });
    return { entryId: posted.entry.id, available: this.balanceIn(posted, programmeWallet(programme.code)), replayed: posted.replayed };
  }

  async getProgramme(code: string, em: EntityManager = this.dataSource.manager): Promise<ProgrammeView> {
    const [view] = await this.programmeViews(em, [await this.loadProgramme(em, code)]);
    return view;
  }

  /** Programmes by code, at most `limit`, with their regions, rules and budget figures (five queries whatever their number). */
  async listProgrammes(limit: number, em: EntityManager = this.dataSource.manager): Promise<ProgrammeView[]> {
    const rows = (await em.query(`${PROGRAMME_SELECT} ORDER BY p.code LIMIT $1`, [limit])) as ProgrammeRow[];
    return this.programmeViews(em, rows);
  }

  // ---------------------------------------------------------------- claims

  /**
   * Applies for the subsidy of a contract under a programme. The rule version in force on the
   * contract's start date applies and is recorded; every eligibility check is recorded with its
   * outcome, and an ineligible claim is kept (state INELIGIBLE) to show which checks failed.
   * A repeat with the same key returns the first claim.
   */
  async apply(em: EntityManager, input: { programmeCode: string; contractCode: string; appliedOn?: string }, actor: SubsidyActor, key: string): Promise<ClaimView> {
    const replay = await this.claimByKey(em, key);
    if (replay) return this.sameClaim(replay, input, em);
    const programme = await this.loadProgramme(em, input.programmeCode);
    const contract = await this.contracts.load(em, input.contractCode);
    const appliedOn = input.appliedOn === undefined ? businessToday() : subsidyDate(input.appliedOn, 'appliedOn', 'INVALID_CLAIM');
    const { rule, eligibility, calculation } = await this.assess(em, programme, contract, Number(appliedOn.slice(0, 4)));
    const eligible = eligibility.every((r) => r.met);
    const [row] = (await em.query(
      `INSERT INTO subsidy_claims (programme_id, contract_id, rule_id, state, apply_key, eligibility, calculation, amount, applied_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING id`,
      [
        programme.id,
        contract.id,
        rule?.id ?? null,
        eligible ? 'APPLIED' : 'INELIGIBLE',
        key,
        JSON.stringify(eligibility),
        calculation ? JSON.stringify(calculation) : null,
        calculation?.total ?? '0.00',
        actor.userId,
      ],
    )) as Array<{ id: string }>;
    if (!row) {
      const raced = await this.claimByKey(em, key);
      if (raced) return this.sameClaim(raced, input, em);
      throw new SubsidyError(
        'CLAIM_EXISTS',
        `contract ${contract.code} has an open claim under programme ${programme.code} already (only an ineligible or rejected one allows another)`,
        'contractCode',
      );
    }
    return this.getClaim(row.id, em);
  }

  /**
   * Approves a claim: an APPROVER other than the applicant. Recomputes eligibility and the amount
   * (the annual cap counts approvals of the approval's year, under a per-recipient advisory lock),
   * reserves the amount from the programme wallet (refused, nothing written, when the budget is
   * short) and schedules the instalments.
   */
  async approve(em: EntityManager, claimId: string, input: { approvedOn?: string }, actor: SubsidyActor, key: string): Promise<ClaimView> {
    const entryKey = `subsidy-reserve:${key}`;
    if (actor.role !== 'APPROVER') throw new SubsidyError('NOT_AN_APPROVER', `approving a subsidy needs the APPROVER role; the caller is ${actor.role}`, 'role');
    // Contract before claim, the order a termination locks them in.
    const contract = await this.contracts.load(em, (await this.loadClaim(em, claimId)).contract_code, { lock: true });
    const claim = await this.loadClaim(em, claimId, true);
    if (claim.state !== 'APPLIED') {
      const [existing] = (await em.query(`SELECT id FROM ledger_entries WHERE idempotency_key = $1`, [entryKey])) as Array<{ id: string }>;
      if (existing && existing.id === claim.reserve_entry_id) return this.getClaim(claim.id, em);
      if (claim.state === 'INELIGIBLE') throw this.notEligible(claim.eligibility, claim.id);
      throw new SubsidyError('CLAIM_STATE', `claim ${claim.id} is ${claim.state}, not APPLIED`, 'claim');
    }
    if (claim.applied_by === actor.userId) throw new SubsidyError('SELF_APPROVAL', 'the applicant cannot approve their own claim: a second person must', 'claim');
    const approvedOn = input.approvedOn === undefined ? businessToday() : subsidyDate(input.approvedOn, 'approvedOn', 'INVALID_CLAIM');
    const programme = await this.loadProgramme(em, claim.programme_code);
    const parties = await partyRefs(em, [contract.transferor_code, contract.transferee_code]);
    // Under an annual cap per recipient, approvals for one recipient under one programme take turns
    // (the cap reads what was approved before). The budget needs no such lock: the ledger's is enough.
    const [{ capped }] = (await em.query(`SELECT EXISTS (SELECT 1 FROM subsidy_rules WHERE programme_id = $1 AND cap_per_recipient_per_year IS NOT NULL) AS capped`, [
      programme.id,
    ])) as Array<{ capped: boolean }>;
    if (capped) {
      const lockKeys = [...parties.values()].map((p) => `subsidy-cap:${programme.id}:${p.id}`).sort();
      for (const k of lockKeys) await em.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [k]);
    }
    const year = Number(approvedOn.slice(0, 4));
    const { rule, eligibility, calculation } = await this.assess(em, programme, contract, year);
    if (!eligibility.every((r) => r.met) || rule === null || calculation === null) throw this.notEligible(eligibility, claim.id);
    let reserveEntryId: string | null = null;
    if (new Dec(calculation.total).greaterThan(0)) {
      try {
        const posted = await this.ledger.post(em, {
          idempotencyKey: entryKey,
          kind: 'SUBSIDY_RESERVE',
          effectiveDate: approvedOn,
          memo: `流转奖补批准 合同 ${contract.code} 金额 ${calculation.total} 元`,
          metadata: { programme: programme.code, claim: claim.id, contract: contract.code },
          postings: [
            { account: programmeWallet(programme.code), side: 'DEBIT', amount: calculation.total },
            { account: programmeReserved(programme.code), side: 'CREDIT', amount: calculation.total },
          ],
        });
        reserveEntryId = posted.entry.id;
      } catch (error) {
        throw this.budgetShort(error, programme.code, calculation.total);
      }
    }
    const schedule = instalmentSchedule(rule.instalments, calculation.recipients, approvedOn, contract.start_date);
    await em.query(
      `UPDATE subsidy_claims SET state = $2, rule_id = $3, eligibility = $4, calculation = $5, amount = $6, approved_by = $7, approved_on = $8, reserve_entry_id = $9 WHERE id = $1`,
      [
        claim.id,
        schedule.length === 0 ? 'COMPLETED' : 'APPROVED',
        rule.id,
        JSON.stringify(eligibility),
        JSON.stringify(calculation),
        calculation.total,
        actor.userId,
        approvedOn,
        reserveEntryId,
      ],
    );
    const partyId = (code: string) => [...parties.values()].find((p) => p.code === code)!.id;
    await em.query(
      `INSERT INTO subsidy_claim_recipients (claim_id, party_id, role, amount, approved_year) SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::numeric[], $5::smallint[])`,
      [
        claim.id,
        calculation.recipients.map((r) => partyId(r.party)),
        calculation.recipients.map((r) => r.role),
        calculation.recipients.map((r) => r.amount),
        calculation.recipients.map(() => year),
      ],
    );
    if (schedule.length > 0) {
      await em.query(`INSERT INTO subsidy_instalments (claim_id, seq, due_date, amount, splits) SELECT $1, * FROM unnest($2::smallint[], $3::date[], $4::numeric[], $5::jsonb[])`, [
        claim.id,
        schedule.map((s) => s.seq),
        schedule.map((s) => s.dueDate),
        schedule.map((s) => s.amount),
        schedule.map((s) => JSON.stringify(s.splits)),
      ]);
    }
    return this.getClaim(claim.id, em);
  }

  /**
   * Rejects an APPLIED claim (wrong documents, contract not genuine …): an APPROVER other than the
   * applicant, with a reason. Application reserves nothing, so nothing returns to the budget and no
   * entry is written. The contract may apply again under the programme. A repeat with the same key
   * returns the rejected claim.
   */
  async reject(em: EntityManager, claimId: string, input: { reason: string; rejectedOn?: string }, actor: SubsidyActor, key: string): Promise<ClaimView> {
    if (actor.role !== 'APPROVER') throw new SubsidyError('NOT_AN_APPROVER', `rejecting a subsidy claim needs the APPROVER role; the caller is ${actor.role}`, 'role');
    // The claim row only: a rejection touches nothing else (an approval or a termination waits on this lock, then sees REJECTED).
    const claim = await this.loadClaim(em, claimId, true);
    if (claim.rejection_key === key) return this.getClaim(claim.id, em);
    const [other] = (await em.query(`SELECT id FROM subsidy_claims WHERE rejection_key = $1`, [key])) as Array<{ id: string }>;
    if (other) throw new SubsidyError('IDEMPOTENCY_CONFLICT', `this key rejected claim ${other.id}, not ${claim.id}`, 'idempotencyKey');
    const reason = subsidyText(input.reason, 'reason', 500, 'INVALID_CLAIM');
    const rejectedOn = input.rejectedOn === undefined ? businessToday() : subsidyDate(input.rejectedOn, 'rejectedOn', 'INVALID_CLAIM');
    if (claim.state !== 'APPLIED')
      throw new SubsidyError('CLAIM_STATE', `claim ${claim.id} is ${claim.state}: only an APPLIED claim can be rejected`, 'claim', { state: claim.state });
    if (claim.applied_by === actor.userId) throw new SubsidyError('SELF_REJECTION', 'the applicant cannot reject their own claim: a second person must', 'claim');
    await em.query(`UPDATE subsidy_claims SET state = 'REJECTED', rejected_by = $2, rejected_on = $3, rejection_reason = $4, rejection_key = $5 WHERE id = $1`, [
      claim.id,
      actor.userId,
      rejectedOn,
      reason,
      key,
    ]);
    return this.getClaim(claim.id, em);
  }

  /**
   * Pays one instalment from the programme's reserved account to the recipients' wallets: one entry,
   * keyed by claim and sequence, so it is paid once whatever runs it. A paid instalment is a no-op.
   */
  async payInstalment(em: EntityManager, claimId: string, seq: number, asOf: string): Promise<{ claim: ClaimView; entryId: string; paidNow: boolean }> {
    subsidyDate(asOf, 'asOf', 'INVALID_CLAIM');
    const claim = await this.loadClaim(em, claimId, true);
    const [inst] = (await em.query(
      `SELECT id, seq, to_char(due_date, 'YYYY-MM-DD') AS due_date, amount::text AS amount, splits, state, entry_id FROM subsidy_instalments WHERE claim_id = $1 AND seq = $2 FOR UPDATE`,
      [claim.id, seq],
    )) as Array<{ id: string; seq: number; due_date: string; amount: string; splits: Array<{ party: string; amount: string }>; state: InstalmentState; entry_id: string | null }>;
    if (!inst) throw new SubsidyError('UNKNOWN_CLAIM', `claim ${claimId} has no instalment ${seq}`, 'seq');
    if (inst.state === 'PAID') return { claim: await this.getClaim(claim.id, em), entryId: inst.entry_id!, paidNow: false };
    if (inst.state === 'CANCELLED' || claim.state !== 'APPROVED')
      throw new SubsidyError('CLAIM_STATE', `instalment ${seq} of claim ${claimId} cannot be paid: claim ${claim.state}, instalment ${inst.state}`, 'claim');
    if (inst.due_date > asOf) throw new SubsidyError('CLAIM_STATE', `instalment ${seq} of claim ${claimId} is due on ${inst.due_date}`, 'seq', { dueDate: inst.due_date });
    for (const s of inst.splits) await this.ledger.ensureAccount(em, { code: walletOf(s.party), asset: 'CNY', type: 'LIABILITY', ownerRef: `party:${s.party}`, noOverdraft: true });
    const amount = new Dec(inst.amount).toFixed(2);
    let posted: PostResult;
    try {
      posted = await this.ledger.post(em, {
        idempotencyKey: `subsidy-payment:${claim.id}:${seq}`,
        kind: 'SUBSIDY_PAYMENT',
        effectiveDate: asOf,
        memo: `流转奖补 合同 ${claim.contract_code} 第${seq}期 ${amount} 元`,
        metadata: { programme: claim.programme_code, claim: claim.id, contract: claim.contract_code, seq },
        postings: [
          { account: programmeReserved(claim.programme_code), side: 'DEBIT', amount },
          ...inst.splits.map((s): PostingDraft => ({ account: walletOf(s.party), side: 'CREDIT', amount: s.amount })),
        ],
      });
    } catch (error) {
      throw this.budgetShort(error, claim.programme_code, amount);
    }
    await em.query(`UPDATE subsidy_instalments SET state = 'PAID', entry_id = $2, paid_on = $3 WHERE id = $1`, [inst.id, posted.entry.id, asOf]);
    await em.query(`UPDATE subsidy_claims SET state = 'COMPLETED' WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM subsidy_instalments WHERE claim_id = $1 AND state = 'SCHEDULED')`, [
      claim.id,
    ]);
    return { claim: await this.getClaim(claim.id, em), entryId: posted.entry.id, paidNow: true };
  }

  /**
   * The daily job's body: pays every scheduled instalment due on or before `asOf`, each in its own
   * transaction. Running it twice (or twice at once) pays each instalment once.
   */
  async payDueInstalments(asOf: string): Promise<DuePaymentsReport> {
    subsidyDate(asOf, 'asOf', 'INVALID_CLAIM');
    const due = (await this.dataSource.query(
      `SELECT i.claim_id, i.seq FROM subsidy_instalments i JOIN subsidy_claims c ON c.id = i.claim_id
        WHERE i.state = 'SCHEDULED' AND i.due_date <= $1::date AND c.state = 'APPROVED' ORDER BY i.due_date, i.claim_id, i.seq`,
      [asOf],
    )) as Array<{ claim_id: string; seq: number }>;
    const report: DuePaymentsReport = { asOf, paid: [], refused: [] };
    for (const d of due) {
      try {
        const outcome = await inTransaction(this.dataSource, (em) => this.payInstalment(em, d.claim_id, d.seq, asOf));
        if (outcome.paidNow) report.paid.push({ claimId: d.claim_id, seq: d.seq, entryId: outcome.entryId });
      } catch (error) {
        if (!(error instanceof SubsidyError) && !(error instanceof LedgerError)) throw error;
        report.refused.push({ claimId: d.claim_id, seq: d.seq, code: error.code, message: error.message });
      }
    }
    return report;
  }

  /**
   * Terminates a contract early (before its end date): cancels open claims and unpaid instalments
   * (their reservation goes back to the budget) and, for each claim that paid something, books what
   * each recipient must return (rate × paid, pro rata to the unexpired term) as a receivable, in one
   * entry per claim.
   */
  async terminateContract(em: EntityManager, contractCode: string, input: { terminatedOn: string; reason: string }, key: string): Promise<TerminationOutcome> {
    const contract = await this.contracts.load(em, contractCode, { lock: true });
    const terminatedOn = subsidyDate(input.terminatedOn, 'terminatedOn');
    const reason = subsidyText(input.reason, 'reason', 500);
    if (contract.state === 'TERMINATED' && contract.terminated_on === terminatedOn) return this.terminationOutcome(em, contract, terminatedOn);
    if (contract.state !== 'REGISTERED' && contract.state !== 'ACTIVE') throw new SubsidyError('CONTRACT_STATE', `contract ${contractCode} is ${contract.state}`, 'contract');
    if (terminatedOn < contract.start_date || terminatedOn >= contract.end_date) {
      throw new SubsidyError(
        'CONTRACT_STATE',
        `an early termination lies from ${contract.start_date} to before ${contract.end_date}; a contract that ran its term ends on schedule`,
        'terminatedOn',
      );
    }
    await this.contracts.markTerminated(em, contract, terminatedOn, reason);
    const claims = (await em.query(`SELECT id FROM subsidy_claims WHERE contract_id = $1 AND state IN ('APPLIED', 'APPROVED', 'COMPLETED') ORDER BY id FOR UPDATE`, [
      contract.id,
    ])) as Array<{ id: string }>;
    for (const { id } of claims) await this.clawbackClaim(em, await this.loadClaim(em, id), contract, terminatedOn, key);
    return this.terminationOutcome(em, contract, terminatedOn);
  }

  /**
   * A recipient pays back (part of) what they owe: from their wallet on the platform (set-off) or
   * through the bank. One entry settles the receivable and returns the money to the budget.
   */
  async recover(
    em: EntityManager,
    claimId: string,
    input: { partyCode: string; amount: string; source: 'WALLET' | 'BANK'; bankReference?: string; effectiveDate?: string },
    key: string,
  ): Promise<ClaimView> {
    const entryKey = `subsidy-recovery:${key}`;
    const claim = await this.loadClaim(em, claimId, true);
    const [done] = (await em.query(`SELECT 1 FROM ledger_entries WHERE idempotency_key = $1`, [entryKey])) as unknown[];
    if (done) return this.getClaim(claim.id, em);
    if (claim.state !== 'CLAWBACK_DUE') throw new SubsidyError('NOTHING_TO_RECOVER', `claim ${claimId} is ${claim.state}: nothing is owed`, 'claim');
    const amount = Amount.parsePositive(input.amount, 2, 'amount').value;
    const effectiveDate = input.effectiveDate === undefined ? businessToday() : subsidyDate(input.effectiveDate, 'effectiveDate', 'INVALID_CLAIM');
    const [recipient] = (await em.query(
      `SELECT r.party_id, r.clawback_amount::text AS clawback, r.recovered_amount::text AS recovered FROM subsidy_claim_recipients r JOIN parties p ON p.id = r.party_id
        WHERE r.claim_id = $1 AND p.code = $2 FOR UPDATE OF r`,
      [claim.id, input.partyCode],
    )) as Array<{ party_id: string; clawback: string | null; recovered: string }>;
    if (!recipient) throw new SubsidyError('NOTHING_TO_RECOVER', `${input.partyCode} is not a recipient of claim ${claimId}`, 'partyCode');
    const outstanding = new Dec(recipient.clawback ?? 0).minus(recipient.recovered);
    if (amount.greaterThan(outstanding))
      throw new SubsidyError('NOTHING_TO_RECOVER', `${input.partyCode} owes ${outstanding.toFixed(2)} on claim ${claimId}, less than ${amount.toFixed(2)}`, 'amount', {
        outstanding: outstanding.toFixed(2),
      });
    let source: string;
    if (input.source === 'WALLET') source = walletOf(input.partyCode);
    else if (input.source === 'BANK') {
      subsidyText(input.bankReference, 'bankReference', 100, 'INVALID_CLAIM');
      source = BANK_CLEARING_ACCOUNT;
    } else throw new SubsidyError('INVALID_CLAIM', 'source must be WALLET (set-off) or BANK', 'source');
    const text = amount.toFixed(2);
    const programme = claim.programme_code;
    await this.ledger.post(em, {
      idempotencyKey: entryKey,
      kind: 'SUBSIDY_RECOVERY',
      effectiveDate,
      memo: `收回流转奖补 ${input.partyCode} ${text} 元${input.bankReference ? ` 银行流水 ${input.bankReference}` : ' (抵扣)'}`,
      metadata: { programme, claim: claim.id, party: input.partyCode, source: input.source, bankReference: input.bankReference ?? null },
      postings: [
        { account: source, side: 'DEBIT', amount: text },
        { account: programmeReceivable(programme, input.partyCode), side: 'CREDIT', amount: text },
        { account: programmeClawbackPending(programme), side: 'DEBIT', amount: text },
        { account: programmeWallet(programme), side: 'CREDIT', amount: text },
      ],
    });
    await em.query(`UPDATE subsidy_claim_recipients SET recovered_amount = recovered_amount + $3 WHERE claim_id = $1 AND party_id = $2`, [claim.id, recipient.party_id, text]);
    await em.query(
      `UPDATE subsidy_claims SET state = 'RECOVERED' WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM subsidy_claim_recipients WHERE claim_id = $1 AND recovered_amount < COALESCE(clawback_amount, 0))`,
      [claim.id],
    );
    return this.getClaim(claim.id, em);
  }

  async getClaim(claimId: string, em: EntityManager = this.dataSource.manager): Promise<ClaimView> {
    const [view] = await this.claimViews(em, [await this.loadClaim(em, claimId)]);
    return view;
  }

  /** Claims of a programme (optionally in one state), oldest first, at most 200. */
  async listClaims(filter: { programmeCode: string; state?: ClaimState; limit?: number }): Promise<ClaimView[]> {
    const em = this.dataSource.manager;
    const rows = (await em.query(`${CLAIM_SELECT} WHERE p.code = $1 AND ($2::text IS NULL OR c.state = $2) ORDER BY c.id LIMIT $3`, [
      filter.programmeCode,
      filter.state ?? null,
      Math.min(filter.limit ?? 100, 200),
    ])) as ClaimRow[];
    return this.claimViews(em, rows);
  }

  async claimsOfContract(contractCode: string, em: EntityManager = this.dataSource.manager): Promise<ClaimView[]> {
    return this.claimViews(em, (await em.query(`${CLAIM_SELECT} WHERE t.code = $1 ORDER BY c.id`, [contractCode])) as ClaimRow[]);
  }

  // ---------------------------------------------------------------- internals

  private async loadProgramme(em: EntityManager, code: string, lock = false): Promise<ProgrammeRow> {
    const [row] = (await em.query(`${PROGRAMME_SELECT} WHERE p.code = $1 ${lock ? 'FOR UPDATE OF p' : ''}`, [code])) as ProgrammeRow[];
    if (!row) throw new SubsidyError('UNKNOWN_PROGRAMME', `no subsidy programme with code ${JSON.stringify(code)}`, 'programme');
    return row;
  }

  /** The views of programmes in their order: regions, rules, top-ups and payments, balances, one query each. */
  private async programmeViews(em: EntityManager, programmes: ProgrammeRow[]): Promise<ProgrammeView[]> {
    if (programmes.length === 0) return [];
    const ids = programmes.map((p) => p.id);
    const regions = (await em.query(
      `SELECT pr.programme_id, r.code, r.name, r.level FROM subsidy_programme_regions pr JOIN regions r ON r.id = pr.region_id WHERE pr.programme_id = ANY($1::bigint[]) ORDER BY r.code`,
      [ids],
    )) as Array<{ programme_id: string; code: string; name: string; level: string }>;
    const rules = (await em.query(`${RULE_SELECT} WHERE programme_id = ANY($1::bigint[]) ORDER BY version`, [ids])) as Array<RuleRow & { programme_id: string }>;
    const accounts = programmes.flatMap((p) => [programmeWallet(p.code), programmeReserved(p.code), programmeClawbackPending(p.code)]);
    // Budget: top-ups credited to the wallet; paid: payments debited from the reserved account.
    const flows = (await em.query(
      `SELECT a.code, COALESCE(SUM(p.amount) FILTER (WHERE e.kind = 'SUBSIDY_BUDGET_TOPUP' AND p.side = 'CREDIT'), 0)::text AS topped_up,
              COALESCE(SUM(p.amount) FILTER (WHERE e.kind = 'SUBSIDY_PAYMENT' AND p.side = 'DEBIT'), 0)::text AS paid_out
         FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id JOIN ledger_entries e ON e.id = p.entry_id
        WHERE a.code = ANY($1::text[]) GROUP BY a.code`,
      [accounts],
    )) as Array<{ code: string; topped_up: string; paid_out: string }>;
    const balances = (await em.query(
      `SELECT a.code, a.normal_side, a.debits::text AS debits, a.credits::text AS credits, s.scale FROM ledger_accounts a JOIN ledger_assets s ON s.code = a.asset_code WHERE a.code = ANY($1::text[])`,
      [accounts],
    )) as Array<{ code: string; normal_side: 'DEBIT' | 'CREDIT'; debits: string; credits: string; scale: number }>;
    const balance = (account: string): string => {
      const row = balances.find((b) => b.code === account);
      if (!row) throw new LedgerError('UNKNOWN_ACCOUNT', `no account with code ${JSON.stringify(account)}`, 'account');
      return formatDecimal(balanceOf({ normalSide: row.normal_side, debits: new Dec(row.debits), credits: new Dec(row.credits) }), row.scale);
    };
    return programmes.map((programme) => {
      const code = programme.code;
      return {
        code,
        name: programme.name,
        fundingParty: { code: programme.funding_code, name: programme.funding_name },
        regions: regions.filter((r) => r.programme_id === programme.id).map((r) => ({ code: r.code, name: r.name, level: r.level })),
        rules: rules.filter((r) => r.programme_id === programme.id).map(ruleTerms),
        accounts: { wallet: programmeWallet(code), reserved: programmeReserved(code), clawbackPending: programmeClawbackPending(code) },
        budget: new Dec(flows.find((f) => f.code === programmeWallet(code))?.topped_up ?? 0).toFixed(2),
        available: balance(programmeWallet(code)),
        reserved: balance(programmeReserved(code)),
        paid: new Dec(flows.find((f) => f.code === programmeReserved(code))?.paid_out ?? 0).toFixed(2),
        clawbackPending: balance(programmeClawbackPending(code)),
      };
    });
  }

  private async loadClaim(em: EntityManager, claimId: string, lock = false): Promise<ClaimRow> {
    if (typeof claimId !== 'string' || !/^\d{1,18}$/.test(claimId)) throw new SubsidyError('UNKNOWN_CLAIM', `no claim ${JSON.stringify(claimId)}`, 'claim');
    if (lock) await em.query(`SELECT 1 FROM subsidy_claims WHERE id = $1 FOR UPDATE`, [claimId]);
    const [row] = (await em.query(`${CLAIM_SELECT} WHERE c.id = $1`, [claimId])) as ClaimRow[];
    if (!row) throw new SubsidyError('UNKNOWN_CLAIM', `no claim ${claimId}`, 'claim');
    return row;
  }

  /** The views of claims in their order, in three queries whatever their number (rules, instalments, recipients). */
  private async claimViews(em: EntityManager, claims: ClaimRow[]): Promise<ClaimView[]> {
    if (claims.length === 0) return [];
    const ids = claims.map((c) => c.id);
    const ruleIds = [...new Set(claims.map((c) => c.rule_id).filter((id): id is string => id !== null))];
    const rules = (await em.query(`SELECT id, version, to_char(effective_from, 'YYYY-MM-DD') AS effective_from FROM subsidy_rules WHERE id = ANY($1::bigint[])`, [
      ruleIds,
    ])) as Array<{
      id: string;
      version: number;
      effective_from: string;
    }>;
    const instalments = (await em.query(
      `SELECT claim_id, id, seq, to_char(due_date, 'YYYY-MM-DD') AS due_date, amount::text AS amount, state, splits, entry_id, to_char(paid_on, 'YYYY-MM-DD') AS paid_on
         FROM subsidy_instalments WHERE claim_id = ANY($1::bigint[]) ORDER BY claim_id, seq`,
      [ids],
    )) as Array<{
      claim_id: string;
      id: string;
      seq: number;
      due_date: string;
      amount: string;
      state: InstalmentState;
      splits: Array<{ party: string; amount: string }>;
      entry_id: string | null;
      paid_on: string | null;
    }>;
    const recipients = (await em.query(
      `SELECT r.claim_id, p.code, r.role, r.amount::text AS amount, r.clawback_amount::text AS clawback, r.recovered_amount::text AS recovered
         FROM subsidy_claim_recipients r JOIN parties p ON p.id = r.party_id WHERE r.claim_id = ANY($1::bigint[])`,
      [ids],
    )) as Array<{ claim_id: string; code: string; role: RecipientRole; amount: string; clawback: string | null; recovered: string }>;
    return claims.map((claim) => {
      const rule = rules.find((r) => r.id === claim.rule_id);
      const own = instalments.filter((i) => i.claim_id === claim.id);
      const order = (claim.calculation?.recipients ?? []).map((r) => r.party);
      const parts = recipients.filter((r) => r.claim_id === claim.id).sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code));
      const paidTo = (party: string) => own.filter((i) => i.state === 'PAID').reduce((sum, i) => sum.plus(i.splits.find((x) => x.party === party)?.amount ?? 0), new Dec(0));
      return {
        id: claim.id,
        programme: claim.programme_code,
        contract: claim.contract_code,
        state: claim.state,
        rule: rule ? { id: rule.id, version: rule.version, effectiveFrom: rule.effective_from } : null,
        eligible: claim.eligibility.every((r) => r.met),
        eligibility: claim.eligibility,
        calculation: claim.calculation,
        amount: new Dec(claim.amount).toFixed(2),
        appliedBy: claim.applied_by,
        approvedBy: claim.approved_by,
        approvedOn: claim.approved_on,
        rejectedBy: claim.rejected_by,
        rejectedOn: claim.rejected_on,
        rejectionReason: claim.rejection_reason,
        reserveEntryId: claim.reserve_entry_id,
        recipients: parts.map((r) => ({
          party: r.code,
          role: r.role,
          amount: new Dec(r.amount).toFixed(2),
          paid: paidTo(r.code).toFixed(2),
          clawback: r.clawback === null ? null : new Dec(r.clawback).toFixed(2),
          recovered: new Dec(r.recovered).toFixed(2),
          outstanding: new Dec(r.clawback ?? 0).minus(r.recovered).toFixed(2),
        })),
        instalments: own.map((i) => ({
          id: i.id,
          seq: i.seq,
          dueDate: i.due_date,
          amount: new Dec(i.amount).toFixed(2),
          state: i.state,
          splits: i.splits,
          entryId: i.entry_id,
          paidOn: i.paid_on,
        })),
        clawback:
          claim.clawback_calculation === null
            ? null
            : { amount: new Dec(claim.clawback_amount ?? 0).toFixed(2), entryId: claim.clawback_entry_id, calculation: claim.clawback_calculation },
      };
    });
  }

  private async claimByKey(em: EntityManager, key: string): Promise<ClaimRow | null> {
    const [row] = (await em.query(`${CLAIM_SELECT} WHERE c.apply_key = $1`, [key])) as ClaimRow[];
    return row ?? null;
  }

  private async sameClaim(row: ClaimRow, input: { programmeCode: string; contractCode: string }, em: EntityManager): Promise<ClaimView> {
    if (row.programme_code !== input.programmeCode || row.contract_code !== input.contractCode) {
      throw new SubsidyError('IDEMPOTENCY_CONFLICT', 'this key was used for a claim on another programme or contract', 'idempotencyKey');
    }
    return this.getClaim(row.id, em);
  }

  /** The rule in force on the contract's start date, every eligibility check, and the amount (caps counted in `year`). */
  private async assess(
    em: EntityManager,
    programme: ProgrammeRow,
    contract: ContractRecord,
    year: number,
  ): Promise<{ rule: RuleView | null; eligibility: EligibilityReason[]; calculation: Calculation | null }> {
    const rules = ((await em.query(`${RULE_SELECT} WHERE programme_id = $1`, [programme.id])) as RuleRow[]).map(ruleTerms);
    const rule = ruleInForce(rules, contract.start_date);
    const [{ inside }] = (await em.query(
      `SELECT EXISTS (SELECT 1 FROM subsidy_programme_regions pr JOIN regions r ON r.id = pr.region_id
                       WHERE pr.programme_id = $1 AND (r.id = $2 OR r.id = (SELECT parent_id FROM regions WHERE id = $2))) AS inside`,
      [programme.id, contract.township_id],
    )) as Array<{ inside: boolean }>;
    const { reasons } = evaluateEligibility(rule, {
      startDate: contract.start_date,
      endDate: contract.end_date,
      areaMu: contract.area_mu,
      mode: contract.mode,
      transferorKind: contract.transferor_kind,
      transfereeKind: contract.transferee_kind,
      inProgrammeRegion: inside,
      inForce: contract.state === 'REGISTERED' || contract.state === 'ACTIVE',
    });
    if (rule === null) return { rule, eligibility: reasons, calculation: null };
    const partyOf: Record<RecipientRole, string> = { TRANSFEROR: contract.transferor_code, TRANSFEREE: contract.transferee_code };
    const used = (await em.query(
      `SELECT p.code, COALESCE(SUM(r.amount), 0)::text AS used FROM parties p
         LEFT JOIN subsidy_claim_recipients r ON r.party_id = p.id AND r.approved_year = $3
              AND r.claim_id IN (SELECT id FROM subsidy_claims WHERE programme_id = $2 AND state = ANY($4::text[]))
        WHERE p.code = ANY($1::text[]) GROUP BY p.code`,
      [Object.values(partyOf), programme.id, year, COUNTED_STATES],
    )) as Array<{ code: string; used: string }>;
    const calculation = calculateSubsidy(
      rule,
      contract.area_mu,
      rule.recipients.map((r) => ({ role: r.role, party: partyOf[r.role], approvedThisYear: used.find((u) => u.code === partyOf[r.role])?.used ?? '0' })),
    );
    return { rule, eligibility: reasons, calculation };
  }

  private notEligible(reasons: EligibilityReason[], claimId: string): SubsidyError {
    const failed = reasons.filter((r) => !r.met);
    return new SubsidyError(
      'CLAIM_NOT_ELIGIBLE',
      `claim ${claimId} is not eligible: ${failed.map((r) => `${r.check} (required ${r.required}, actual ${r.actual})`).join('; ')}`,
      'claim',
      { failed },
    );
  }

  /** A ledger refusal on the programme's accounts becomes BUDGET_EXCEEDED; anything else propagates. */
  private budgetShort(error: unknown, programme: string, amount: string): unknown {
    if (
      error instanceof LedgerError &&
      error.code === 'INSUFFICIENT_FUNDS' &&
      [programmeWallet(programme), programmeReserved(programme)].includes(String(error.details?.account))
    ) {
      return new SubsidyError(
        'BUDGET_EXCEEDED',
        `programme ${programme} has ${String(error.details?.balance)} left in ${String(error.details?.account)}, less than ${amount}`,
        'claim',
        {
          available: error.details?.balance,
          requested: amount,
        },
      );
    }
    return error;
  }

  private balanceIn(posted: PostResult, account: string): string {
    return posted.balances.find((b) => b.account === account)?.balance ?? '0.00';
  }

  private async clawbackClaim(em: EntityManager, claim: ClaimRow, contract: ContractRecord, terminatedOn: string, key: string): Promise<void> {
    if (claim.state === 'APPLIED') {
      await em.query(`UPDATE subsidy_claims SET state = 'CANCELLED' WHERE id = $1`, [claim.id]);
      return;
    }
    const [rule] = ((await em.query(`${RULE_SELECT} WHERE id = $1`, [claim.rule_id])) as RuleRow[]).map(ruleTerms);
    const instalments = (await em.query(`SELECT id, amount::text AS amount, state, splits FROM subsidy_instalments WHERE claim_id = $1 ORDER BY seq FOR UPDATE`, [
      claim.id,
    ])) as Array<{
      id: string;
      amount: string;
      state: InstalmentState;
      splits: Array<{ party: string; amount: string }>;
    }>;
    const unpaid = instalments.filter((i) => i.state === 'SCHEDULED').reduce((s, i) => s.plus(i.amount), new Dec(0));
    const recipients = claim.calculation?.recipients ?? [];
    const paid = recipients.map((r) => ({
      party: r.party,
      paid: instalments
        .filter((i) => i.state === 'PAID')
        .reduce((s, i) => s.plus(i.splits.find((x) => x.party === r.party)?.amount ?? 0), new Dec(0))
        .toFixed(2),
    }));
    const result = clawback(paid, rule.clawbackRate, contract.start_date, contract.end_date, terminatedOn);
    const programme = claim.programme_code;
    const postings: PostingDraft[] = [];
    for (const line of result.lines) {
      if (new Dec(line.amount).isZero()) continue;
      await this.ledger.ensureAccount(em, receivableAccount(programme, line.party));
      postings.push({ account: programmeReceivable(programme, line.party), side: 'DEBIT', amount: line.amount });
    }
    if (postings.length > 0) postings.push({ account: programmeClawbackPending(programme), side: 'CREDIT', amount: result.total });
    if (unpaid.greaterThan(0)) {
      postings.push({ account: programmeReserved(programme), side: 'DEBIT', amount: unpaid.toFixed(2) });
      postings.push({ account: programmeWallet(programme), side: 'CREDIT', amount: unpaid.toFixed(2) });
    }
    let entryId: string | null = null;
    if (postings.length > 0) {
      const draft: EntryDraft = {
        idempotencyKey: `subsidy-clawback:${key}:${claim.id}`,
        kind: 'SUBSIDY_CLAWBACK',
        effectiveDate: terminatedOn,
        memo: `合同 ${contract.code} 提前终止: 应收回奖补 ${result.total} 元, 释放未拨付 ${unpaid.toFixed(2)} 元`,
        metadata: { programme, claim: claim.id, contract: contract.code, unexpiredDays: result.unexpiredDays, termDays: result.termDays },
        postings,
      };
      entryId = (await this.ledger.post(em, draft)).entry.id;
    }
    await em.query(`UPDATE subsidy_instalments SET state = 'CANCELLED' WHERE claim_id = $1 AND state = 'SCHEDULED'`, [claim.id]);
    for (const line of result.lines) {
      await em.query(`UPDATE subsidy_claim_recipients SET clawback_amount = $3 WHERE claim_id = $1 AND party_id = (SELECT id FROM parties WHERE code = $2)`, [
        claim.id,
        line.party,
        line.amount,
      ]);
    }
    await em.query(`UPDATE subsidy_claims SET state = $2, clawback_amount = $3, clawback_entry_id = $4, clawback_calculation = $5 WHERE id = $1`, [
      claim.id,
      new Dec(result.total).greaterThan(0) ? 'CLAWBACK_DUE' : 'CANCELLED',
      result.total,
      entryId,
      JSON.stringify(result),
    ]);
  }

  private async terminationOutcome(em: EntityManager, contract: ContractRecord, terminatedOn: string): Promise<TerminationOutcome> {
    return { contract: contract.code, terminatedOn, claims: await this.claimsOfContract(contract.code, em) };
  }
}
