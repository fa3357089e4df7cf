import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, EntryDraft, isBigintId, isIsoDate, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import ExcelJS from 'exceljs';
import { DataSource, EntityManager } from 'typeorm';
import { walletOf } from '../parties/parties.service';
import { PartyRef, partyIdsInRegions, partiesByCodes, partiesByIds } from '../parties/party-refs';
import { PiiCipher } from '../parties/pii';
import { BANK_CLEARING_ACCOUNT, businessToday } from '../projects/project-accounts';
import { ProjectError } from '../projects/projects.errors';
import { ProjectsService } from '../projects/projects.service';
import { RegionsService } from '../regions/regions.service';
import { holderPartyIdsOfProject } from '../tickets/ticket-register.store';
import { PAYOUT_SCOPES, PayoutLineState, PayoutScope, PayoutBatchState } from './dividend.model';
import { AGE_BUCKETS, AgeBucket, ageBucketOf } from './dividend-math';
import { BANK_REFERENCE_MAX, DIVIDEND_TEXT_MAX } from './dividend-support';
import type { Actor } from './dividend-support';
import { decimalCell, MONEY_SCALE } from '../common/xlsx-cells';
import { DividendError } from './dividends.errors';
import { PartyPayoutRow, PayoutLineRow, payoutsStore } from './payouts.store';
import { recordEvent } from '../events/record-event';
import type { EventData } from '@forest-ledger/platform';

const LINES_PER_ENTRY = 999;

export interface PayoutScopeInput {
  scope: PayoutScope;
  /** Project code, or the region code of the village or township. */
  code: string;
}

export interface PayoutLineView {
  id: string;
  party: string;
  name: string;
  idMasked: string | null;
  bankName: string;
  cardMasked: string;
  amount: string;
  state: PayoutLineState;
  entryId: string | null;
  returnEntryId: string | null;
  failureReason: string | null;
}

/**
 * How a batch ended: OPEN (at the bank), PAID (every line reached its card), PAID_WITH_FAILURES (confirmed, but
 * some lines were refused at confirmation or returned later: see failedAmount and returnedAmount), CANCELLED.
 */
export const PAYOUT_OUTCOMES = ['OPEN', 'PAID', 'PAID_WITH_FAILURES', 'CANCELLED'] as const;
export type PayoutOutcome = (typeof PAYOUT_OUTCOMES)[number];

export interface PayoutBatchView {
  id: string;
  scope: PayoutScope;
  scopeCode: string;
  /** The batch's own state (PAID once confirmed, whatever its lines); `outcome` says whether some lines failed. */
  state: PayoutBatchState;
  outcome: PayoutOutcome;
  /** What the batch was made for (every line). */
  totalAmount: string;
  /** What reached cards and stayed there (lines PAID). */
  paidAmount: string;
  /** Lines the bank refused at confirmation (never left their wallets). */
  failedAmount: string;
  /** Lines paid, then returned by the bank (booked back to their wallets). */
  returnedAmount: string;
  lineCount: number;
  bankReference: string | null;
  paidOn: string | null;
  createdAt: string;
  confirmedAt: string | null;
  lines: PayoutLineView[];
}

/** One payout line as its party sees it. */
export interface PartyPayoutView {
  lineId: string;
  batchId: string;
  amount: string;
  /** PENDING (in a batch sent to the bank), PAID, or FAILED (the money went back to the wallet). */
  state: PayoutLineState;
  paidOn: string | null;
  bankName: string | null;
  cardMasked: string | null;
  failureReason: string | null;
  createdOn: string;
}

export interface CreateBatchOutcome {
  batch: PayoutBatchView;
  /** Parties with money owed but no bank card on record: left out, to be asked for one. */
  withoutCard: string[];
}

export interface BankFile {
  fileName: string;
  /** For the bank's upload: plain fields, card numbers as digits, one line per payment (no 合计 line a bank would read as a payment). */
  csv: Buffer;
  /**
   * For people opening it in Excel/WPS: the card number written `="6222021234567890123"` (the spreadsheet convention that
   * keeps a long digit string as text, not 6.22202E+18), and a 合计 line (total amount, number of lines) as in the XLSX.
   */
  spreadsheetCsv: Buffer;
  /** The primary file for people: card numbers as text cells, amounts as numbers with 0.00, a 合计 row. */
  xlsx: Buffer;
}

export interface UnclaimedLine {
  party: string;
  name: string;
  balance: string;
  /** Effective date of the oldest credit still owed (first in, first paid out). */
  owedSince: string;
  buckets: Record<AgeBucket, string>;
}

export interface UnclaimedReport {
  asOf: string;
  totals: Record<AgeBucket, string> & { all: string };
  lines: UnclaimedLine[];
}

/**
 * Payouts of wallets to bank cards (DOMAIN.md §4): a batch picks the wallets with money in a
 * project, village or township; its bank file carries what the bank needs to pay (name, masked ID,
 * the full card number, amount); confirming it books wallets → bank clearing; a line the bank returns
 * books the money back to the wallet. What stays in wallets stays owed, and is reported by age.
 *
 * Card numbers are sealed at rest (AES-256-GCM, the ID-number cipher) with a masked copy for screens;
 * they are decrypted only to write the bank file, the one place a full number is needed.
 */
/** A party's payout line as the party sees it (its page, its statement). */
export function partyPayoutView(r: PartyPayoutRow): PartyPayoutView {
  return {
    lineId: r.id,
    batchId: r.batch_id,
    amount: new Dec(r.amount).toFixed(2),
    state: r.state,
    paidOn: r.paid_on,
    bankName: r.bank_name,
    cardMasked: r.card_masked,
    failureReason: r.failure_reason,
    createdOn: r.created_on,
  };
}

@Injectable()
export class PayoutsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly ledgerReads: LedgerReads,
    private readonly pii: PiiCipher,
    private readonly projects: ProjectsService,
    private readonly regions: RegionsService,
  ) {}

  /**
   * A batch of every wallet in the scope with a positive balance, an active party, a card on record and
   * no line in another open batch; each line is the wallet's whole balance now. The cards of the scope
   * are locked first, so two batches over the same parties are made one after the other.
   */
  async createBatch(em: EntityManager, actor: Actor, input: PayoutScopeInput): Promise<CreateBatchOutcome> {
    const partyIds = await this.partiesInScope(em, input);
    const withCard = await payoutsStore.lockCards(em, partyIds);
    const parties = [...(await partiesByIds(em, partyIds)).values()].filter((p) => p.active);
    const existing = await this.ledgerReads.balances(
      em,
      parties.map((p) => walletOf(p.code)),
    );
    const open = await payoutsStore.inOpenBatches(
      em,
      parties.map((p) => p.id),
    );
    const candidates = parties.filter((p) => existing.get(walletOf(p.code))?.greaterThan(0) && !open.has(p.id));
    const wallets = new Map(
      (
        await this.ledger.getAccounts(
          candidates.map((p) => walletOf(p.code)),
          em,
        )
      ).map((a) => [a.code, a]),
    );
    const rows = candidates
      .map((p) => ({ party: p, wallet: wallets.get(walletOf(p.code))! }))
      .filter((r) => !r.wallet.frozen)
      .sort((a, b) => (BigInt(a.wallet.id) < BigInt(b.wallet.id) ? -1 : 1));
    const paying = rows.filter((r) => withCard.has(r.party.id));
    const withoutCard = rows.filter((r) => !withCard.has(r.party.id)).map((r) => r.party.code);
    if (paying.length === 0)
      throw new DividendError('NOTHING_TO_PAY', `no wallet in ${input.scope} ${input.code} has money to pay to a card on record`, 'scope', {
        withoutCard: rows.map((r) => r.party.code),
      });
    const total = paying.reduce((s, r) => s.plus(r.wallet.balance), new Dec(0)).toFixed(2);
    const id = await payoutsStore.insertBatch(
      em,
      { scope: input.scope, scopeCode: input.code, total, createdBy: actor.userId },
      paying.map((r) => ({ partyId: r.party.id, amount: new Dec(r.wallet.balance).toFixed(2) })),
    );
    return { batch: await this.get(id, em), withoutCard };
  }

  async get(id: string, em: EntityManager = this.dataSource.manager): Promise<PayoutBatchView> {
    const b = isBigintId(String(id)) ? await payoutsStore.batch(em, id) : null;
    if (!b) throw new DividendError('UNKNOWN_PAYOUT_BATCH', `no payout batch ${JSON.stringify(id)}`, 'id');
    const lines = await payoutsStore.linesOfBatch(em, b.id);
    const parties = await partiesByIds(
      em,
      lines.map((l) => l.party_id),
    );
    const sum = (pick: (l: PayoutLineRow) => boolean) =>
      lines
        .filter(pick)
        .reduce((s, l) => s.plus(l.amount), new Dec(0))
        .toFixed(2);
    const failedAmount = sum((l) => l.state === 'FAILED' && l.return_entry_id === null);
    const returnedAmount = sum((l) => l.state === 'FAILED' && l.return_entry_id !== null);
    const outcome: PayoutOutcome = b.state === 'PAID' && lines.some((l) => l.state === 'FAILED') ? 'PAID_WITH_FAILURES' : b.state;
    return {
      id: b.id,
      scope: b.scope,
      scopeCode: b.scope_code,
      state: b.state,
      outcome,
      totalAmount: new Dec(b.total_amount).toFixed(2),
      paidAmount: sum((l) => l.state === 'PAID'),
      failedAmount,
      returnedAmount,
      lineCount: b.line_count,
      bankReference: b.bank_reference,
      paidOn: b.paid_on,
      createdAt: b.created_at.toISOString(),
      confirmedAt: b.confirmed_at?.toISOString() ?? null,
      lines: lines.map((l) => lineView(l, parties.get(l.party_id)!)),
    };
  }

  /** The bank payment file, CSV (UTF-8 with BOM, for Excel) and XLSX: 序号, 户名, 证件号码 (masked), 开户行, 银行卡号 (full), 金额, 附言. */
  async bankFile(id: string, em: EntityManager = this.dataSource.manager): Promise<BankFile> {
    const batch = await this.get(id, em);
    const ciphers = await payoutsStore.cardCiphersOfBatch(em, batch.id);
    const cardOf = new Map([...ciphers].map(([lineId, cipher]) => [lineId, this.pii.decrypt(cipher)]));
    const header = ['序号', '户名', '证件号码', '开户行', '银行卡号', '金额', '附言'];
    const rows = batch.lines
      .filter((l) => l.state === 'PENDING')
      .map((l, i) => [String(i + 1), l.name, l.idMasked ?? '', l.bankName, cardOf.get(l.id) ?? '', l.amount, `林账代发 批次${batch.id} 明细${l.id}`]);
    const total = batch.lines
      .filter((l) => l.state === 'PENDING')
      .reduce((s, l) => s.plus(l.amount), new Dec(0))
      .toFixed(2);
    const csv = Buffer.from(`\uFEFF${[header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`, 'utf8');
    const asText = (card: string) => (/^\d+$/.test(card) ? `="${card}"` : csvField(card));
    const spreadsheetLines = [
      header.map(csvField).join(','),
      ...rows.map((r) => r.map((v, i) => (i === 4 ? asText(v) : csvField(v))).join(',')),
      ['合计', '', '', '', '', total, `${rows.length} 笔`].map(csvField).join(','),
    ];
    const spreadsheetCsv = Buffer.from(`\uFEFF${spreadsheetLines.join('\r\n')}\r\n`, 'utf8');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('代发明细');
    sheet.addRow(header);
    // Card numbers as text (Excel would show a 19-digit card in exponent form and drop digits); amounts as numbers with 0.00.
    for (const r of rows) decimalCell(sheet.addRow([...r.slice(0, 5), null, r[6]]).getCell(6), r[5], MONEY_SCALE);
    decimalCell(sheet.addRow(['合计', '', '', '', '', null, `${rows.length} 笔`]).getCell(6), total, MONEY_SCALE);
    sheet.columns.forEach((c, i) => (c.width = [6, 12, 22, 24, 24, 14, 30][i]));
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    return { fileName: `payout-batch-${batch.id}`, csv, spreadsheetCsv, xlsx };
  }

  /**
   * The bank paid the batch: one entry per 999 lines, wallets → bank clearing. Lines the bank refused
   * outright are given as `failed` and never leave their wallet. Refused whole (nothing written) when a
   * wallet no longer holds its line's amount.
   */
  async confirmPaid(
    em: EntityManager,
    id: string,
    input: { bankReference: string; paidOn?: string; failed?: Array<{ lineId: string; reason: string }> },
  ): Promise<PayoutBatchView> {
    if (isBigintId(String(id))) await payoutsStore.batch(em, id, true);
    const batch = await this.get(id, em);
    if (batch.state !== 'OPEN') throw new DividendError('PAYOUT_STATE', `payout batch ${id} is ${batch.state}`, 'id', { state: batch.state });
    const bankReference = typeof input.bankReference === 'string' ? input.bankReference.trim() : '';
    if (bankReference === '' || bankReference.length > BANK_REFERENCE_MAX)
      throw new DividendError('INVALID_DIVIDEND_INPUT', `bankReference must be 1-${BANK_REFERENCE_MAX} characters`, 'bankReference');
    const paidOn = input.paidOn ?? businessToday();
    if (!isIsoDate(paidOn)) throw new DividendError('INVALID_DIVIDEND_INPUT', 'paidOn must be a calendar date YYYY-MM-DD', 'paidOn');
    const failed = new Map((input.failed ?? []).map((f) => [f.lineId, f.reason]));
    for (const lineId of failed.keys())
      if (!batch.lines.some((l) => l.id === lineId)) throw new DividendError('UNKNOWN_PAYOUT_LINE', `batch ${id} has no line ${lineId}`, 'failed');
    const paying = batch.lines.filter((l) => !failed.has(l.id));
    const parts: PayoutLineView[][] = [];
    for (let i = 0; i < paying.length; i += LINES_PER_ENTRY) parts.push(paying.slice(i, i + LINES_PER_ENTRY));
    const drafts = parts.map((part, j): EntryDraft => {
      const total = part.reduce((s, l) => s.plus(l.amount), new Dec(0)).toFixed(2);
      return {
        idempotencyKey: `payout:${batch.id}:${j + 1}`,
        kind: 'PAYOUT',
        effectiveDate: paidOn,
        memo: `代发到卡 批次 #${batch.id} (${j + 1}/${parts.length}) ${part.length} 笔 ${total} 元 银行流水 ${bankReference}`,
        metadata: { payoutBatch: batch.id, part: j + 1, bankReference },
        postings: [
          ...part.map((l) => ({ account: walletOf(l.party), side: 'DEBIT' as const, amount: l.amount })),
          { account: BANK_CLEARING_ACCOUNT, side: 'CREDIT', amount: total },
        ],
      };
    });
    let entryIds: string[] = [];
    if (drafts.length > 0) {
      const posted = await this.ledger.postBatch(em, drafts);
      entryIds = posted.entries.map((e) => e.id);
      await payoutsStore.setLinesPaid(
        em,
        parts.flatMap((p) => p.map((l) => l.id)),
        parts.flatMap((p, j) => p.map(() => posted.entries[j].id)),
      );
    }
    if (failed.size > 0) await payoutsStore.setLinesFailed(em, [...failed.keys()], [...failed.values()]);
    await payoutsStore.setBatchPaid(em, batch.id, bankReference, paidOn);
    const confirmed = await this.get(id, em);
    // One event with the totals (the per-party lines are read with GET /v1/payout-batches/:id), one per line the bank refused.
    await recordEvent(
      em,
      'payout.batch_confirmed',
      { type: 'payout_batch', id: batch.id },
      {
        batchId: batch.id,
        scope: confirmed.scope,
        scopeCode: confirmed.scopeCode,
        bankReference,
        paidOn,
        totalAmount: confirmed.totalAmount,
        paidAmount: confirmed.paidAmount,
        failedAmount: confirmed.failedAmount,
        lineCount: confirmed.lineCount,
        paidLines: paying.length,
        failedLines: failed.size,
        entryIds,
      },
    );
    for (const line of confirmed.lines.filter((l) => failed.has(l.id)))
      await recordEvent(em, 'payout.line_failed', { type: 'payout_batch', id: batch.id }, failedLineEvent(batch.id, line, 'REFUSED', paidOn));
    return confirmed;
  }

  /** A paid line the bank returned (closed account, wrong name …): its amount goes back to the wallet, still owed. */
  async failLine(em: EntityManager, lineId: string, input: { reason: string; effectiveDate?: string }): Promise<PayoutLineView> {
    const row = isBigintId(String(lineId)) ? await payoutsStore.line(em, lineId, true) : null;
    if (!row) throw new DividendError('UNKNOWN_PAYOUT_LINE', `no payout line ${JSON.stringify(lineId)}`, 'lineId');
    if (row.state !== 'PAID') throw new DividendError('PAYOUT_STATE', `payout line ${lineId} is ${row.state}; only a paid line can come back`, 'lineId', { state: row.state });
    const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
    if (reason === '' || reason.length > DIVIDEND_TEXT_MAX) throw new DividendError('INVALID_DIVIDEND_INPUT', `reason must be 1-${DIVIDEND_TEXT_MAX} characters`, 'reason');
    const effectiveDate = input.effectiveDate ?? businessToday();
    if (!isIsoDate(effectiveDate)) throw new DividendError('INVALID_DIVIDEND_INPUT', 'effectiveDate must be a calendar date YYYY-MM-DD', 'effectiveDate');
    const party = (await partiesByIds(em, [row.party_id])).get(row.party_id)!;
    const amount = new Dec(row.amount).toFixed(2);
    const posted = await this.ledger.post(em, {
      idempotencyKey: `payout-return:${row.id}`,
      kind: 'PAYOUT_RETURN',
      effectiveDate,
      memo: `代发退回 明细 #${row.id} ${amount} 元: ${reason}`,
      metadata: { payoutLine: row.id, reason },
      postings: [
        { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount },
        { account: walletOf(party.code), side: 'CREDIT', amount },
      ],
    });
    await payoutsStore.setLineReturned(em, row.id, reason, posted.entry.id);
    const view = lineView((await payoutsStore.line(em, row.id))!, party);
    await recordEvent(em, 'payout.line_failed', { type: 'payout_batch', id: row.batch_id }, failedLineEvent(row.batch_id, view, 'RETURNED', effectiveDate));
    return view;
  }

  /** Every payout line of one party (the villagers' page), newest first. */
  async payoutsOf(em: EntityManager, partyId: string): Promise<PartyPayoutView[]> {
    return (await payoutsStore.linesOfParty(em, partyId)).map(partyPayoutView);
  }

  /**
   * What wallets in the scope owed on `asOf` (its balance from the postings effective on or before that date), aged
   * as of that date: a wallet's balance is matched to its newest credits
   * (payouts take the oldest money first), and each owed part is aged from its credit's effective date.
   */
  async unclaimed(input: PayoutScopeInput | null, asOf: string = businessToday(), em: EntityManager = this.dataSource.manager): Promise<UnclaimedReport> {
    if (!isIsoDate(asOf)) throw new DividendError('INVALID_DIVIDEND_INPUT', 'asOf must be a calendar date YYYY-MM-DD', 'asOf');
    const parties = input === null ? await this.partiesWithWallets(em) : [...(await partiesByIds(em, await this.partiesInScope(em, input))).values()];
    const owed = await this.ledgerReads.owedCredits(
      em,
      parties.map((p) => walletOf(p.code)),
      asOf,
    );
    const zero = (): Record<AgeBucket, Dec> => Object.fromEntries(AGE_BUCKETS.map((b) => [b, new Dec(0)])) as Record<AgeBucket, Dec>;
    const text = (b: Record<AgeBucket, Dec>) => Object.fromEntries(AGE_BUCKETS.map((k) => [k, b[k].toFixed(2)])) as Record<AgeBucket, string>;
    const totals = zero();
    const lines: UnclaimedLine[] = [];
    for (const party of [...parties].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))) {
      const credits = owed.get(walletOf(party.code));
      if (!credits) continue;
      const buckets = zero();
      for (const c of credits) {
        const bucket = ageBucketOf(c.effectiveDate, asOf);
        buckets[bucket] = buckets[bucket].plus(c.amount);
        totals[bucket] = totals[bucket].plus(c.amount);
      }
      const balance = credits.reduce((s, c) => s.plus(c.amount), new Dec(0));
      lines.push({ party: party.code, name: party.name, balance: balance.toFixed(2), owedSince: credits[0].effectiveDate, buckets: text(buckets) });
    }
    return { asOf, totals: { ...text(totals), all: AGE_BUCKETS.reduce((s, k) => s.plus(totals[k]), new Dec(0)).toFixed(2) }, lines };
  }

  /** Every party with a CNY wallet in the ledger. */
  private async partiesWithWallets(em: EntityManager): Promise<PartyRef[]> {
    const codes: string[] = [];
    let after: string | undefined;
    do {
      const page = await this.ledger.listAccounts({ codePrefix: 'party:', asset: 'CNY', limit: 500, after });
      for (const a of page.items) if (a.code.endsWith(':wallet:CNY')) codes.push(a.code.slice('party:'.length, -':wallet:CNY'.length));
      after = page.nextCursor ?? undefined;
    } while (after !== undefined);
    return [...(await partiesByCodes(em, codes)).values()];
  }

  /** Party ids in a project (its series' holders, its farm and collective), a village or a township (its villages included). */
  private async partiesInScope(em: EntityManager, input: PayoutScopeInput): Promise<string[]> {
    if (!PAYOUT_SCOPES.includes(input.scope)) throw new DividendError('INVALID_DIVIDEND_INPUT', `scope must be one of ${PAYOUT_SCOPES.join(', ')}`, 'scope');
    if (input.scope === 'PROJECT') {
      let project;
      try {
        project = await this.projects.load(em, input.code);
      } catch (error) {
        if (error instanceof ProjectError && error.code === 'UNKNOWN_PROJECT')
          throw new DividendError('INVALID_DIVIDEND_INPUT', `no project with code ${JSON.stringify(input.code)}`, 'code');
        throw error;
      }
      return [...new Set([...(await holderPartyIdsOfProject(em, project.id)), ...(project.farm_party_id === null ? [] : [project.farm_party_id]), project.collective_party_id])];
    }
    const region = await this.regions.find(input.code, em);
    if (!region || region.level !== input.scope)
      throw new DividendError('INVALID_DIVIDEND_INPUT', `no ${input.scope.toLowerCase()} with code ${JSON.stringify(input.code)}`, 'code');
    const regionIds = [region.id];
    if (region.level === 'TOWNSHIP') {
      for (const village of await this.regions.list({ parentCode: region.code })) regionIds.push((await this.regions.find(village.code, em))!.id);
    }
    return partyIdsInRegions(em, regionIds);
  }
}

/** A failed line as its event carries it: the party by code, never its name, ID or card. */
function failedLineEvent(batchId: string, line: PayoutLineView, stage: 'REFUSED' | 'RETURNED', effectiveDate: string): EventData<'payout.line_failed'> {
  return {
    lineId: line.id,
    batchId,
    party: line.party,
    amount: line.amount,
    stage,
    reason: line.failureReason ?? '',
    effectiveDate,
    returnEntryId: line.returnEntryId,
  };
}

function lineView(r: PayoutLineRow, party: PartyRef): PayoutLineView {
  return {
    id: r.id,
    party: party.code,
    name: party.name,
    idMasked: party.idMasked,
    bankName: r.bank_name ?? '',
    cardMasked: r.card_masked ?? '',
    amount: new Dec(r.amount).toFixed(2),
    state: r.state,
    entryId: r.entry_id,
    returnEntryId: r.return_entry_id,
    failureReason: r.failure_reason,
  };
}

/** A CSV field, quoted when needed; a leading = + - @ is prefixed with ' so a spreadsheet does not run it as a formula. */
function csvField(value: string): string {
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
