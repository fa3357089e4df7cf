import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';

import type { RegionLevel } from './region.model';
export { REGION_LEVELS } from './region.model';
export type { RegionLevel } from './region.model';

/** The administrative hierarchy county → township (乡镇) → village (村). */
@Entity({ name: 'regions' })
@Unique('uq_regions_code', ['code'])
@Index('ix_regions_parent', ['parentId'])
@Check('ck_regions_level', `"level" IN ('COUNTY', 'TOWNSHIP', 'VILLAGE')`)
@Check('ck_regions_parent', `("level" = 'COUNTY') = ("parent_id" IS NULL)`)
export class RegionEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_regions' })
  id!: string;

  /** Administrative division code, e.g. 140522 (阳城县), 140522101 (芹池镇), 140522101201 (大西沟村). */
  @Column({ type: 'text' })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  level!: RegionLevel;

  @Column({ name: 'parent_id', type: 'bigint', nullable: true })
  parentId!: string | null;

  @ManyToOne(() => RegionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'fk_regions_parent' })
  parent?: RegionEntity;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
