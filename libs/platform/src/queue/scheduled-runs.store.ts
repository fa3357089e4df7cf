import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface ScheduledRunView {
  schedule: string;
  day: string;
  runs: number;
  startedAt: string | null;
  finishedAt: string | null;
  outcome: Record<string, unknown> | null;
}

/**
 * The `scheduled_runs` table: which daily run (per China date) is finished for which day. `runs` counts the
 * starts (more than one only when a run was interrupted and started again); `outcome` is what the run reported.
 */
@Injectable()
export class ScheduledRunsStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `work` for the schedule's day unless that day is finished already (then returns null): counts
   * the start, and marks the day finished with the outcome once `work` succeeds. Each step commits on
   * its own, so an interrupted run leaves the day unfinished and the reconciler queues it again.
   */
  async runOnce<T extends object>(schedule: string, day: string, work: () => Promise<T>): Promise<T | null> {
    const started = await this.dataSource.query<Array<{ runs: number }>>(
      `INSERT INTO scheduled_runs (schedule, day, runs, started_at) VALUES ($1, $2, 1, now())
       ON CONFLICT (schedule, day) DO UPDATE SET runs = scheduled_runs.runs + 1, started_at = now() WHERE scheduled_runs.finished_at IS NULL
       RETURNING runs`,
      [schedule, day],
    );
    if (started.length === 0) return null;
    const outcome = await work();
    await this.dataSource.query(`UPDATE scheduled_runs SET finished_at = now(), outcome = $3 WHERE schedule = $1 AND day = $2`, [schedule, day, JSON.stringify(outcome)]);
    return outcome;
  }

  /** The schedules of `names` finished on `day`. */
  async finishedOn(names: string[], day: string): Promise<Set<string>> {
    const rows = await this.dataSource.query<Array<{ schedule: string }>>(
      `SELECT schedule FROM scheduled_runs WHERE schedule = ANY($1::text[]) AND day = $2 AND finished_at IS NOT NULL`,
      [names, day],
    );
    return new Set(rows.map((r) => r.schedule));
  }

  async list(schedule?: string): Promise<ScheduledRunView[]> {
    const rows = await this.dataSource.query<
      Array<{ schedule: string; day: string; runs: number; started_at: Date | null; finished_at: Date | null; outcome: Record<string, unknown> | null }>
    >(
      `SELECT schedule, to_char(day, 'YYYY-MM-DD') AS day, runs, started_at, finished_at, outcome FROM scheduled_runs WHERE ($1::text IS NULL OR schedule = $1) ORDER BY day, schedule`,
      [schedule ?? null],
    );
    return rows.map((r) => ({
      schedule: r.schedule,
      day: r.day,
      runs: r.runs,
      startedAt: r.started_at?.toISOString() ?? null,
      finishedAt: r.finished_at?.toISOString() ?? null,
      outcome: r.outcome,
    }));
  }
}
