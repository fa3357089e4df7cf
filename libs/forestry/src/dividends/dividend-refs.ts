import { EntityManager } from 'typeorm';
import { declarationsStore } from './declarations.store';

/** A dividend paid to a party in a series (its line has an entry): what other features may know of it. */
export interface PaidDividendLine {
  seriesId: string;
  partyId: string;
  declarationId: string;
  recordDate: string;
  paymentDate: string;
  units: string;
  amount: string;
  entryId: string;
}

/** The paid dividend lines of each (series, party) pair, oldest payment first. */
export async function paidDividendLines(em: EntityManager, pairs: ReadonlyArray<{ seriesId: string; partyId: string }>): Promise<PaidDividendLine[]> {
  return (await declarationsStore.paidLinesOf(em, pairs)).map(({ line, seriesId, recordDate, paymentDate }) => ({
    seriesId,
    partyId: String(line.party_id),
    declarationId: String(line.declaration_id),
    recordDate,
    paymentDate,
    units: String(line.units),
    amount: String(line.amount),
    entryId: String(line.entry_id),
  }));
}
