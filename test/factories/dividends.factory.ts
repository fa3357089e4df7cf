import {
  Actor,
  BankCardsService,
  DeclareInput,
  DeclarationView,
  DividendDeclarationsService,
  DividendDistributionService,
  PayoutsService,
  PiiCipher,
  ProjectCashFlowsService,
  projectWallet,
  RegionsService,
  walletOf,
} from '@forest-ledger/forestry';
import { Dec, LedgerReads } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { randomUUID } from 'node:crypto';
import { TicketServices } from './tickets.factory';

/** The public methods of a service (a mapped type keeps no private members, so services intersect). */
type Public<T> = { [K in keyof T]: T[K] };

/** The dividend use cases under one name, as the tests call them (d.dividends.declare, d.dividends.distribute …). */
export type DividendsFacade = Public<ProjectCashFlowsService> & Public<DividendDeclarationsService> & Public<DividendDistributionService>;
/** Payouts and bank cards under one name (d.payouts.setBankCard, d.payouts.createBatch …). */
export type PayoutsFacade = Public<PayoutsService> & Public<BankCardsService>;

/** The dividend services over the ticket services of a test database (no Nest container). */
export interface DividendServices {
  cashFlows: ProjectCashFlowsService;
  declarations: DividendDeclarationsService;
  distribution: DividendDistributionService;
  bankCards: BankCardsService;
  dividends: DividendsFacade;
  payouts: PayoutsFacade;
}

/** One object with the bound public methods of `services` (test convenience only). */
function facade<T>(...services: object[]): T {
  const out: Record<string, unknown> = {};
  for (const service of services) {
    for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(service))) {
      const member = (service as Record<string, unknown>)[name];
      if (name !== 'constructor' && typeof member === 'function') out[name] = (member as (...args: unknown[]) => unknown).bind(service);
    }
  }
  return out as T;
}

export function dividendServices(t: TicketServices): DividendServices {
  const reads = new LedgerReads();
  const pii = new PiiCipher(t.env.PII_ENCRYPTION_KEY, t.env.PII_HMAC_KEY);
  const cashFlows = new ProjectCashFlowsService(t.ds, t.ledger, reads, t.projects);
  const declarations = new DividendDeclarationsService(t.ds, t.ledger, t.projects, t.series, cashFlows);
  const distribution = new DividendDistributionService(t.ds, t.ledger, reads, t.series, declarations);
  const payouts = new PayoutsService(t.ds, t.ledger, reads, pii, t.projects, new RegionsService(t.ds));
  const bankCards = new BankCardsService(pii);
  return {
    cashFlows,
    declarations,
    distribution,
    bankCards,
    dividends: facade<DividendsFacade>(cashFlows, declarations, distribution),
    payouts: facade<PayoutsFacade>(payouts, bankCards),
  };
}

/** A staff user straight in SQL (the services take the acting user's id and role). */
export async function staffUser(t: TicketServices, role: 'ADMIN' | 'FARM_OPERATOR' | 'APPROVER' | 'AUDITOR'): Promise<Actor> {
  const name = `${role.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  const partyId = role === 'FARM_OPERATOR' ? `(SELECT id FROM parties WHERE kind = 'STATE_FARM' ORDER BY id LIMIT 1)` : 'NULL';
  const [row] = await t.ds.query<Array<{ id: string }>>(
    `INSERT INTO users (username, display_name, role, password_hash, party_id) VALUES ($1, $1, $2, 'x', ${partyId}) RETURNING id`,
    [name, role],
  );
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
  const rows = await t.ds.query<Array<{ code: string; amount: string; n: number }>>(
    `SELECT a.code, SUM(p.amount)::text AS amount, count(*)::int AS n FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id JOIN ledger_accounts a ON a.id = p.account_id
      WHERE e.kind = 'DIVIDEND_DISTRIBUTION' AND e.metadata ->> 'declaration' = $1 AND p.side = 'CREDIT' GROUP BY a.code`,
    [declarationId],
  );
  for (const r of rows) if (r.n !== 1) throw new Error(`${r.code} was credited ${r.n} times by declaration ${declarationId}`);
  return new Map(rows.map((r) => [r.code, new Dec(r.amount).toFixed(2)]));
}

export { projectWallet, walletOf };
