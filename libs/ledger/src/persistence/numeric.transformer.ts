import Decimal from 'decimal.js';
import { ValueTransformer } from 'typeorm';
import { Dec } from '../domain/amount';

/** PostgreSQL numeric <-> decimal.js. pg hands numeric over as text, so nothing passes through a JS number. */
export const numericTransformer: ValueTransformer = {
  to: (value: Decimal | string | null | undefined) => (value === null || value === undefined ? value : value.toString()),
  from: (value: string | null) => (value === null ? null : new Dec(value)),
};
