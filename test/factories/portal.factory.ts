import {
  DEMO_PROJECT,
  DEMO_VILLAGER,
  DEMO_VILLAGER_PIN,
  DEMO_VILLAGERS,
  businessToday,
  DividendDeclarationsService,
  DividendDistributionService,
  ProjectCashFlowsService,
  loadDemoData,
  MovementsService,
  ParcelsService,
  PartiesService,
  ProjectsService,
  RegionsService,
  SeriesService,
} from '@forest-ledger/forestry';
import { LedgerService } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { DataSource } from 'typeorm';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { declareAndApprove, dividendServices, fundProject, staffUser } from './dividends.factory';
import { ticketServices } from './tickets.factory';

export interface PortalVillager {
  code: string;
  name: string;
  idNumber: string;
  pin: string;
}

/** The demo village with three dividends paid, one payout to V-0001's card, and a second villager who can log in. */
export interface PortalWorld {
  /** V-0001: sold 100 units, three dividends, one payout batch paid to their card. */
  villager: PortalVillager;
  /** V-0002: 200 of their units pledged to the bank. */
  pledger: PortalVillager;
  today: string;
  /** The first of this year: the harvest dividend's record and payment date. */
  newYear: string;
  payoutBatch: string;
}

/** Card number of V-0001's payouts (a test number, never a real card). */
export const PORTAL_CARD = '6222 0000 0000 0001 234';

function villager(code: string, pin: string): PortalVillager {
  const v = DEMO_VILLAGERS.find((x) => x.code === code);
  if (!v) throw new Error(`no demo villager ${code}`);
  return { code, name: v.name, idNumber: v.idNumber, pin };
}

/**
 * Loads the demo set into the app's database through its own services (with its pre-dividend of 5.00
 * per unit paid on 2025-12-31), pays a harvest dividend of 50.00 per unit (456,150.00) dated the first of this
 * year, pays V-0001's wallet out to their card today, then a further 10.00 per unit (91,230.00) today,
 * which stays in the wallets. Payments are never dated before the money they pay out arrived.
 */
export async function seedPortalWorld(app: ApiApplication): Promise<PortalWorld> {
  const ds = app.get(DataSource);
  const loaded = await loadDemoData(ds, {
    ledger: app.get(LedgerService),
    regions: app.get(RegionsService),
    parties: app.get(PartiesService),
    parcels: app.get(ParcelsService),
    projects: app.get(ProjectsService),
    series: app.get(SeriesService),
    movements: app.get(MovementsService),
    dividends: { cashFlows: app.get(ProjectCashFlowsService), declarations: app.get(DividendDeclarationsService), distribution: app.get(DividendDistributionService) },
  });
  if (!loaded) throw new Error('the demo set needs an empty database');
  const pledger = villager('V-0002', '246810');
  await inTransaction(ds, (em) => app.get(PartiesService).setVillagerPin(em, pledger.code, pledger.pin));

  const today = businessToday();
  const newYear = `${today.slice(0, 4)}-01-01`;
  const t = ticketServices(ds);
  const d = dividendServices(t);
  const maker = await staffUser(t, 'ADMIN');
  const checker = await staffUser(t, 'APPROVER');
  const pay = async (amount: string, date: string, memo: string) => {
    await fundProject(t, d, DEMO_PROJECT, amount, date);
    const declaration = await declareAndApprove(t, d, maker, checker, { project: DEMO_PROJECT, amount, recordDate: date, paymentDate: date, memo });
    const outcome = await d.dividends.distribute(declaration.id);
    if (outcome.state !== 'DISTRIBUTED') throw new Error(`dividend ${declaration.id} ended ${outcome.state}`);
  };
  await pay('456150.00', newYear, '主伐收入分红');
  const batch = await inTransaction(ds, async (em) => {
    await d.payouts.setBankCard(em, DEMO_VILLAGER, { bankName: '阳城农商银行', cardNumber: PORTAL_CARD });
    const created = await d.payouts.createBatch(em, maker, { scope: 'PROJECT', code: DEMO_PROJECT });
    return created.batch.id;
  });
  await inTransaction(ds, (em) => d.payouts.confirmPaid(em, batch, { bankReference: 'PAY-0001', paidOn: today }));
  await pay('91230.00', today, '预分红');
  return { villager: villager(DEMO_VILLAGER, DEMO_VILLAGER_PIN), pledger, today, newYear, payoutBatch: batch };
}
