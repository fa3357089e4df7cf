import Decimal from 'decimal.js';
import { numericTransformer } from '@forest-ledger/ledger/persistence/numeric.transformer';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { PartyEntity } from '../parties/party.entity';
import { RegionEntity } from '../regions/region.entity';

import type { CertificateState } from './parcel-import';

/** A forest parcel (宗地): the physical key under projects, transfers and leases. */
@Entity({ name: 'parcels' })
@Unique('uq_parcels_certificate_no', ['certificateNo'])
@Index('ix_parcels_village', ['villageId'])
@Index('ix_parcels_holder', ['holderPartyId'])
@Index('uq_parcels_real_estate_unit_no', ['realEstateUnitNo'], { unique: true, where: '"real_estate_unit_no" IS NOT NULL' })
@Check('ck_parcels_area', `"area_mu" > 0`)
@Check('ck_parcels_rights', `"rights_end" >= "rights_start"`)
@Check('ck_parcels_certificate_state', `"certificate_state" IN ('ISSUED_TO_HOUSEHOLD', 'PRINTED_SEALED_NOT_ISSUED', 'PRINTED_NOT_SEALED', 'NOT_PRINTED')`)
export class ParcelEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_parcels' })
  id!: string;

  /** 林权证号 / 不动产权证号. */
  @Column({ name: 'certificate_no', type: 'text' })
  certificateNo!: string;

  /** 不动产单元号. */
  @Column({ name: 'real_estate_unit_no', type: 'text', nullable: true })
  realEstateUnitNo!: string | null;

  @Column({ name: 'holder_party_id', type: 'bigint' })
  holderPartyId!: string;

  @ManyToOne(() => PartyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'holder_party_id', foreignKeyConstraintName: 'fk_parcels_holder' })
  holder?: PartyEntity;

  /** The village (a region of level VILLAGE); township and county follow from it. */
  @Column({ name: 'village_id', type: 'bigint' })
  villageId!: string;

  @ManyToOne(() => RegionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'village_id', foreignKeyConstraintName: 'fk_parcels_village' })
  village?: RegionEntity;

  /** 坐落. */
  @Column({ type: 'text' })
  location!: string;

  /** 林班. */
  @Column({ name: 'forest_compartment', type: 'text' })
  forestCompartment!: string;

  /** 小班. */
  @Column({ name: 'sub_compartment', type: 'text' })
  subCompartment!: string;

  @Column({ name: 'area_mu', type: 'numeric', precision: 14, scale: 4, transformer: numericTransformer })
  areaMu!: Decimal;

  /** 林种. */
  @Column({ name: 'forest_type', type: 'text' })
  forestType!: string;

  /** 主要树种. */
  @Column({ name: 'main_species', type: 'text' })
  mainSpecies!: string;

  @Column({ name: 'rights_start', type: 'date' })
  rightsStart!: string;

  @Column({ name: 'rights_end', type: 'date' })
  rightsEnd!: string;

  @Column({ name: 'certificate_state', type: 'text' })
  certificateState!: CertificateState;

  @Column({ type: 'boolean', default: false })
  mortgaged!: boolean;

  @Column({ type: 'boolean', default: false })
  seized!: boolean;

  @Column({ type: 'text', nullable: true })
  remarks!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
