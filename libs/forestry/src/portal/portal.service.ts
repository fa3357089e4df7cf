import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, LedgerService } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { DividendsService, PartyDividendView } from '../dividends/dividends.service';
import type { PayoutLineState } from '../dividends/dividend.entities';
import { PartyError } from '../parties/parties.errors';
import { walletOf } from '../parties/parties.service';
import { businessToday, holderTickets } from '../projects/project-accounts';
import { RESTRICTION_LABELS } from '../tickets/certificates.service';
import type { TransferRestriction } from '../tickets/ticket.model';
import { renderAnnualStatementPdf } from './annual-statement-pdf';

/** One 林票 holding as its holder sees it: free and pledged units, face value, and who holds the pledge. */
export interface PortalHolding {
  certificateNo: string;
  series: string;
  seriesName: string;
  project: string;
  projectName: string;
  faceValue: string;
  units: string;
  pledgedUnits: string;
  /** (units + pledged) × face value. */
  faceAmount: string;
  transferRestriction: TransferRestriction;
  transferRestrictionLabel: string;
  issuedOn: string;
  pledges: Array<{ pledgee: string; units: string; contractReference: string; since: string }>;
}

export interface PortalPayout {
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

/** Everything the villagers' page shows, for one party only. */
export interface PortalOverview {
  asOf: string;
  holder: { code: string; name: string; idMasked: string | null };
  holdings: PortalHolding[];
  dividends: PartyDividendView[];
  wallet: { account: string; balance: string };
  payouts: PortalPayout[];
  /** Years with an annual statement (from the first year the holder had tickets or money, to this year). */
  statementYears: number[];
}

export interface AnnualStatement {
  year: number;
  /** Dec 31, or today for the current year. */
  closingDate: string;
  printedOn: string;
  holder: { code: string; name: string; idMasked: string | null };
  holdings: Array<{ series: string; seriesName: string; projectName: string; faceValue: string; units: string; pledgedUnits: string; faceAmount: string }>;
  dividends: Array<{ paymentDate: string; projectName: string; series: string; units: string; amountPerUnit: string; amount: string; paid: boolean }>;
  dividendsTotal: string;
  payouts: Array<{ paidOn: string; amount: string; state: PayoutLineState; cardMasked: string | null }>;
  payoutsTotal: string;
  wallet: { opening: string; credits: string; debits: string; closing: string };
}

export const FIRST_STATEMENT_YEAR = 2000;

interface UnitsRow {
  face_value: string;
  units: string;
  pledged: string;
}

/** A holding worth showing: some units, free or pledged. */
const held = (r: UnitsRow): boolean => !new Dec(r.units).plus(r.pledged).isZero();

/** Face value, free and pledged units, and (units + pledged) × face value, as display strings. */
function unitFigures(r: UnitsRow): { faceValue: string; units: string; pledgedUnits: string; faceAmount: string } {
  return {
    faceValue: new Dec(r.face_value).toFixed(2),
    units: new Dec(r.units).toFixed(0),
    pledgedUnits: new Dec(r.pledged).toFixed(0),
    faceAmount: new Dec(r.units).plus(r.pledged).times(r.face_value).toFixed(2),
  };
}

interface HolderRow {
  id: string;
  code: string;
  name: string;
  id_masked: string | null;
}

/**
 * The villagers' page (DOMAIN.md §4): a holder's own tickets, dividends, wallet and payouts, and their
 * annual statement. Every read is keyed by the caller's own party code; nothing here takes another
 * party's code from the request.
 */
@Injectable()
export class PortalService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly dividends: DividendsService,
  ) {}

  /** Read in one REPEATABLE READ snapshot, so a distribution committing meanwhile shows wholly or not at all. */
  overview(partyCode: string, asOf: string = businessToday()): Promise<PortalOverview> {
    return this.dataSource.transaction('REPEATABLE READ', (em) => this.readOverview(em, partyCode, asOf));
  }

  private async readOverview(em: EntityManager, partyCode: string, asOf: string): Promise<PortalOverview> {
    const holder = await this.holder(em, partyCode);
    // One after another: pg warns about overlapping queries on one client.
    const holdings = await this.holdings(em, holder);
    const dividends = await this.dividends.dividendsOf(partyCode, em);
    const wallet = await this.ledger.getAccount(walletOf(partyCode), em);
    const payouts = await this.payouts(em, holder);
    const firstYear = await this.firstYear(em, holder);
    const thisYear = Number(asOf.slice(0, 4));
    const statementYears: number[] = [];
    for (let year = thisYear; year >= Math.max(firstYear ?? thisYear, FIRST_STATEMENT_YEAR); year--) statementYears.push(year);
    return {
      asOf,
      holder: { code: holder.code, name: holder.name, idMasked: holder.id_masked },
      holdings,
      dividends,
      wallet: { account: wallet.code, balance: wallet.balance },
      payouts,
      statementYears,
    };
  }

  /** The year's statement: holdings at its end, dividends paid in it, payouts, and the wallet's movement. */
  async annualStatement(partyCode: string, year: number, today: string = businessToday()): Promise<AnnualStatement> {
    const thisYear = Number(today.slice(0, 4));
    if (!Number.isInteger(year) || year < FIRST_STATEMENT_YEAR || year > thisYear) {
      throw new PartyError('VALIDATION_FAILED', `year must be a whole year from ${FIRST_STATEMENT_YEAR} to ${thisYear}; got ${String(year)}`, 'year');
    }
    return this.dataSource.transaction('REPEATABLE READ', (em) => this.readStatement(em, partyCode, year, today));
  }

  private async readStatement(em: EntityManager, partyCode: string, year: number, today: string): Promise<AnnualStatement> {
    const holder = await this.holder(em, partyCode);
    const closingDate = year === Number(today.slice(0, 4)) ? today : `${year}-12-31`;
    const opening = `${year - 1}-12-31`;

    const units = (await em.query(
      `SELECT s.code AS series, s.name AS series_name, pr.name AS project_name, s.face_value::text AS face_value,
              COALESCE(SUM(CASE WHEN a.code = $2 || s.code THEN CASE p.side WHEN 'CREDIT' THEN p.amount ELSE -p.amount END END), 0)::text AS units,
              COALESCE(SUM(CASE WHEN a.code = $2 || s.code || ':pledged' THEN CASE p.side WHEN 'CREDIT' THEN p.amount ELSE -p.amount END END), 0)::text AS pledged
         FROM ticket_holdings h JOIN ticket_series s ON s.id = h.series_id JOIN coop_projects pr ON pr.id = s.project_id
         JOIN ledger_accounts a ON a.code IN ($2 || s.code, $2 || s.code || ':pledged')
         JOIN ledger_postings p ON p.account_id = a.id AND p.effective_date <= $3::date
        WHERE h.party_id = $1 GROUP BY s.id, pr.id ORDER BY s.code`,
      [holder.id, holderTickets(partyCode, ''), closingDate],
    )) as Array<{ series: string; series_name: string; project_name: string; face_value: string; units: string; pledged: string }>;
    const holdings = units.filter(held).map((r) => ({ series: r.series, seriesName: r.series_name, projectName: r.project_name, ...unitFigures(r) }));

    const dividends = (await this.dividends.dividendsOf(partyCode, em))
      .filter((d) => d.paymentDate >= `${year}-01-01` && d.paymentDate <= closingDate)
      .reverse()
      .map((d) => ({ paymentDate: d.paymentDate, projectName: d.projectName, series: d.series, units: d.units, amountPerUnit: d.amountPerUnit, amount: d.amount, paid: d.paid }));
    const payouts = (await this.payouts(em, holder))
      .filter((p) => p.paidOn !== null && p.paidOn >= `${year}-01-01` && p.paidOn <= closingDate)
      .reverse()
      .map((p) => ({ paidOn: p.paidOn!, amount: p.amount, state: p.state, cardMasked: p.cardMasked }));

    const wallet = walletOf(partyCode);
    const [before, after] = [await this.ledger.balanceAsOf(wallet, opening, em), await this.ledger.balanceAsOf(wallet, closingDate, em)];
    const sum = (xs: Array<{ amount: string }>) => xs.reduce((total, x) => total.plus(x.amount), new Dec(0)).toFixed(2);
    return {
      year,
      closingDate,
      printedOn: today,
      holder: { code: holder.code, name: holder.name, idMasked: holder.id_masked },
      holdings,
      dividends,
      dividendsTotal: sum(dividends),
      payouts,
      payoutsTotal: sum(payouts.filter((p) => p.state === 'PAID')),
      wallet: {
        opening: before.balance,
        // A wallet is credit-normal: credits add to it, debits take from it.
        credits: new Dec(after.credits).minus(before.credits).toFixed(2),
        debits: new Dec(after.debits).minus(before.debits).toFixed(2),
        closing: after.balance,
      },
    };
  }

  async annualStatementPdf(partyCode: string, year: number, today: string = businessToday()): Promise<{ fileName: string; buffer: Buffer }> {
    const statement = await this.annualStatement(partyCode, year, today);
    return { fileName: `林账年度对账单-${year}-${partyCode}.pdf`, buffer: await renderAnnualStatementPdf(statement) };
  }

  private async holder(em: EntityManager, partyCode: string): Promise<HolderRow> {
    const [row] = (await em.query(`SELECT id, code, name, id_masked FROM parties WHERE code = $1`, [partyCode])) as HolderRow[];
    if (!row) throw new PartyError('UNKNOWN_PARTY', `no party ${JSON.stringify(partyCode)}`, 'party');
    return row;
  }

  private async holdings(em: EntityManager, holder: HolderRow): Promise<PortalHolding[]> {
    const rows = (await em.query(
      `SELECT h.certificate_no, s.code AS series, s.name AS series_name, pr.code AS project, pr.name AS project_name, s.face_value::text AS face_value,
              s.transfer_restriction, to_char(s.issued_on, 'YYYY-MM-DD') AS issued_on,
              COALESCE((SELECT credits - debits FROM ledger_accounts WHERE code = $2 || s.code), 0)::text AS units,
              COALESCE((SELECT credits - debits FROM ledger_accounts WHERE code = $2 || s.code || ':pledged'), 0)::text AS pledged
         FROM ticket_holdings h JOIN ticket_series s ON s.id = h.series_id JOIN coop_projects pr ON pr.id = s.project_id
        WHERE h.party_id = $1 ORDER BY s.issued_on DESC, s.code`,
      [holder.id, holderTickets(holder.code, '')],
    )) as Array<{
      certificate_no: string;
      series: string;
      series_name: string;
      project: string;
      project_name: string;
      face_value: string;
      transfer_restriction: TransferRestriction;
      issued_on: string;
      units: string;
      pledged: string;
    }>;
    const pledges = (await em.query(
      `SELECT s.code AS series, b.name AS pledgee, tp.units::text AS units, tp.contract_reference, to_char(tp.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS since
         FROM ticket_pledges tp JOIN ticket_series s ON s.id = tp.series_id JOIN parties b ON b.id = tp.pledgee_party_id
        WHERE tp.holder_party_id = $1 AND tp.state = 'ACTIVE' ORDER BY tp.id`,
      [holder.id],
    )) as Array<{ series: string; pledgee: string; units: string; contract_reference: string; since: string }>;
    return rows.filter(held).map((r) => ({
      certificateNo: r.certificate_no,
      series: r.series,
      seriesName: r.series_name,
      project: r.project,
      projectName: r.project_name,
      ...unitFigures(r),
      transferRestriction: r.transfer_restriction,
      transferRestrictionLabel: RESTRICTION_LABELS[r.transfer_restriction],
      issuedOn: r.issued_on,
      pledges: pledges
        .filter((p) => p.series === r.series)
        .map((p) => ({ pledgee: p.pledgee, units: new Dec(p.units).toFixed(0), contractReference: p.contract_reference, since: p.since })),
    }));
  }

  private async payouts(em: EntityManager, holder: HolderRow): Promise<PortalPayout[]> {
    const rows = (await em.query(
      `SELECT l.id, l.batch_id, l.amount::text AS amount, l.state, to_char(b.paid_on, 'YYYY-MM-DD') AS paid_on, c.bank_name, c.card_masked, l.failure_reason,
              to_char(b.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS created_on
         FROM payout_lines l JOIN payout_batches b ON b.id = l.batch_id LEFT JOIN party_bank_cards c ON c.party_id = l.party_id
        WHERE l.party_id = $1 ORDER BY l.id DESC`,
      [holder.id],
    )) as Array<{
      id: string;
      batch_id: string;
      amount: string;
      state: PayoutLineState;
      paid_on: string | null;
      bank_name: string | null;
      card_masked: string | null;
      failure_reason: string | null;
      created_on: string;
    }>;
    return rows.map((r) => ({
      lineId: r.id,
      batchId: r.batch_id,
      amount: new Dec(r.amount).toFixed(2),
      state: r.state,
      paidOn: r.paid_on,
      bankName: r.bank_name,
      cardMasked: r.card_masked,
      failureReason: r.failure_reason,
      createdOn: r.created_on,
    }));
  }

  /** The first year any account of the holder (wallet, tickets, pledged tickets) moved; null if never. By the owner index. */
  private async firstYear(em: EntityManager, holder: HolderRow): Promise<number | null> {
    const [row] = (await em.query(
      `SELECT EXTRACT(YEAR FROM MIN(p.effective_date))::int AS year FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id WHERE a.owner_ref = $1`,
      [`party:${holder.code}`],
    )) as Array<{ year: number | null }>;
    return row?.year ?? null;
  }
}
