import { Injectable } from '@nestjs/common';
import { Dec, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { paidDividendLines } from '../dividends/dividend-refs';
import { parcelsByIds } from '../parcels/parcel-refs';
import { partiesByIds } from '../parties/party-refs';
import { holderListed, holderPledged, holderTickets } from '../projects/project-accounts';
import { projectCodesByIds } from '../projects/project-refs';
import { seriesOfProjects } from '../tickets/series-refs';
import { landDeposit, landIncome, landLesseeCredit, landReceivable } from './land-use-accounts';
import { contractByCode, ContractRow } from './land-use-contracts.store';
import { money, scheduleInputOf, sum } from './land-use-terms';
import { LandUseError } from './land-use.errors';
import { AREA_SCALE, LandUseContractView, LandUseEquityView } from './land-use.types';

/** A contract row with its parties' codes and names and, for EQUITY, its project's code (from the parties and projects features). */
export type Contract = ContractRow & { lessor_code: string; lessor_name: string; lessee_code: string; lessee_name: string; project_code: string | null };

/**
 * Reads contracts as the land-use services use them (with their parties) and as callers see them
 * (parcels, balances, the equity stake), a fixed number of queries for any number of contracts.
 */
@Injectable()
export class LandUseViews {
  constructor(
    private readonly ledger: LedgerService,
    private readonly reads: LedgerReads,
  ) {}

  /** The contract `code` with its parties; `lock` takes its row FOR UPDATE first (every write does). */
  async load(em: EntityManager, code: string, options: { lock?: boolean } = {}): Promise<Contract> {
    const row = await contractByCode(em, code, options);
    if (!row) throw new LandUseError('UNKNOWN_CONTRACT', `no land-use contract with code ${JSON.stringify(code)}`, 'contract');
    const [contract] = await this.withParties(em, [row]);
    return contract;
  }

  /** `rows` with their parties' codes and names and their projects' codes (two queries at most). */
  async withParties(em: EntityManager, rows: ContractRow[]): Promise<Contract[]> {
    if (rows.length === 0) return [];
    const parties = await partiesByIds(
      em,
      rows.flatMap((c) => [c.lessor_party_id, c.lessee_party_id]),
    );
    const projects = await projectCodesByIds(
      em,
      rows.flatMap((c) => (c.project_id === null ? [] : [c.project_id])),
    );
    return rows.map((c) => {
      const lessor = parties.get(c.lessor_party_id)!;
      const lessee = parties.get(c.lessee_party_id)!;
      return {
        ...c,
        lessor_code: lessor.code,
        lessor_name: lessor.name,
        lessee_code: lessee.code,
        lessee_name: lessee.name,
        project_code: c.project_id === null ? null : projects.get(c.project_id)!,
      };
    });
  }

  async view(em: EntityManager, c: Contract): Promise<LandUseContractView> {
    const [view] = await this.views(em, [c]);
    return view;
  }

  /** The views of `rows`, in their order: parcels, balances and equity stakes read for all of them at once. */
  async views(em: EntityManager, rows: Contract[]): Promise<LandUseContractView[]> {
    if (rows.length === 0) return [];
    const parcels = await parcelsByIds(
      em,
      rows.flatMap((c) => c.parcel_ids),
    );
    const accounts = await this.ledger.getAccounts(
      rows.filter((c) => c.mode !== 'EQUITY').flatMap((c) => [landDeposit(c.code), landReceivable(c.code), landLesseeCredit(c.code), landIncome(c.code)]),
      em,
    );
    const balances = new Map(accounts.map((a) => [a.code, a.balance]));
    const equity = await this.equityViews(
      em,
      rows.filter((c) => c.mode === 'EQUITY'),
    );
    return rows.map((c) => {
      const rented = c.mode !== 'EQUITY';
      const balance = (account: string) => (rented ? balances.get(account)! : '0.00');
      const input = rented ? scheduleInputOf(c) : null;
      const own = c.parcel_ids
        .map((id) => parcels.get(id)!)
        .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
        .map((p) => ({ id: p.id, certificateNo: p.code, areaMu: new Dec(p.areaMu).toFixed(AREA_SCALE) }));
      return {
        code: c.code,
        mode: c.mode,
        state: c.state,
        lessor: { code: c.lessor_code, name: c.lessor_name },
        lessee: { code: c.lessee_code, name: c.lessee_name },
        areaMu: new Dec(c.area_mu).toFixed(AREA_SCALE),
        parcels: own,
        permittedUses: c.permitted_uses,
        otherUse: c.other_use,
        startDate: c.start_date,
        endDate: c.end_date,
        renewsContract: c.renews_code,
        renewedBy: c.renewed_by,
        rent: input === null ? null : input.rent.kind === 'PER_MU' ? { kind: 'PER_MU', ratePerMuYear: input.rent.ratePerMuYear } : input.rent,
        escalation: input?.escalation ?? { kind: 'NONE' },
        billingFrequency: c.billing_frequency,
        deposit: { amount: money(c.deposit_amount), received: c.deposit_entry_id !== null, held: balance(landDeposit(c.code)) },
        lateFee: { dailyRate: new Dec(c.late_fee_daily_rate).toString(), capRatio: new Dec(c.late_fee_cap_ratio).toString() },
        equity: c.mode === 'EQUITY' ? equity.get(c.id)! : null,
        createdBy: c.created_by,
        receivable: balance(landReceivable(c.code)),
        lesseeCredit: balance(landLesseeCredit(c.code)),
        income: balance(landIncome(c.code)),
        terminatedOn: c.terminated_on,
        terminationReason: c.termination_reason,
        cancellationReason: c.cancellation_reason,
        settlement: c.settlement,
        createdAt: c.created_at.toISOString(),
        activatedAt: c.activated_at?.toISOString() ?? null,
        closedAt: c.closed_at?.toISOString() ?? null,
      };
    });
  }

  /**
   * The farm's stake of each EQUITY contract, by contract id, read from the project's series, the
   * farm's holder accounts and the dividends paid to it (no copy of the money): the units this
   * contract brought (appraised value / face value), the units the farm holds now, every dividend
   * the series paid the farm.
   */
  private async equityViews(em: EntityManager, contracts: Contract[]): Promise<Map<string, LandUseEquityView>> {
    const out = new Map<string, LandUseEquityView>();
    if (contracts.length === 0) return out;
    const seriesOf = await seriesOfProjects(
      em,
      contracts.map((c) => c.project_id!),
    );
    const stakes = contracts.flatMap((c) => {
      const series = seriesOf.get(c.project_id!);
      return series ? [{ c, series }] : [];
    });
    const pairs = [...new Map(stakes.map(({ c, series }) => [`${series.id}/${c.lessor_party_id}`, { seriesId: series.id, partyId: c.lessor_party_id, c, series }])).values()];
    // A farm without a holding in the series has no such accounts: it holds nothing.
    const heldOf = await this.reads.balances(
      em,
      pairs.flatMap(({ c, series }) => [holderTickets(c.lessor_code, series.code), holderPledged(c.lessor_code, series.code), holderListed(c.lessor_code, series.code)]),
    );
    const lines = await paidDividendLines(
      em,
      pairs.map(({ seriesId, partyId }) => ({ seriesId, partyId })),
    );
    for (const c of contracts) {
      const base = {
        appraisedValue: money(c.appraised_value!),
        appraisalReference: c.appraisal_reference!,
        project: c.project_code!,
        contributionId: c.contribution_id,
        contributionEntryId: c.contribution_entry_id,
      };
      const series = seriesOf.get(c.project_id!);
      if (!series) {
        out.set(c.id, { ...base, series: null });
        continue;
      }
      const held = sum(
        [holderTickets(c.lessor_code, series.code), holderPledged(c.lessor_code, series.code), holderListed(c.lessor_code, series.code)].map((code) => heldOf.get(code) ?? 0),
      );
      const own = lines.filter((l) => l.seriesId === series.id && l.partyId === c.lessor_party_id);
      out.set(c.id, {
        ...base,
        series: {
          code: series.code,
          faceValue: money(series.faceValue),
          unitsFromContract: new Dec(c.appraised_value!).div(series.faceValue).toString(),
          farmUnitsHeld: held.toFixed(0),
          distributions: own.map((l) => ({
            declarationId: l.declarationId,
            recordDate: l.recordDate,
            paymentDate: l.paymentDate,
            units: new Dec(l.units).toFixed(0),
            amount: money(l.amount),
            entryId: l.entryId,
          })),
          distributedTotal: money(sum(own.map((l) => l.amount))),
        },
      });
    }
    return out;
  }
}
