import { EntityManager } from 'typeorm';
import { declarationsStore } from './declarations.store';
import { payoutsStore } from './payouts.store';

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

/** What a notifier may know of a payment: whose, how much (a decimal string). */
export interface PaidAmount {
  partyId: string;
  amount: string;
}

/** A page of a dividend declaration's lines after `afterSeq`, by seq; `paid` when the line has its entry. */
export async function linesOfDeclaration(em: EntityManager, declarationId: string, afterSeq: number, limit: number): Promise<Array<PaidAmount & { seq: number; paid: boolean }>> {
  const lines = await declarationsStore.lines(em, declarationId, { afterSeq, limit });
  return lines.map((l) => ({ seq: l.seq, partyId: String(l.party_id), amount: String(l.amount), paid: l.entry_id !== null }));
}

/** The lines of a payout batch that reached their card (PAID), in line order. */
export async function paidLinesOfPayoutBatch(em: EntityManager, batchId: string): Promise<PaidAmount[]> {
  return (await payoutsStore.linesOfBatch(em, batchId)).filter((l) => l.state === 'PAID').map((l) => ({ partyId: l.party_id, amount: String(l.amount) }));
}
