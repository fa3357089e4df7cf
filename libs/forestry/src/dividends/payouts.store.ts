import type { SealedColumns } from '../parties/pii';
import { EntityManager } from 'typeorm';
import type { PayoutBatchState, PayoutLineState, PayoutScope } from './dividend.model';

export interface PayoutBatchRow {
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
}

/** A payout line with its party's card on record (bank name and masked number, null without a card). */
export interface PayoutLineRow {
  id: string;
  batch_id: string;
  party_id: string;
  bank_name: string | null;
  card_masked: string | null;
  amount: string;
  state: PayoutLineState;
  entry_id: string | null;
  return_entry_id: string | null;
  failure_reason: string | null;
}

const BATCH_SELECT = `SELECT id::text AS id, scope, scope_code, state, total_amount::text AS total_amount, line_count, bank_reference, to_char(paid_on, 'YYYY-MM-DD') AS paid_on,
       created_at, confirmed_at FROM payout_batches`;

const LINE_SELECT = `SELECT l.id::text AS id, l.batch_id::text AS batch_id, l.party_id::text AS party_id, c.bank_name, c.card_masked, l.amount::text AS amount, l.state,
       l.entry_id::text AS entry_id, l.return_entry_id::text AS return_entry_id, l.failure_reason
  FROM payout_lines l LEFT JOIN party_bank_cards c ON c.party_id = l.party_id`;

/** The only SQL on payout_batches, payout_lines and party_bank_cards. */
export const payoutsStore = {
  /** Records or replaces the party's card (sealed number and its masked copy). */
  async upsertCard(em: EntityManager, partyId: string, card: { bankName: string; cipher: string; masked: string }): Promise<void> {
    await em.query(
      `INSERT INTO party_bank_cards (party_id, bank_name, card_cipher, card_masked) VALUES ($1, $2, $3, $4)
       ON CONFLICT (party_id) DO UPDATE SET bank_name = EXCLUDED.bank_name, card_cipher = EXCLUDED.card_cipher, card_masked = EXCLUDED.card_masked, updated_at = now()`,
      [partyId, card.bankName, card.cipher, card.masked],
    );
  },

  /** Locks the cards of these parties (FOR UPDATE, in id order: two batches over the same parties take turns); returns the parties with a card. */
  async lockCards(em: EntityManager, partyIds: readonly string[]): Promise<Set<string>> {
    if (partyIds.length === 0) return new Set();
    const rows = await em.query<Array<{ party_id: string }>>(
      `SELECT party_id::text AS party_id FROM party_bank_cards WHERE party_id = ANY($1::bigint[]) ORDER BY party_id FOR UPDATE`,
      [[...new Set(partyIds)]],
    );
    return new Set(rows.map((r) => r.party_id));
  },

  /** The sealed card number of each line's party, by line id. */
  async cardCiphersOfBatch(em: EntityManager, batchId: string): Promise<Map<string, string>> {
    const rows = await em.query<Array<{ id: string; card_cipher: string }>>(
      `SELECT l.id::text AS id, c.card_cipher FROM payout_lines l JOIN party_bank_cards c ON c.party_id = l.party_id WHERE l.batch_id = $1`,
      [batchId],
    );
    return new Map(rows.map((r) => [r.id, r.card_cipher]));
  },

  /** Which of these parties have a line in an OPEN batch. */
  async inOpenBatches(em: EntityManager, partyIds: readonly string[]): Promise<Set<string>> {
    if (partyIds.length === 0) return new Set();
    const rows = await em.query<Array<{ party_id: string }>>(
      `SELECT DISTINCT l.party_id::text AS party_id FROM payout_lines l JOIN payout_batches b ON b.id = l.batch_id WHERE l.party_id = ANY($1::bigint[]) AND b.state = 'OPEN'`,
      [[...new Set(partyIds)]],
    );
    return new Set(rows.map((r) => r.party_id));
  },

  /** A new OPEN batch with its lines (in the order given). */
  async insertBatch(
    em: EntityManager,
    batch: { scope: PayoutScope; scopeCode: string; total: string; createdBy: string },
    lines: Array<{ partyId: string; amount: string }>,
  ): Promise<string> {
    const [row] = await em.query<Array<{ id: string }>>(
      `INSERT INTO payout_batches (scope, scope_code, total_amount, line_count, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id::text AS id`,
      [batch.scope, batch.scopeCode, batch.total, lines.length, batch.createdBy],
    );
    await em.query(
      `INSERT INTO payout_lines (batch_id, party_id, amount) SELECT $1, t.party_id, t.amount FROM unnest($2::bigint[], $3::numeric[]) WITH ORDINALITY AS t(party_id, amount, n) ORDER BY t.n`,
      [row.id, lines.map((l) => l.partyId), lines.map((l) => l.amount)],
    );
    return row.id;
  },

  /** The batch (`lock`: FOR UPDATE of its row first), or null. */
  async batch(em: EntityManager, id: string, lock = false): Promise<PayoutBatchRow | null> {
    if (lock) await em.query(`SELECT 1 FROM payout_batches WHERE id = $1 FOR UPDATE`, [id]);
    const [row] = await em.query<PayoutBatchRow[]>(`${BATCH_SELECT} WHERE id = $1`, [id]);
    return row ?? null;
  },

  async linesOfBatch(em: EntityManager, batchId: string): Promise<PayoutLineRow[]> {
    return await em.query<PayoutLineRow[]>(`${LINE_SELECT} WHERE l.batch_id = $1 ORDER BY l.id`, [batchId]);
  },

  /** The line (`lock`: FOR UPDATE of it), or null. */
  async line(em: EntityManager, id: string, lock = false): Promise<PayoutLineRow | null> {
    const [row] = await em.query<PayoutLineRow[]>(`${LINE_SELECT} WHERE l.id = $1${lock ? ' FOR UPDATE OF l' : ''}`, [id]);
    return row ?? null;
  },

  async setLinesPaid(em: EntityManager, lineIds: string[], entryIds: string[]): Promise<void> {
    await em.query(`UPDATE payout_lines l SET state = 'PAID', entry_id = v.entry_id FROM unnest($1::bigint[], $2::bigint[]) AS v(id, entry_id) WHERE l.id = v.id`, [
      lineIds,
      entryIds,
    ]);
  },

  async setLinesFailed(em: EntityManager, lineIds: string[], reasons: string[]): Promise<void> {
    await em.query(`UPDATE payout_lines l SET state = 'FAILED', failure_reason = v.reason FROM unnest($1::bigint[], $2::text[]) AS v(id, reason) WHERE l.id = v.id`, [
      lineIds,
      reasons,
    ]);
  },

  async setBatchPaid(em: EntityManager, id: string, bankReference: string, paidOn: string): Promise<void> {
    await em.query(`UPDATE payout_batches SET state = 'PAID', bank_reference = $2, paid_on = $3, confirmed_at = now() WHERE id = $1`, [id, bankReference, paidOn]);
  },

  /** A paid line the bank returned, with the entry that booked the money back. */
  async setLineReturned(em: EntityManager, id: string, reason: string, returnEntryId: string): Promise<void> {
    await em.query(`UPDATE payout_lines SET state = 'FAILED', failure_reason = $2, return_entry_id = $3 WHERE id = $1`, [id, reason, returnEntryId]);
  },

  /** Every payout line of one party with its batch's dates (Asia/Shanghai), newest first. */
  async linesOfParty(em: EntityManager, partyId: string): Promise<PartyPayoutRow[]> {
    return await em.query<PartyPayoutRow[]>(partyPayoutsSql('$1'), [partyId]);
  },
};

/** A payout line of a party with its batch's dates. */
export type PartyPayoutRow = PayoutLineRow & { paid_on: string | null; created_on: string };

/** PartyPayoutRows of the party whose id is the SQL expression `partyId`, newest first: a fragment for a composed read (one statement). */
export function partyPayoutsSql(partyId: string): string {
  return `SELECT l.id::text AS id, l.batch_id::text AS batch_id, l.party_id::text AS party_id, c.bank_name, c.card_masked, l.amount::text AS amount, l.state,
                 l.entry_id::text AS entry_id, l.return_entry_id::text AS return_entry_id, l.failure_reason,
                 to_char(b.paid_on, 'YYYY-MM-DD') AS paid_on, to_char(b.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS created_on
            FROM payout_lines l JOIN payout_batches b ON b.id = l.batch_id LEFT JOIN party_bank_cards c ON c.party_id = l.party_id
           WHERE l.party_id = ${partyId} ORDER BY l.id DESC`;
}

/** The card number column sealed by PiiCipher, for key rotation. */
export const BANK_CARD_SEALED_COLUMNS: SealedColumns = { table: 'party_bank_cards', id: 'party_id', cipher: 'card_cipher', hmac: null, hmacKind: null };
