import { EntityManager } from 'typeorm';
import { REFUSED_CLAIM_STATES } from './subsidy.model';

/** The report's SQL over the subsidy tables (claims, their instalments and recipients, contracts, programmes). */

export interface FigureRow {
  key: string;
  contracts: number;
  area: string;
  approved_claims: number;
  approved: string;
  paid: string;
  clawed_back: string;
  recovered: string;
}

/**
 * Claims' figures in these townships (optionally of one programme), per township id and per programme code, in one query
 * (two grouping sets). Money columns come from the claims and their instalments and recipients, never re-derived.
 */
export async function claimFigures(em: EntityManager, townshipIds: readonly string[], programme: string | null): Promise<{ byTownship: FigureRow[]; byProgramme: FigureRow[] }> {
  const rows = await em.query<Array<Omit<FigureRow, 'key'> & { township: string | null; programme: string | null }>>(
    `SELECT t.township_id::text AS township, p.code AS programme,
            COUNT(*) FILTER (WHERE c.approved_by IS NOT NULL)::int AS approved_claims,
            COALESCE(SUM(c.amount) FILTER (WHERE c.approved_by IS NOT NULL), 0)::text AS approved,
            COALESCE(SUM((SELECT SUM(i.amount) FROM subsidy_instalments i WHERE i.claim_id = c.id AND i.state = 'PAID')), 0)::text AS paid,
            COALESCE(SUM(c.clawback_amount), 0)::text AS clawed_back,
            COALESCE(SUM((SELECT SUM(r.recovered_amount) FROM subsidy_claim_recipients r WHERE r.claim_id = c.id)), 0)::text AS recovered
       FROM subsidy_claims c JOIN transfer_contracts t ON t.id = c.contract_id JOIN subsidy_programmes p ON p.id = c.programme_id
      WHERE t.township_id = ANY($1::bigint[]) AND ($2::text IS NULL OR p.code = $2)
      GROUP BY GROUPING SETS ((t.township_id), (p.code))`,
    [townshipIds, programme],
  );
  const keyed = (key: string, r: (typeof rows)[number]): FigureRow => ({ ...r, key });
  return {
    byTownship: rows.filter((r) => r.township !== null).map((r) => keyed(r.township!, r)),
    byProgramme: rows.filter((r) => r.programme !== null).map((r) => keyed(r.programme!, r)),
  };
}

/** Contracts and their area per township (with a programme: only contracts with a claim under it). */
export async function contractFiguresByTownship(
  em: EntityManager,
  townshipIds: readonly string[],
  programme: string | null,
): Promise<Array<{ key: string; contracts: number; area: string }>> {
  return await em.query<Array<{ key: string; contracts: number; area: string }>>(
    `SELECT t.township_id::text AS key, COUNT(*)::int AS contracts, COALESCE(SUM(t.area_mu), 0)::text AS area FROM transfer_contracts t
      WHERE t.township_id = ANY($1::bigint[])
        AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM subsidy_claims c JOIN subsidy_programmes p ON p.id = c.programme_id WHERE c.contract_id = t.id AND p.code = $2))
      GROUP BY t.township_id`,
    [townshipIds, programme],
  );
}

/** Per programme: the contracts (and their area) with a claim not refused before approval, in these townships. */
export async function contractFiguresByProgramme(
  em: EntityManager,
  townshipIds: readonly string[],
  programme: string | null,
): Promise<Array<{ key: string; contracts: number; area: string }>> {
  return await em.query<Array<{ key: string; contracts: number; area: string }>>(
    `SELECT p.code AS key, COUNT(DISTINCT t.id)::int AS contracts, COALESCE(SUM(t.area_mu), 0)::text AS area
       FROM subsidy_claims c JOIN transfer_contracts t ON t.id = c.contract_id JOIN subsidy_programmes p ON p.id = c.programme_id
      WHERE t.township_id = ANY($1::bigint[]) AND ($2::text IS NULL OR p.code = $2) AND c.state <> ALL($3::text[]) GROUP BY p.code`,
    [townshipIds, programme, REFUSED_CLAIM_STATES],
  );
}
