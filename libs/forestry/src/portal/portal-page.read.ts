import { accountsOfOwnerSql, firstPostingDateSql, OwnerAccountRow } from '@forest-ledger/ledger';
import { preparedQuery } from '@forest-ledger/platform';
import { EntityManager } from 'typeorm';
import { partyLinesSql, PartyLineRow } from '../dividends/declarations.store';
import { partyPayoutsSql, PartyPayoutRow } from '../dividends/payouts.store';
import { ownerRefOf } from '../parties/party-registration';
import { PartyRef, partyRefByCodeSql, partyRefOf, PartyRefRow } from '../parties/party-refs';
import { projectDisplayByIdsSql, ProjectDisplayRow } from '../projects/projects.store';
import { seriesDisplayByIdsSql, SeriesDisplayRow } from '../tickets/series.store';
import { holdingsOfPartySql, HoldingOfPartyRow } from '../tickets/ticket-register.store';

/** What the page shows of a series and its project (a SeriesRecord has all of it). */
export interface PortalSeries extends SeriesDisplayRow {
  project_code: string;
  project_name: string;
  project_kind: ProjectDisplayRow['project_kind'];
}

/** Everything the villagers' page reads, as of one snapshot. */
export interface PortalPageData {
  holder: PartyRef;
  held: Array<{ certificateNo: string; series: PortalSeries }>;
  /** The series of the holdings and of the dividend lines, by id. */
  seriesById: Map<string, PortalSeries>;
  lines: PartyLineRow[];
  /** The holder's accounts (wallet, tickets, pledged and listed tickets), by code. */
  accounts: Map<string, OwnerAccountRow>;
  firstPostingDate: string | null;
  payouts: PartyPayoutRow[];
}

const HOLDER_ID = '(SELECT id::bigint FROM page_holder)';

/**
 * The page in one statement, composed of each owner's fragment (parties, tickets, projects, dividends, ledger: no table
 * is named here): one round trip instead of a dozen, and one statement is one snapshot, so a distribution committing
 * meanwhile shows wholly or not at all without a REPEATABLE READ transaction around it. Each part is aggregated to
 * JSON; every fragment selects only text, integer and boolean columns, which JSON carries exactly as pg would.
 * Prepared (planned once per connection): planning it took about 1 ms of the database's CPU, four times executing it.
 * $1 the party's code, $2 its owner reference.
 */
const PAGE_SQL = `
  WITH page_holder AS MATERIALIZED (${partyRefByCodeSql('$1')}),
       page_held AS MATERIALIZED (${holdingsOfPartySql(HOLDER_ID)}),
       page_lines AS MATERIALIZED (${partyLinesSql(HOLDER_ID)}),
       page_series AS MATERIALIZED (${seriesDisplayByIdsSql('ARRAY(SELECT series_id::bigint FROM page_held UNION SELECT series_id::bigint FROM page_lines)')})
  SELECT (SELECT row_to_json(t) FROM page_holder t) AS holder,
         (SELECT json_agg(t) FROM page_held t) AS held,
         (SELECT json_agg(t) FROM page_lines t) AS lines,
         (SELECT json_agg(t) FROM page_series t) AS series,
         (SELECT json_agg(t) FROM (${projectDisplayByIdsSql('ARRAY(SELECT project_id::bigint FROM page_series)')}) t) AS projects,
         (SELECT json_agg(t) FROM (${accountsOfOwnerSql('$2')}) t) AS accounts,
         (SELECT t.date FROM (${firstPostingDateSql('$2')}) t) AS first_posting_date,
         (SELECT json_agg(t) FROM (${partyPayoutsSql(HOLDER_ID)}) t) AS payouts`;

interface PageRow {
  holder: PartyRefRow | null;
  held: HoldingOfPartyRow[] | null;
  lines: PartyLineRow[] | null;
  series: SeriesDisplayRow[] | null;
  projects: ProjectDisplayRow[] | null;
  accounts: OwnerAccountRow[] | null;
  first_posting_date: string | null;
  payouts: PartyPayoutRow[] | null;
}

/** The page's data of the party `partyCode`, in one statement; null when there is no such party. */
export async function readPortalPage(em: EntityManager, partyCode: string): Promise<PortalPageData | null> {
  const [row] = await preparedQuery<PageRow>(em, 'portal-page', PAGE_SQL, [partyCode, ownerRefOf(partyCode)]);
  if (row.holder === null) return null;
  const projects = new Map((row.projects ?? []).map((p) => [p.id, p]));
  const seriesById = new Map(
    (row.series ?? []).map((s): [string, PortalSeries] => {
      const project = projects.get(s.project_id)!;
      return [s.id, { ...s, project_code: project.code, project_name: project.name, project_kind: project.project_kind }];
    }),
  );
  return {
    holder: partyRefOf(row.holder),
    held: (row.held ?? []).map((h) => ({ certificateNo: h.certificate_no, series: seriesById.get(h.series_id)! })),
    seriesById,
    lines: row.lines ?? [],
    accounts: new Map((row.accounts ?? []).map((a) => [a.code, a])),
    firstPostingDate: row.first_posting_date,
    payouts: row.payouts ?? [],
  };
}
