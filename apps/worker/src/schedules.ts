import { LedgerJob, QueueName } from '@forest-ledger/platform';

/** The daily jobs, driven by the reconciler from `scheduled_runs` (not BullMQ's repeatable jobs, which Redis can lose). */
export interface Schedule {
  /** Also the job id's stem: <name>-<day>. */
  name: string;
  queue: QueueName;
  job: string;
  /** China time, HH:MM: the day's run is due from then on. */
  at: string;
}

export const LandUseJob = {
  /** Raises the receivables due and accrues late fees through `asOf` (default: today in China). */
  RunDaily: 'run-daily',
} as const;

export const SubsidyJob = {
  /** Pays every scheduled instalment due through `asOf` (default: today in China). */
  PayDue: 'pay-due',
} as const;

export const TicketJob = {
  /** Returns the unsold units of every 林票 listing past its last day (runs on the ledger-maintenance queue). */
  ExpireListings: 'expire-ticket-listings',
} as const;

export const SCHEDULES: readonly Schedule[] = [
  { name: 'ticket-listings-daily', queue: QueueName.Ledger, job: TicketJob.ExpireListings, at: '00:10' },
  { name: 'land-use-daily', queue: QueueName.LandUse, job: LandUseJob.RunDaily, at: '01:00' },
  { name: 'subsidies-daily', queue: QueueName.Subsidies, job: SubsidyJob.PayDue, at: '02:00' },
  { name: 'verify-chain-nightly', queue: QueueName.Ledger, job: LedgerJob.VerifyChain, at: '02:30' },
];

/** China has kept UTC+8 all year since 1991. */
const CHINA_OFFSET_MS = 8 * 3600 * 1000;

/** The latest day whose run of `schedule` is due at `now`: today (China) from its time on, else yesterday. */
export function dueDay(schedule: Pick<Schedule, 'at'>, now: Date): string {
  const china = new Date(now.getTime() + CHINA_OFFSET_MS);
  const [hours, minutes] = schedule.at.split(':').map(Number);
  const due = china.getUTCHours() * 60 + china.getUTCMinutes() >= hours * 60 + minutes;
  if (!due) china.setUTCDate(china.getUTCDate() - 1);
  return china.toISOString().slice(0, 10);
}
