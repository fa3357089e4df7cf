import { EntityManager } from 'typeorm';

/** A dividend paid to a party in a series (its line has an entry). */
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
  if (pairs.length === 0) return [];
  const rows = (await em.query(
    `SELECT d.series_id::text AS series_id, l.party_id::text AS party_id, l.declaration_id::text AS declaration_id, to_char(d.record_date, 'YYYY-MM-DD') AS record_date,
            to_char(d.payment_date, 'YYYY-MM-DD') AS payment_date, l.units::text AS units, l.amount::text AS amount, l.entry_id::text AS entry_id
       FROM dividend_lines l JOIN dividend_declarations d ON d.id = l.declaration_id
       JOIN unnest($1::bigint[], $2::bigint[]) AS k(series_id, party_id) ON k.series_id = d.series_id AND k.party_id = l.party_id
      WHERE l.entry_id IS NOT NULL ORDER BY d.payment_date, d.id`,
    [pairs.map((p) => p.seriesId), pairs.map((p) => p.partyId)],
  )) as Array<{ series_id: string; party_id: string; declaration_id: string; record_date: string; payment_date: string; units: string; amount: string; entry_id: string }>;
  return rows.map((r) => ({
    seriesId: r.series_id,
    partyId: r.party_id,
    declarationId: r.declaration_id,
    recordDate: r.record_date,
    paymentDate: r.payment_date,
    units: r.units,
    amount: r.amount,
    entryId: r.entry_id,
  }));
}
