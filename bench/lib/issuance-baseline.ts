import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Dec } from '@forest-ledger/ledger';
import { RawEntry, writeRawEntries } from './raw-entries';

const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

/**
 * The minimum an issuance to the holders of `seriesCode` must write, in plain SQL in one transaction (rolled back):
 * the asset, the series' issued account and each holder's free and pledged accounts, the entries of 999 credits with
 * their postings, day totals, outbox events and account totals (writeRawEntries), the series row, the holdings with
 * their certificate numbers and verification codes, and the ISSUANCE movements. The holders and their units are the
 * service's issuance of `seriesCode` (read before the clock starts); a copy of its project carries the copy series.
 */
/** Called once the baseline's connection is open and again before it closes (a CPU meter sees its backend only while it lives). */
export interface ConnectionWindow {
  start(): void;
  end(): void;
}

export async function rawIssuanceBaseline(url: string, seriesCode: string, full: boolean, window?: ConnectionWindow): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const holdings = (
      await client.query<{ party_id: string; code: string; seq: number; origin: string; units: string }>(
        `SELECT h.party_id::text, p.code, h.seq, h.origin, h.issued_units::text AS units
           FROM ticket_holdings h JOIN parties p ON p.id = h.party_id JOIN ticket_series s ON s.id = h.series_id WHERE s.code = $1 ORDER BY h.seq`,
        [seriesCode],
      )
    ).rows;
    await client.query('BEGIN');
    try {
      const copy = `${seriesCode}-RAW`;
      const asset = `LP.${copy}`;
      const [project] = (
        await client.query<{ id: string }>(
          `INSERT INTO coop_projects (code, name, farm_party_id, collective_party_id, project_type, area_mu, start_date, term_years, management_fee_rate, collective_retained_ratio, member_weighting, state)
           SELECT code || '-RAW', name, farm_party_id, collective_party_id, project_type, area_mu, start_date, term_years, management_fee_rate, collective_retained_ratio, member_weighting, state
             FROM coop_projects p WHERE p.id = (SELECT project_id FROM ticket_series WHERE code = $1) RETURNING id::text`,
          [seriesCode],
        )
      ).rows;
      const date = '2025-03-01';
      const start = process.hrtime.bigint();
      window?.start();
      await client.query(`INSERT INTO ledger_assets (code, scale, description) VALUES ($1, 0, 'raw baseline')`, [asset]);
      const issued = `series:${copy}:issued`;
      const codes = [issued, ...holdings.flatMap((h) => [`holder:${h.code}:tickets:${copy}`, `holder:${h.code}:tickets:${copy}:pledged`])];
      const accounts = (
        await client.query<{ id: string; code: string }>(
          `INSERT INTO ledger_accounts (code, asset_code, type, normal_side, owner_ref, no_overdraft)
           SELECT t.code, $2, CASE WHEN t.ord = 1 THEN 'ASSET' ELSE 'LIABILITY' END, CASE WHEN t.ord = 1 THEN 'DEBIT' ELSE 'CREDIT' END, t.owner, t.ord > 1
             FROM unnest($1::text[], $3::text[]) WITH ORDINALITY AS t(code, owner, ord) RETURNING id::text, code`,
          [codes, asset, [`series:${copy}`, ...holdings.flatMap((h) => [`party:${h.code}`, `party:${h.code}`])]],
        )
      ).rows;
      const idOf = new Map(accounts.map((a) => [a.code, a.id]));
      const entries: RawEntry[] = [];
      for (let i = 0; i < holdings.length; i += 999) {
        const slice = holdings.slice(i, i + 999);
        const units = slice.reduce((s, h) => s.plus(h.units), new Dec(0)).toFixed(0);
        entries.push({
          key: `raw-issuance:${copy}:${entries.length + 1}`,
          postings: [
            { accountId: idOf.get(issued)!, code: issued, side: 'DEBIT', amount: units },
            ...slice.map((h) => {
              const code = `holder:${h.code}:tickets:${copy}`;
              return { accountId: idOf.get(code)!, code, side: 'CREDIT' as const, amount: h.units };
            }),
          ],
        });
      }
      const entryIds = await writeRawEntries(client, entries, 'TICKET_ISSUANCE', date, full);
      const ids = entries.map((e) => entryIds.get(e.key)!);
      const total = holdings.reduce((s, h) => s.plus(h.units), new Dec(0)).toFixed(0);
      const [series] = (
        await client.query<{ id: string }>(
          `INSERT INTO ticket_series (code, name, project_id, asset_code, face_value, total_units, transfer_restriction, issued_on, issuance_entry_id, last_certificate_seq)
           VALUES ($1, $1, $2, $3, 1, $4, 'OPEN', $5, $6, $7) RETURNING id::text`,
          [copy, project.id, asset, total, date, ids[0], holdings.length],
        )
      ).rows;
      await client.query(
        `INSERT INTO ticket_holdings (series_id, party_id, seq, certificate_no, origin, issued_units, verification_code)
         SELECT $1, t.party_id, t.seq, $2 || '-' || lpad(t.seq::text, 6, '0'), t.origin, t.units, t.code
           FROM unnest($3::bigint[], $4::int[], $5::text[], $6::numeric[], $7::text[]) AS t(party_id, seq, origin, units, code)`,
        [
          series.id,
          copy,
          holdings.map((h) => h.party_id),
          holdings.map((h) => h.seq),
          holdings.map((h) => h.origin),
          holdings.map((h) => h.units),
          holdings.map(() => randomBytes(10).toString('hex').toUpperCase().slice(0, 16)),
        ],
      );
      await client.query(
        `INSERT INTO ticket_movements (series_id, kind, entry_id, effective_date, to_party_id, units)
         SELECT $1, 'ISSUANCE', t.entry_id, $2::date, t.party_id, t.units FROM unnest($3::bigint[], $4::bigint[], $5::numeric[]) AS t(entry_id, party_id, units)`,
        [series.id, date, holdings.map((_, i) => ids[Math.floor(i / 999)]), holdings.map((h) => h.party_id), holdings.map((h) => h.units)],
      );
      return seconds(start);
    } finally {
      await client.query('ROLLBACK');
    }
  } finally {
    window?.end();
    await client.end();
  }
}
