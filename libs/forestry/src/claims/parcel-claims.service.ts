import { AuthUser } from '@forest-ledger/access';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { carbonClaimsOnParcel } from '../carbon/carbon-projects.store';
import { landUseClaimsOnParcel } from '../land-use/land-use-contracts.store';
import { ParcelsService } from '../parcels/parcels.service';
import { coopClaimsOnParcel, incomeRightClaimsOnParcel } from '../projects/projects.store';
import { transferClaimsOnParcel } from '../subsidies/transfer-contracts.store';

/** The instruments that can hold a parcel. */
/** The instruments that can hold a parcel, in the order a parcel's claims list them (the API's enum reads this). */
export const PARCEL_CLAIM_KINDS = ['COOP_PROJECT', 'INCOME_RIGHT_SCHEME', 'CARBON_PROJECT', 'TRANSFER_CONTRACT', 'LAND_USE_CONTRACT'] as const;
export type ParcelClaimKind = (typeof PARCEL_CLAIM_KINDS)[number];

/** One instrument holding the parcel over a period (both ends inclusive, YYYY-MM-DD), in its own state. */
export interface ParcelClaim {
  kind: ParcelClaimKind;
  code: string;
  name: string | null;
  state: string;
  from: string;
  to: string;
}

export interface ParcelClaimsView {
  parcelId: string;
  certificateNo: string;
  /** Oldest first (by start, then kind and code). */
  claims: ParcelClaim[];
}

/**
 * What holds a parcel and over which dates (issue 18 §4): each owner answers for its own instruments
 * (cooperation projects' and income-right schemes' terms, carbon projects' crediting periods, transfer contracts, state-land
 * contracts); this use case only assembles them. Scoped like the parcel read it starts from.
 */
@Injectable()
export class ParcelClaimsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly parcels: ParcelsService,
  ) {}

  async claimsOn(user: AuthUser, idOrCertificateNo: string): Promise<ParcelClaimsView> {
    // A parcel the caller may not see is a 404, exactly like the parcel read.
    const parcel = await this.parcels.get(user, idOrCertificateNo);
    const em = this.dataSource.manager;
    const coop = await coopClaimsOnParcel(em, parcel.id);
    const schemes = await incomeRightClaimsOnParcel(em, parcel.id);
    const carbon = await carbonClaimsOnParcel(em, parcel.id);
    const transfers = await transferClaimsOnParcel(em, parcel.id);
    const leases = await landUseClaimsOnParcel(em, parcel.id);
    const claims: ParcelClaim[] = [
      ...coop.map((c) => ({ kind: 'COOP_PROJECT' as const, ...c })),
      ...schemes.map((c) => ({ kind: 'INCOME_RIGHT_SCHEME' as const, ...c })),
      ...carbon.map((c) => ({ kind: 'CARBON_PROJECT' as const, code: c.project, name: c.projectName, state: c.state, from: c.from, to: c.to })),
      ...transfers.map((c) => ({ kind: 'TRANSFER_CONTRACT' as const, ...c })),
      ...leases.map((c) => ({ kind: 'LAND_USE_CONTRACT' as const, ...c })),
    ];
    const order: readonly ParcelClaimKind[] = PARCEL_CLAIM_KINDS;
    claims.sort((a, b) => a.from.localeCompare(b.from) || order.indexOf(a.kind) - order.indexOf(b.kind) || a.code.localeCompare(b.code));
    return { parcelId: parcel.id, certificateNo: parcel.certificateNo, claims };
  }
}
