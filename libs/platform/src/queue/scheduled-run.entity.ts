import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One daily job's run for one day (China date): the reconciler queues the day's job until `finished_at`
 * is set, so losing Redis loses no run and a finished day never runs again. `runs` counts the starts
 * (more than one only when a run was interrupted and started again).
 */
@Entity({ name: 'scheduled_runs' })
export class ScheduledRunEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_scheduled_runs' })
  schedule!: string;

  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'pk_scheduled_runs' })
  day!: string;

  @Column({ type: 'integer', default: 0 })
  runs!: number;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  /** What the run reported (counts, the chain report …). */
  @Column({ type: 'jsonb', nullable: true })
  outcome!: Record<string, unknown> | null;
}
