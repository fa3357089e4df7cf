import { dueDay, SCHEDULES } from '../../apps/worker/src/schedules';

/** A `scheduled_runs` row as the tests read it. */
export interface RunRow {
  schedule: string;
  day: string;
  runs: number;
  finished: boolean;
}

/**
 * The rows once every schedule's day due at `now` is finished and no row is left unfinished; else undefined.
 * A test cannot count on the set of due days staying put: a schedule's time of day (02:30 China time for the
 * chain's verification) can pass while it runs and make the next day due, a row more. So it asks for the days
 * due when it looks, not for a number of rows.
 */
export function dueDaysFinished<R extends RunRow>(rows: R[], now = new Date()): R[] | undefined {
  const due = SCHEDULES.every((s) => rows.some((r) => r.schedule === s.name && r.day === dueDay(s, now) && r.finished));
  return due && rows.every((r) => r.finished) ? rows : undefined;
}
