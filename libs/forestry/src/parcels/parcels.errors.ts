import { DomainError, DomainErrorKind } from '@forest-ledger/common';
import type { ImportRowError } from '../imports/imports.errors';

export type ParcelErrorCode = 'UNKNOWN_REGION' | 'REGION_NOT_A_VILLAGE' | 'REGION_REQUIRED' | 'UNKNOWN_PARCEL' | 'INVALID_CURSOR' | 'IMPORT_REJECTED' | 'PARCEL_NOT_ATTACHABLE';

const KIND_OF: Record<ParcelErrorCode, DomainErrorKind> = {
  UNKNOWN_REGION: 'not-found',
  REGION_NOT_A_VILLAGE: 'invalid',
  REGION_REQUIRED: 'invalid',
  UNKNOWN_PARCEL: 'not-found',
  INVALID_CURSOR: 'invalid',
  IMPORT_REJECTED: 'rule',
  PARCEL_NOT_ATTACHABLE: 'rule',
};

export class ParcelError extends DomainError {
  constructor(code: ParcelErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(KIND_OF[code], code, message, field, details);
  }
}

/** What a parcel may be attached to; all three refuse the same parcels today. */
export const ATTACH_PURPOSES = ['COOPERATION_PROJECT', 'TRANSFER_CONTRACT', 'LEASE'] as const;
export type AttachPurpose = (typeof ATTACH_PURPOSES)[number];

export const REFUSAL_REASONS = ['UNKNOWN_PARCEL', 'MORTGAGED', 'SEIZED', 'CERTIFICATE_NOT_ISSUED'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export const REFUSAL_TEXT: Readonly<Record<RefusalReason, string>> = {
  UNKNOWN_PARCEL: '宗地不存在 / unknown parcel id',
  MORTGAGED: '已抵押 / mortgaged',
  SEIZED: '已查封 / seized',
  CERTIFICATE_NOT_ISSUED: '林权证未发放到户 / certificate not issued to the household',
};

export interface RefusedParcel {
  parcelId: string;
  /** Null for an unknown id. */
  certificateNo: string | null;
  reasons: RefusalReason[];
  message: string;
}

/** The whole import is refused: `details.errors` lists every row error; nothing was written. */
export function importRejected(villageCode: string, errors: ImportRowError[]): ParcelError {
  const rows = new Set(errors.map((e) => e.row)).size;
  return new ParcelError(
    'IMPORT_REJECTED',
    `导入被拒绝：${errors.length}处错误（${rows}行），未写入任何宗地 / import of village ${villageCode} rejected: ${errors.length} error(s) in ${rows} row(s); nothing was imported`,
    'file',
    { villageCode, errors },
  );
}

export function parcelsNotAttachable(purpose: AttachPurpose, refused: RefusedParcel[]): ParcelError {
  return new ParcelError(
    'PARCEL_NOT_ATTACHABLE',
    `${refused.length} parcel(s) cannot be attached to a ${purpose}: ${refused.map((r) => `${r.certificateNo ?? r.parcelId} (${r.message})`).join('; ')}`,
    'parcelIds',
    { purpose, refused },
  );
}

/** Every code of this feature with its kind (so its HTTP status): the API declares them per route (ApiErrorCodes). */
export const PARCEL_ERRORS: Readonly<Record<ParcelErrorCode, DomainErrorKind>> = KIND_OF;
