import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { balanceOfRow, balanceTextOfRow, Dec, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { ReadDatabase } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import { DividendDeclarationsService, partyDividendView } from '../dividends/dividend-declarations.service';
import { partyPayoutView, PayoutsService } from '../dividends/payouts.service';
import { PartyError } from '../parties/parties.errors';
import { walletOf } from '../parties/parties.service';
import { ownerRefOf } from '../parties/party-registration';
import { PartyRef, partiesByCodes } from '../parties/party-refs';
import { businessToday, holderListed, holderPledged, holderTickets } from '../projects/project-accounts';
import { RESTRICTION_LABELS } from '../tickets/certificates.service';
import { MovementsService } from '../tickets/movements.service';
import { SeriesRecord, SeriesService } from '../tickets/series.service';
import { holdingsOfParty } from '../tickets/ticket-register.store';
import { pdfRenderer } from '../common/pdf-renderer';
import { ANNUAL_STATEMENT_PDF } from './annual-statement-pdf';
import { AnnualStatement, PortalHolding, PortalOverview, PortalPayout } from './portal.model';
import { PortalSeries, readPortalPage } from './portal-page.read';

export const FIRST_STATEMENT_YEAR = 2000;

const seriesByIdOf = <S extends { id: string }>(held: ReadonlyArray<{ series: S }>): Map<string, S> => new Map(held.map(({ series }) => [series.id, series]));

interface UnitsRow {
  face_value: string;
  units: Dec;
  pledged: Dec;
}

/** A holding worth showing: some units, free or pledged. */
const held = (r: UnitsRow): boolean => !r.units.plus(r.pledged).isZero();

/** Face value, free and pledged units, and (units + pledged) × face value, as display strings. */
function unitFigures(r: UnitsRow): { faceValue: string; units: string; pledgedUnits: string; faceAmount: string } {
  return {
    faceValue: new Dec(r.face_value).toFixed(2),
    units: new Dec(r.units).toFixed(0),
    pledgedUnits: new Dec(r.pledged).toFixed(0),
    faceAmount: new Dec(r.units).plus(r.pledged).times(r.face_value).toFixed(2),
  };
}

const unknownParty = (partyCode: string) => new PartyError('UNKNOWN_PARTY', `no party ${JSON.stringify(partyCode)}`, 'party');

/** Newest issue first, then by series code. */
function sortedByIssue<H extends { series: { issued_on: string; code: string } }>(holdings: readonly H[]): H[] {
  return [...holdings].sort((a, b) =>
    a.series.issued_on !== b.series.issued_on ? (a.series.issued_on < b.series.issued_on ? 1 : -1) : a.series.code < b.series.code ? -1 : a.series.code > b.series.code ? 1 : 0,
  );
}

/** The holder's units of a series from its account balances (absent: 0); units listed on the market are still the holder's. */
function unitsRow(holder: PartyRef, series: { code: string; face_value: string }, balance: (code: string) => Dec | undefined): UnitsRow {
  return {
    face_value: series.face_value,
    units: (balance(holderTickets(holder.code, series.code)) ?? new Dec(0)).plus(balance(holderListed(holder.code, series.code)) ?? 0),
    pledged: balance(holderPledged(holder.code, series.code)) ?? new Dec(0),
  };
}

function holdingView(h: { certificateNo: string; series: PortalSeries }, r: UnitsRow, pledges: PortalHolding['pledges']): PortalHolding {
  const { series } = h;
  return {
    certificateNo: h.certificateNo,
    instrument: series.project_kind === 'INCOME_RIGHT' ? 'INCOME_RIGHT' : 'TICKET',
    series: series.code,
    seriesName: series.name,
    project: series.project_code,
    projectName: series.project_name,
    ...unitFigures(r),
    transferRestriction: series.transfer_restriction,
    transferRestrictionLabel: RESTRICTION_LABELS[series.transfer_restriction],
    issuedOn: series.issued_on,
    pledges,
  };
}

/** From this year back to the first year any account of the holder moved (none: this year alone), not before FIRST_STATEMENT_YEAR. */
function statementYears(asOf: string, firstPostingDate: string | null): number[] {
  const thisYear = Number(asOf.slice(0, 4));
  const firstYear = firstPostingDate === null ? thisYear : Number(firstPostingDate.slice(0, 4));
  const years: number[] = [];
  for (let year = thisYear; year >= Math.max(firstYear, FIRST_STATEMENT_YEAR); year--) years.push(year);
  return years;
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
    private readonly ledgerReads: LedgerReads,
    private readonly dividends: DividendDeclarationsService,
    private readonly payoutsService: PayoutsService,
    private readonly seriesService: SeriesService,
    private readonly movements: MovementsService,
    // The replica when DATABASE_READ_URL is set and within READ_MAX_LAG_MS (absent in tests that build the service by hand: the primary).
    @Optional() private readonly readDb?: ReadDatabase,
  ) {}

  /** One REPEATABLE READ snapshot, on the read replica when there is one within its lag bound (a villager's page tolerates a second). */
  private snapshot<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.readDb ? this.readDb.transaction('REPEATABLE READ', work) : this.dataSource.transaction('REPEATABLE READ', work);
  }

  /**
   * The page in one statement (readPortalPage: one round trip, one snapshot, so a distribution committing meanwhile
   * shows wholly or not at all). A pledged holding also lists its pledges, which are reads of their own: then, and
   * when the wallet is missing (the statement-by-statement read answers UNKNOWN_ACCOUNT), the page is read by
   * overviewInSteps instead.
   */
  async overview(partyCode: string, asOf: string = businessToday()): Promise<PortalOverview> {
    const page = await readPortalPage(this.readDb ? await this.readDb.manager() : this.dataSource.manager, partyCode);
    if (page === null) throw unknownParty(partyCode);
    const wallet = page.accounts.get(walletOf(partyCode));
    const balance = (code: string) => (page.accounts.has(code) ? balanceOfRow(page.accounts.get(code)!) : undefined);
    const units = page.held.map(({ series }) => unitsRow(page.holder, series, balance));
    if (wallet === undefined || units.some((r) => !r.pledged.isZero())) return this.overviewInSteps(partyCode, asOf);
    return {
      asOf,
      holder: { code: page.holder.code, name: page.holder.name, idMasked: page.holder.idMasked },
      holdings: sortedByIssue(page.held)
        .map((h) => ({ h, r: unitsRow(page.holder, h.series, balance) }))
        .filter(({ r }) => held(r))
        .map(({ h, r }) => holdingView(h, r, [])),
      dividends: page.lines.map((line) => partyDividendView(page.holder, line, page.seriesById)),
      wallet: { account: wallet.code, balance: balanceTextOfRow(wallet) },
      payouts: page.payouts.map(partyPayoutView),
      statementYears: statementYears(asOf, page.firstPostingDate),
    };
  }

  /** The page statement by statement in one REPEATABLE READ snapshot: overview() for a holder with pledged units. */
  overviewInSteps(partyCode: string, asOf: string = businessToday()): Promise<PortalOverview> {
    return this.snapshot((em) => this.readOverview(em, partyCode, asOf));
  }

  private async readOverview(em: EntityManager, partyCode: string, asOf: string): Promise<PortalOverview> {
    const holder = await this.holder(em, partyCode);
    // One after another: pg warns about overlapping queries on one client. The held series are read once, in a
    // few set-based statements, and handed to the dividends' read (about ten statements a page, whatever it holds).
    const held_ = await this.heldSeries(em, holder);
    const holdings = await this.holdings(em, holder, held_);
    const dividends = await this.dividends.dividendsOf(partyCode, em, { party: holder, seriesById: seriesByIdOf(held_) });
    const wallet = await this.ledger.getAccount(walletOf(partyCode), em);
    const payouts = await this.payouts(em, holder);
    const owner = ownerRefOf(holder.code);
    const firstPosting = (await this.ledgerReads.firstPostingDates(em, [owner])).get(owner);
    return {
      asOf,
      holder: { code: holder.code, name: holder.name, idMasked: holder.idMasked },
      holdings,
      dividends,
      wallet: { account: wallet.code, balance: wallet.balance },
      payouts,
      statementYears: statementYears(asOf, firstPosting ?? null),
    };
  }

  /** The year's statement: holdings at its end, dividends paid in it, payouts, and the wallet's movement. */
  async annualStatement(partyCode: string, year: number, today: string = businessToday()): Promise<AnnualStatement> {
    const thisYear = Number(today.slice(0, 4));
    if (!Number.isInteger(year) || year < FIRST_STATEMENT_YEAR || year > thisYear) {
      throw new PartyError('VALIDATION_FAILED', `year must be a whole year from ${FIRST_STATEMENT_YEAR} to ${thisYear}; got ${String(year)}`, 'year');
    }
    return this.snapshot((em) => this.readStatement(em, partyCode, year, today));
  }

  private async readStatement(em: EntityManager, partyCode: string, year: number, today: string): Promise<AnnualStatement> {
    const holder = await this.holder(em, partyCode);
    const closingDate = year === Number(today.slice(0, 4)) ? today : `${year}-12-31`;
    const opening = `${year - 1}-12-31`;

    const units: Array<UnitsRow & { series: string; series_name: string; project_name: string }> = [];
    const held_ = await this.heldSeries(em, holder);
    const asOf = await this.ledgerReads.balances(
      em,
      held_.flatMap(({ series }) => [holderTickets(holder.code, series.code), holderPledged(holder.code, series.code), holderListed(holder.code, series.code)]),
      closingDate,
    );
    for (const { series } of held_) {
      units.push({
        series: series.code,
        series_name: series.name,
        project_name: series.project_name,
        face_value: series.face_value,
        // Units listed on the market are still the holder's (free until sold, withdrawn or expired).
        units: (asOf.get(holderTickets(holder.code, series.code)) ?? new Dec(0)).plus(asOf.get(holderListed(holder.code, series.code)) ?? 0),
        pledged: asOf.get(holderPledged(holder.code, series.code)) ?? new Dec(0),
      });
    }
    const holdings = units.filter(held).map((r) => ({ series: r.series, seriesName: r.series_name, projectName: r.project_name, ...unitFigures(r) }));

    const dividends = (await this.dividends.dividendsOf(partyCode, em, { party: holder, seriesById: seriesByIdOf(held_) }))
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
      holder: { code: holder.code, name: holder.name, idMasked: holder.idMasked },
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
    return { fileName: `林账年度对账单-${year}-${partyCode}.pdf`, buffer: await pdfRenderer.render(ANNUAL_STATEMENT_PDF, statement) };
  }

  private async holder(em: EntityManager, partyCode: string): Promise<PartyRef> {
    const row = (await partiesByCodes(em, [partyCode])).get(partyCode);
    if (!row) throw unknownParty(partyCode);
    return row;
  }

  /** The party's holdings with their series (and projects): one certificate per series. */
  private async heldSeries(em: EntityManager, holder: PartyRef): Promise<Array<{ certificateNo: string; series: SeriesRecord }>> {
    const holdings = await holdingsOfParty(em, holder.id);
    const series = await this.seriesService.recordsByIds(
      em,
      holdings.map((h) => h.seriesId),
    );
    return holdings.map((h) => ({ certificateNo: h.certificateNo, series: series.get(h.seriesId)! }));
  }

  private async holdings(em: EntityManager, holder: PartyRef, heldSeries: Array<{ certificateNo: string; series: SeriesRecord }>): Promise<PortalHolding[]> {
    const held_ = sortedByIssue(heldSeries);
    const now = await this.ledgerReads.balances(
      em,
      held_.flatMap(({ series }) => [holderTickets(holder.code, series.code), holderPledged(holder.code, series.code), holderListed(holder.code, series.code)]),
    );
    const holdings: PortalHolding[] = [];
    for (const h of held_) {
      const { series } = h;
      const r = unitsRow(holder, series, (code) => now.get(code));
      if (!held(r)) continue;
      // Active pledges hold their units in the pledged account: none when it is empty, so no need to ask.
      const pledges = r.pledged.isZero() ? [] : await this.movements.pledges(em, series.code, { holder: holder.code, state: 'ACTIVE' });
      const pledgees = await partiesByCodes(
        em,
        pledges.map((p) => p.pledgee),
      );
      holdings.push(
        holdingView(
          h,
          r,
          pledges.map((p) => ({
            pledgee: pledgees.get(p.pledgee)?.name ?? p.pledgee,
            units: new Dec(p.units).toFixed(0),
            contractReference: p.contractReference,
            since: businessToday(new Date(p.createdAt)),
          })),
        ),
      );
    }
    return holdings;
  }

  private async payouts(em: EntityManager, holder: PartyRef): Promise<PortalPayout[]> {
    return this.payoutsService.payoutsOf(em, holder.id);
  }
}
