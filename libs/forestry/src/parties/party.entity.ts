import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { RegionEntity } from '../regions/region.entity';

import type { IdKind, PartyKind } from './party.model';
export { ID_KINDS, PARTY_KINDS } from './party.model';
export type { IdKind, PartyKind } from './party.model';

/**
 * Who: organisations and persons, real-name registered. The ID number is kept as an HMAC (for
 * lookup and uniqueness), AES-256-GCM ciphertext (for the audited admin reveal) and a masked
 * form (for display); never in clear. Parties are never deleted, only deactivated.
 */
@Entity({ name: 'parties' })
@Unique('uq_parties_code', ['code'])
@Unique('uq_parties_id_hmac', ['idKind', 'idHmac'])
@Index('ix_parties_region', ['regionId'])
@Index('ix_parties_collective', ['collectiveId'])
@Index('ix_parties_household', ['householdId'])
@Check('ck_parties_kind', `"kind" IN ('STATE_FARM', 'COLLECTIVE', 'HOUSEHOLD', 'VILLAGER', 'ENTERPRISE', 'INDIVIDUAL_BUYER', 'GOVERNMENT_FUND', 'BANK', 'LESSEE')`)
@Check('ck_parties_id_kind', `"id_kind" IS NULL OR "id_kind" IN ('RESIDENT_ID', 'CREDIT_CODE')`)
@Check('ck_parties_id_complete', `("id_kind" IS NULL) = ("id_hmac" IS NULL) AND ("id_hmac" IS NULL) = ("id_cipher" IS NULL) AND ("id_cipher" IS NULL) = ("id_masked" IS NULL)`)
export class PartyEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_parties' })
  id!: string;

  /** Readable unique code used in account codes, e.g. V-0012 → party:V-0012:wallet:CNY. */
  @Column({ type: 'text' })
  code!: string;

  @Column({ type: 'text' })
  kind!: PartyKind;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'region_id', type: 'bigint', nullable: true })
  regionId!: string | null;

  @ManyToOne(() => RegionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'region_id', foreignKeyConstraintName: 'fk_parties_region' })
  region?: RegionEntity;

  @Column({ name: 'id_kind', type: 'text', nullable: true })
  idKind!: IdKind | null;

  @Column({ name: 'id_hmac', type: 'text', nullable: true })
  idHmac!: string | null;

  @Column({ name: 'id_cipher', type: 'text', nullable: true })
  idCipher!: string | null;

  @Column({ name: 'id_masked', type: 'text', nullable: true })
  idMasked!: string | null;

  @Column({ type: 'text', nullable: true })
  phone!: string | null;

  /** For a villager: the household (户) they belong to. */
  @Column({ name: 'household_id', type: 'bigint', nullable: true })
  householdId!: string | null;

  @ManyToOne(() => PartyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'household_id', foreignKeyConstraintName: 'fk_parties_household' })
  household?: PartyEntity;

  /** For a household or a villager: the village collective they are members of. */
  @Column({ name: 'collective_id', type: 'bigint', nullable: true })
  collectiveId!: string | null;

  @ManyToOne(() => PartyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'collective_id', foreignKeyConstraintName: 'fk_parties_collective' })
  collective?: PartyEntity;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @Column({ name: 'deactivated_at', type: 'timestamptz', nullable: true })
  deactivatedAt!: Date | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  metadata!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** Every reveal of a full ID number: who, whose, why, when. Append-only. */
@Entity({ name: 'pii_access_log' })
@Index('ix_pii_access_log_party', ['partyId'])
export class PiiAccessEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_pii_access_log' })
  id!: string;

  @Column({ name: 'party_id', type: 'bigint' })
  partyId!: string;

  @ManyToOne(() => PartyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'party_id', foreignKeyConstraintName: 'fk_pii_access_log_party' })
  party?: PartyEntity;

  @Column({ name: 'user_id', type: 'bigint' })
  userId!: string;

  @Column({ type: 'text' })
  reason!: string;

  @CreateDateColumn({ name: 'at', type: 'timestamptz' })
  at!: Date;
}
