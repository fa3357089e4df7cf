import { Actor, DeclareInput, DeclarationView, DividendsService, PayoutsService, PiiCipher, projectWallet, walletOf } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { randomUUID } from 'node:crypto';
import { TicketServices } from './tickets.factory';

/** The dividend services over the ticket services of a test database (no Nest container). */
export interface DividendServices {
  dividends: DividendsService;
  payouts: PayoutsService;
}

export function dividendServices(t: TicketServices): DividendServices {
  return {
    dividends: new DividendsService(t.ds, t.ledger),
    payouts: new PayoutsService(t.ds, t.ledger, new PiiCipher(t.env.PII_ENCRYPTION_KEY, t.env.PII_HMAC_KEY)),
  };
}

/** A staff user straight in SQL (the services take the acting user's id and role). */
export async function staffUser(t: TicketServices, role: 'ADMIN' | 'FARM_OPERATOR' | 'APPROVER' | 'AUDITOR'): Promise<Actor> {
  const name = `${role.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  const partyId = role === 'FARM_OPERATOR' ? `(SELECT id FROM parties WHERE kind = 'STATE_FARM' ORDER BY id LIMIT 1)` : 'NULL';
  const [row] = (await t.ds.query(`INSERT INTO users (username, display_name, role, password_hash, party_id) VALUES ($1, $1, $2, 'x', ${partyId}) RETURNING id`, [
    name,
    role,
  ])) as Array<{ id: string }>;
  return { userId: row.id, role };
}

/** Income received into the project's wallet (a pre-dividend), in its own transaction. */
export function fundProject(t: TicketServices, d: DividendServices, project: string, amount: string, effectiveDate = '2026-05-01'): Promise<unknown> {
  return inTransaction(t.ds, (em) =>
    d.dividends.recordIncome(em, project, { kind: 'PRE_DIVIDEND', amount, bankReference: `BANK-${randomUUID().slice(0, 8)}`, effectiveDate }, randomUUID()),
  );
}

/** Declares (by `maker`) and approves (by `checker`) in two transactions. */
export async function declareAndApprove(t: TicketServices, d: DividendServices, maker: Actor, checker: Actor, input: DeclareInput): Promise<DeclarationView> {
  const draft = await inTransaction(t.ds, (em) => d.dividends.declare(em, maker, input));
  return inTransaction(t.ds, (em) => d.dividends.approve(em, draft.id, checker));
}

/** CNY credited to each wallet by the declaration's distribution entries, from the postings themselves. */
export async function paidByDeclaration(t: TicketServices, declarationId: string): Promise<Map<string, string>> {
  const rows = (await t.ds.query(
    `SELECT a.code, SUM(p.amount)::text AS amount, count(*)::int AS n FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id JOIN ledger_accounts a ON a.id = p.account_id
      WHERE e.kind = 'DIVIDEND_DISTRIBUTION' AND e.metadata ->> 'declaration' = $1 AND p.side = 'CREDIT' GROUP BY a.code`,
    [declarationId],
  )) as Array<{ code: string; amount: string; n: number }>;
  for (const r of rows) if (r.n !== 1) throw new Error(`${r.code} was credited ${r.n} times by declaration ${declarationId}`);
  return new Map(rows.map((r) => [r.code, new Dec(r.amount).toFixed(2)]));
}

export { projectWallet, walletOf };
