import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { PartyEntity } from '../parties/party.entity';

export const ROLES = ['ADMIN', 'FARM_OPERATOR', 'APPROVER', 'BUYER', 'VILLAGER', 'AUDITOR'] as const;
export type Role = (typeof ROLES)[number];

/**
 * A person or machine that may call the API. FARM_OPERATOR, BUYER and VILLAGER users are scoped
 * to one party (their farm, their buying party, themselves). Staff log in with a username and
 * password; villagers with their ID number (looked up by the party's HMAC) and a PIN.
 */
@Entity({ name: 'users' })
@Unique('uq_users_username', ['username'])
@Unique('uq_users_party_role', ['partyId', 'role'])
@Check('ck_users_role', `"role" IN ('ADMIN', 'FARM_OPERATOR', 'APPROVER', 'BUYER', 'VILLAGER', 'AUDITOR')`)
@Check('ck_users_scope', `("role" IN ('FARM_OPERATOR', 'BUYER', 'VILLAGER')) = ("party_id" IS NOT NULL)`)
@Check('ck_users_login', `("role" = 'VILLAGER' AND "pin_hash" IS NOT NULL) OR ("role" <> 'VILLAGER' AND "username" IS NOT NULL)`)
export class UserEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_users' })
  id!: string;

  @Column({ type: 'text', nullable: true })
  username!: string | null;

  @Column({ name: 'display_name', type: 'text' })
  displayName!: string;

  @Column({ type: 'text' })
  role!: Role;

  @Column({ name: 'party_id', type: 'bigint', nullable: true })
  partyId!: string | null;

  @ManyToOne(() => PartyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'party_id', foreignKeyConstraintName: 'fk_users_party' })
  party?: PartyEntity;

  /** argon2id hash of the password (staff) . */
  @Column({ name: 'password_hash', type: 'text', nullable: true })
  passwordHash!: string | null;

  /** argon2id hash of the villager's PIN. */
  @Column({ name: 'pin_hash', type: 'text', nullable: true })
  pinHash!: string | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** Machine credentials: only a SHA-256 of the secret is stored; the secret is shown once. */
@Entity({ name: 'api_keys' })
@Unique('uq_api_keys_prefix', ['prefix'])
@Index('ix_api_keys_user', ['userId'])
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_api_keys' })
  id!: string;

  /** The public first part of the key (`flk_<prefix>_<secret>`), to find it and to show in lists. */
  @Column({ type: 'text' })
  prefix!: string;

  @Column({ name: 'secret_hash', type: 'text' })
  secretHash!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'user_id', type: 'bigint' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_api_keys_user' })
  user?: UserEntity;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** Every state-changing request: who, what, when, key, outcome, ledger entries. Append-only. */
@Entity({ name: 'audit_log' })
@Index('ix_audit_log_at', ['at'])
@Index('ix_audit_log_user', ['userId', 'at'])
@Check('ck_audit_log_outcome', `"outcome" IN ('SUCCESS', 'FAILURE')`)
export class AuditEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_audit_log' })
  id!: string;

  @CreateDateColumn({ name: 'at', type: 'timestamptz' })
  at!: Date;

  @Column({ name: 'user_id', type: 'bigint', nullable: true })
  userId!: string | null;

  @Column({ type: 'text', nullable: true })
  role!: string | null;

  @Column({ type: 'text' })
  method!: string;

  @Column({ type: 'text' })
  path!: string;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @Column({ type: 'smallint' })
  status!: number;

  @Column({ type: 'text' })
  outcome!: 'SUCCESS' | 'FAILURE';

  @Column({ name: 'error_code', type: 'text', nullable: true })
  errorCode!: string | null;

  @Column({ name: 'entry_ids', type: 'bigint', array: true, default: () => `'{}'` })
  entryIds!: string[];

  @Column({ name: 'correlation_id', type: 'text', nullable: true })
  correlationId!: string | null;
}

export const APPROVAL_STATES = ['PENDING', 'APPROVED', 'REJECTED'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

/** Maker-checker: an action requested by one user and decided by another (never the same). */
@Entity({ name: 'approvals' })
@Index('ix_approvals_state', ['state'])
@Check('ck_approvals_state', `"state" IN ('PENDING', 'APPROVED', 'REJECTED')`)
@Check('ck_approvals_four_eyes', `"decided_by" IS NULL OR "decided_by" <> "requested_by"`)
export class ApprovalEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_approvals' })
  id!: string;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'text', default: 'PENDING' })
  state!: ApprovalState;

  @Column({ name: 'requested_by', type: 'bigint' })
  requestedBy!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'requested_by', foreignKeyConstraintName: 'fk_approvals_requested_by' })
  requester?: UserEntity;

  @CreateDateColumn({ name: 'requested_at', type: 'timestamptz' })
  requestedAt!: Date;

  @Column({ name: 'decided_by', type: 'bigint', nullable: true })
  decidedBy!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'decided_by', foreignKeyConstraintName: 'fk_approvals_decided_by' })
  decider?: UserEntity;

  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;
}
