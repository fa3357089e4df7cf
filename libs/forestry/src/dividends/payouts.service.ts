import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, EntryDraft, isBigintId, isIsoDate, LedgerService } from '@forest-ledger/ledger';
import ExcelJS from 'exceljs';
import { DataSource, EntityManager } from 'typeorm';
import { walletOf } from '../parties/parties.service';
import { PiiCipher } from '../parties/pii';
import { BANK_CLEARING_ACCOUNT, businessToday } from '../projects/project-accounts';
import { PAYOUT_SCOPES, PayoutBatchState, PayoutLineState, PayoutScope } from './dividend.entities';
import { AGE_BUCKETS, AgeBucket, ageBucketOf, maskCard, normaliseCard } from './dividend-math';
import { DividendError } from './dividends.errors';
import type { Actor } from './dividends.service';

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

export interface PayoutBatchView {
  id: string;
  scope: PayoutScope;
  scopeCode: string;
  state: PayoutBatchState;
  totalAmount: string;
  lineCount: number;
  bankReference: string | null;
  paidOn: string | null;
  createdAt: string;
  confirmedAt: string | null;
  lines: PayoutLineView[];
}

export interface CreateBatchOutcome {
  batch: PayoutBatchView;
  /** Parties with money owed but no bank card on record: left out, to be asked for one. */
  withoutCard: string[];
}

export interface BankFile {
  fileName: string;
  csv: Buffer;
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
@Injectable()
export class PayoutsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly pii: PiiCipher,
  ) {}

  /** Records (or replaces) a party's payout card. */
  async setBankCard(em: EntityManager, partyCode: string, input: { bankName: string; cardNumber: string }): Promise<{ party: string; bankName: string; cardMasked: string }> {
    const card = typeof input.cardNumber === 'string' ? normaliseCard(input.cardNumber) : null;
    if (card === null) throw new DividendError('INVALID_BANK_CARD', 'cardNumber must be 12 to 19 digits', 'cardNumber');
    const bankName = typeof input.bankName === 'string' ? input.bankName.trim() : '';
    if (bankName === '' || bankName.length > 100) throw new DividendError('INVALID_DIVIDEND_INPUT', 'bankName must be 1-100 characters', 'bankName');
    const rows = (await em.query(
      `INSERT INTO party_bank_cards (party_id, bank_name, card_cipher, card_masked) SELECT id, $2, $3, $4 FROM parties WHERE code = $1
       ON CONFLICT (party_id) DO UPDATE SET bank_name = EXCLUDED.bank_name, card_cipher = EXCLUDED.card_cipher, card_masked = EXCLUDED.card_masked, updated_at = now()
       RETURNING party_id`,
      [partyCode, bankName, this.pii.encrypt(card), maskCard(card)],
    )) as Array<{ party_id: string }>;
    if (rows.length === 0) throw new DividendError('INVALID_DIVIDEND_INPUT', `no party with code ${JSON.stringify(partyCode)}`, 'party');
    return { party: partyCode, bankName, cardMasked: maskCard(card) };
  }

  /**
   * A batch of every wallet in the scope with a positive balance, an active party, a card on record and
   * no line in another open batch; each line is the wallet's whole balance now.
   */
  async createBatch(em: EntityManager, actor: Actor, input: PayoutScopeInput): Promise<CreateBatchOutcome> {
    const parties = await this.partiesInScope(em, input);
    const rows = (await em.query(
      `SELECT p.id, p.code, (a.credits - a.debits)::text AS balance, c.party_id IS NOT NULL AS has_card
         FROM parties p JOIN ledger_accounts a ON a.code = 'party:' || p.code || ':wallet:CNY' LEFT JOIN party_bank_cards c ON c.party_id = p.id
        WHERE p.id = ANY($1::bigint[]) AND p.active AND NOT a.frozen AND a.credits > a.debits
          AND NOT EXISTS (SELECT 1 FROM payout_lines l JOIN payout_batches b ON b.id = l.batch_id WHERE l.party_id = p.id AND b.state = 'OPEN')
        ORDER BY a.id FOR UPDATE OF a`,
      [parties],
    )) as Array<{ id: string; code: string; balance: string; has_card: boolean }>;
    const paying = rows.filter((r) => r.has_card);
    if (paying.length === 0)
      throw new DividendError('NOTHING_TO_PAY', `no wallet in ${input.scope} ${input.code} has money to pay to a card on record`, 'scope', {
        withoutCard: rows.map((r) => r.code),
      });
    const total = paying.reduce((s, r) => s.plus(r.balance), new Dec(0)).toFixed(2);
    const [batch] = (await em.query(`INSERT INTO payout_batches (scope, scope_code, total_amount, line_count, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [
      input.scope,
      input.code,
      total,
      paying.length,
      actor.userId,
    ])) as Array<{ id: string }>;
    await em.query(
      `INSERT INTO payout_lines (batch_id, party_id, amount) SELECT $1, t.party_id, t.amount FROM unnest($2::bigint[], $3::numeric[]) WITH ORDINALITY AS t(party_id, amount, n) ORDER BY t.n`,
      [batch.id, paying.map((r) => r.id), paying.map((r) => new Dec(r.balance).toFixed(2))],
    );
    return { batch: await this.get(batch.id, em), withoutCard: rows.filter((r) => !r.has_card).map((r) => r.code) };
  }

  async get(id: string, em: EntityManager = this.dataSource.manager): Promise<PayoutBatchView> {
    const [b] = isBigintId(String(id))
      ? ((await em.query(
          `SELECT id, scope, scope_code, state, total_amount::text AS total_amount, line_count, bank_reference, to_char(paid_on, 'YYYY-MM-DD') AS paid_on, created_at, confirmed_at FROM payout_batches WHERE id = $1`,
          [id],
        )) as Array<{
          id: string;
          scope: PayoutScope;
          scope_code: string;
          state: PayoutBatchState;
          total_amount: string;
          line_count: number;
          bank_reference: string | null;
          paid_on: string | null;
          created_at: Date;
          confirmed_at: Date | null;
        }>)
      : [];
    if (!b) throw new DividendError('UNKNOWN_PAYOUT_BATCH', `no payout batch ${JSON.stringify(id)}`, 'id');
    const lines = (await em.query(`${LINE_SELECT} WHERE l.batch_id = $1 ORDER BY l.id`, [id])) as LineRow[];
    return {
      id: b.id,
      scope: b.scope,
      scopeCode: b.scope_code,
      state: b.state,
      totalAmount: new Dec(b.total_amount).toFixed(2),
      lineCount: b.line_count,
      bankReference: b.bank_reference,
      paidOn: b.paid_on,
      createdAt: b.created_at.toISOString(),
      confirmedAt: b.confirmed_at?.toISOString() ?? null,
      lines: lines.map(lineView),
    };
  }

  /** The bank payment file, CSV (UTF-8 with BOM, for Excel) and XLSX: 序号, 户名, 证件号码 (masked), 开户行, 银行卡号 (full), 金额, 附言. */
  async bankFile(id: string, em: EntityManager = this.dataSource.manager): Promise<BankFile> {
    const batch = await this.get(id, em);
    const cards = (await em.query(`SELECT l.id, c.card_cipher FROM payout_lines l JOIN party_bank_cards c ON c.party_id = l.party_id WHERE l.batch_id = $1`, [id])) as Array<{
      id: string;
      card_cipher: string;
    }>;
    const cardOf = new Map(cards.map((c) => [c.id, this.pii.decrypt(c.card_cipher)]));
    const header = ['序号', '户名', '证件号码', '开户行', '银行卡号', '金额', '附言'];
    const rows = batch.lines
      .filter((l) => l.state === 'PENDING')
      .map((l, i) => [String(i + 1), l.name, l.idMasked ?? '', l.bankName, cardOf.get(l.id) ?? '', l.amount, `林账代发 批次${batch.id} 明细${l.id}`]);
    const csv = Buffer.from(`\uFEFF${[header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`, 'utf8');
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('代发明细');
    sheet.addRow(header);
    // Card numbers and amounts as text: Excel would show a 19-digit card in exponent form and drop digits.
    for (const r of rows) sheet.addRow(r);
    sheet.addRow([
      '合计',
      '',
      '',
      '',
      '',
      batch.lines
        .filter((l) => l.state === 'PENDING')
        .reduce((s, l) => s.plus(l.amount), new Dec(0))
        .toFixed(2),
      `${rows.length} 笔`,
    ]);
    sheet.columns.forEach((c, i) => (c.width = [6, 12, 22, 24, 24, 14, 30][i]));
    const xlsx = Buffer.from(await workbook.xlsx.writeBuffer());
    return { fileName: `payout-batch-${batch.id}`, csv, xlsx };
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
    await em.query(`SELECT 1 FROM payout_batches WHERE id = $1 FOR UPDATE`, [isBigintId(String(id)) ? id : '0']);
    const batch = await this.get(id, em);
    if (batch.state !== 'OPEN') throw new DividendError('PAYOUT_STATE', `payout batch ${id} is ${batch.state}`, 'id', { state: batch.state });
    const bankReference = typeof input.bankReference === 'string' ? input.bankReference.trim() : '';
    if (bankReference === '' || bankReference.length > 200) throw new DividendError('INVALID_DIVIDEND_INPUT', 'bankReference must be 1-200 characters', 'bankReference');
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
    if (drafts.length > 0) {
      const posted = await this.ledger.postBatch(em, drafts);
      await em.query(`UPDATE payout_lines l SET state = 'PAID', entry_id = v.entry_id FROM unnest($1::bigint[], $2::bigint[]) AS v(id, entry_id) WHERE l.id = v.id`, [
        parts.flatMap((p) => p.map((l) => l.id)),
        parts.flatMap((p, j) => p.map(() => posted.entries[j].id)),
      ]);
    }
    if (failed.size > 0) {
      await em.query(`UPDATE payout_lines l SET state = 'FAILED', failure_reason = v.reason FROM unnest($1::bigint[], $2::text[]) AS v(id, reason) WHERE l.id = v.id`, [
        [...failed.keys()],
        [...failed.values()],
      ]);
    }
    await em.query(`UPDATE payout_batches SET state = 'PAID', bank_reference = $2, paid_on = $3, confirmed_at = now() WHERE id = $1`, [batch.id, bankReference, paidOn]);
    return this.get(id, em);
  }

  /** A paid line the bank returned (closed account, wrong name …): its amount goes back to the wallet, still owed. */
  async failLine(em: EntityManager, lineId: string, input: { reason: string; effectiveDate?: string }): Promise<PayoutLineView> {
    const [row] = isBigintId(String(lineId)) ? ((await em.query(`${LINE_SELECT} WHERE l.id = $1 FOR UPDATE OF l`, [lineId])) as LineRow[]) : [];
    if (!row) throw new DividendError('UNKNOWN_PAYOUT_LINE', `no payout line ${JSON.stringify(lineId)}`, 'lineId');
    if (row.state !== 'PAID') throw new DividendError('PAYOUT_STATE', `payout line ${lineId} is ${row.state}; only a paid line can come back`, 'lineId', { state: row.state });
    const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
    if (reason === '' || reason.length > 200) throw new DividendError('INVALID_DIVIDEND_INPUT', 'reason must be 1-200 characters', 'reason');
    const effectiveDate = input.effectiveDate ?? businessToday();
    if (!isIsoDate(effectiveDate)) throw new DividendError('INVALID_DIVIDEND_INPUT', 'effectiveDate must be a calendar date YYYY-MM-DD', 'effectiveDate');
    const amount = new Dec(row.amount).toFixed(2);
    const posted = await this.ledger.post(em, {
      idempotencyKey: `payout-return:${row.id}`,
      kind: 'PAYOUT_RETURN',
      effectiveDate,
      memo: `代发退回 明细 #${row.id} ${amount} 元: ${reason}`,
      metadata: { payoutLine: row.id, reason },
      postings: [
        { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount },
        { account: walletOf(row.code), side: 'CREDIT', amount },
      ],
    });
    await em.query(`UPDATE payout_lines SET state = 'FAILED', failure_reason = $2, return_entry_id = $3 WHERE id = $1`, [row.id, reason, posted.entry.id]);
    const [updated] = (await em.query(`${LINE_SELECT} WHERE l.id = $1`, [row.id])) as LineRow[];
    return lineView(updated);
  }

  /**
   * What wallets in the scope still owe, aged: a wallet's balance is matched to its newest credits
   * (payouts take the oldest money first), and each owed part is aged from its credit's effective date.
   */
  async unclaimed(input: PayoutScopeInput | null, asOf: string = businessToday(), em: EntityManager = this.dataSource.manager): Promise<UnclaimedReport> {
    if (!isIsoDate(asOf)) throw new DividendError('INVALID_DIVIDEND_INPUT', 'asOf must be a calendar date YYYY-MM-DD', 'asOf');
    const parties = input === null ? null : await this.partiesInScope(em, input);
    const rows = (await em.query(
      `WITH w AS (
         SELECT a.id, p.code, p.name, a.credits - a.debits AS balance FROM ledger_accounts a JOIN parties p ON a.code = 'party:' || p.code || ':wallet:CNY'
          WHERE a.credits > a.debits AND ($1::bigint[] IS NULL OR p.id = ANY($1::bigint[]))
       ), c AS (
         SELECT w.id, w.code, w.name, w.balance, x.effective_date, x.amount,
                SUM(x.amount) OVER (PARTITION BY w.id ORDER BY x.effective_date DESC, x.id DESC) AS running
           FROM w JOIN ledger_postings x ON x.account_id = w.id AND x.side = 'CREDIT'
       )
       SELECT code, name, balance::text AS balance, to_char(effective_date, 'YYYY-MM-DD') AS since, LEAST(amount, balance - (running - amount))::text AS owed
         FROM c WHERE running - amount < balance ORDER BY code, effective_date`,
      [parties],
    )) as Array<{ code: string; name: string; balance: string; since: string; owed: string }>;
    const zero = (): Record<AgeBucket, Dec> => Object.fromEntries(AGE_BUCKETS.map((b) => [b, new Dec(0)])) as Record<AgeBucket, Dec>;
    const byParty = new Map<string, { name: string; balance: string; since: string; buckets: Record<AgeBucket, Dec> }>();
    const totals = zero();
    for (const r of rows) {
      const line = byParty.get(r.code) ?? { name: r.name, balance: r.balance, since: r.since, buckets: zero() };
      const bucket = ageBucketOf(r.since, asOf);
      line.buckets[bucket] = line.buckets[bucket].plus(r.owed);
      totals[bucket] = totals[bucket].plus(r.owed);
      byParty.set(r.code, line);
    }
    const text = (b: Record<AgeBucket, Dec>) => Object.fromEntries(AGE_BUCKETS.map((k) => [k, b[k].toFixed(2)])) as Record<AgeBucket, string>;
    return {
      asOf,
      totals: { ...text(totals), all: AGE_BUCKETS.reduce((s, k) => s.plus(totals[k]), new Dec(0)).toFixed(2) },
      lines: [...byParty.entries()].map(([party, l]) => ({ party, name: l.name, balance: new Dec(l.balance).toFixed(2), owedSince: l.since, buckets: text(l.buckets) })),
    };
  }

  /** Party ids in a project (its series' holders, its farm and collective), a village or a township. */
  private async partiesInScope(em: EntityManager, input: PayoutScopeInput): Promise<string[]> {
    if (!PAYOUT_SCOPES.includes(input.scope)) throw new DividendError('INVALID_DIVIDEND_INPUT', `scope must be one of ${PAYOUT_SCOPES.join(', ')}`, 'scope');
    let rows: Array<{ id: string }>;
    if (input.scope === 'PROJECT') {
      const [project] = (await em.query(`SELECT id, farm_party_id, collective_party_id FROM coop_projects WHERE code = $1`, [input.code])) as Array<{
        id: string;
        farm_party_id: string;
        collective_party_id: string;
      }>;
      if (!project) throw new DividendError('INVALID_DIVIDEND_INPUT', `no project with code ${JSON.stringify(input.code)}`, 'code');
      rows = (await em.query(
        `SELECT h.party_id AS id FROM ticket_holdings h JOIN ticket_series s ON s.id = h.series_id WHERE s.project_id = $1 UNION SELECT $2::bigint UNION SELECT $3::bigint`,
        [project.id, project.farm_party_id, project.collective_party_id],
      )) as Array<{ id: string }>;
    } else {
      const [region] = (await em.query(`SELECT id, level FROM regions WHERE code = $1`, [input.code])) as Array<{ id: string; level: string }>;
      if (!region || region.level !== input.scope)
        throw new DividendError('INVALID_DIVIDEND_INPUT', `no ${input.scope.toLowerCase()} with code ${JSON.stringify(input.code)}`, 'code');
      rows = (await em.query(`SELECT p.id FROM parties p JOIN regions r ON r.id = p.region_id WHERE r.id = $1 OR r.parent_id = $1`, [region.id])) as Array<{ id: string }>;
    }
    return rows.map((r) => r.id);
  }
}

interface LineRow {
  id: string;
  code: string;
  name: string;
  id_masked: string | null;
  bank_name: string | null;
  card_masked: string | null;
  amount: string;
  state: PayoutLineState;
  entry_id: string | null;
  return_entry_id: string | null;
  failure_reason: string | null;
}

const LINE_SELECT = `SELECT l.id, p.code, p.name, p.id_masked, c.bank_name, c.card_masked, l.amount::text AS amount, l.state, l.entry_id, l.return_entry_id, l.failure_reason
  FROM payout_lines l JOIN parties p ON p.id = l.party_id LEFT JOIN party_bank_cards c ON c.party_id = l.party_id`;

function lineView(r: LineRow): PayoutLineView {
  return {
    id: r.id,
    party: r.code,
    name: r.name,
    idMasked: r.id_masked,
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
