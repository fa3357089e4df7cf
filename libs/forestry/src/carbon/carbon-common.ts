import { LedgerError, LedgerReads, LedgerService, OpenAccountInput } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { inputChecks } from '../common/input-checks';
import { PartyRef, partiesByCodes, partiesByIds } from '../parties/party-refs';
import { WALLET_ASSET, walletOf } from '../parties/parties.service';
import { businessToday } from '../projects/project-accounts';
import { projectCodesByIds } from '../projects/project-refs';
import { CarbonError } from './carbon.errors';
import { CARBON_TEXT_MAX } from './carbon.model';
import { CarbonProjectRow, projectByCode } from './carbon-projects.store';
import type { SerialRangeText } from './carbon.types';
import { BlockTake, SerialRange, takeSerials } from './serial-ranges';

/** What the carbon use cases share: input checks, a project with its owner's and cooperation project's codes, accounts opened on demand, refusals. */

export function invalid(message: string, field: string): CarbonError {
  return new CarbonError('INVALID_CARBON_INPUT', message, field);
}

export const { requireText, requireDate } = inputChecks(invalid, { maxText: CARBON_TEXT_MAX });

/** The effective date of a movement: given, or today (Asia/Shanghai); never in the future. */
export function effectiveDateOf(value: unknown, field = 'effectiveDate'): string {
  const date = value === undefined ? businessToday() : requireDate(value, field);
  if (date > businessToday()) throw invalid(`${field} ${date} is after today`, field);
  return date;
}

export const toText = (r: SerialRange): SerialRangeText => ({ start: r.start.toString(), end: r.end.toString() });
export const fromText = (r: SerialRangeText): SerialRange => ({ start: BigInt(r.start), end: BigInt(r.end) });

/** A carbon project row with the codes of its owner and of its cooperation project. */
export interface CarbonProject extends CarbonProjectRow {
  ownerCode: string;
  coopProjectCode: string | null;
}

/** The rows with their owners' and cooperation projects' codes, in two queries whatever their number. */
export async function withRefs<R extends CarbonProjectRow>(em: EntityManager, rows: R[]): Promise<Array<R & CarbonProject>> {
  if (rows.length === 0) return [];
  const owners = await partiesByIds(
    em,
    rows.map((r) => r.owner_party_id),
  );
  const coops = await projectCodesByIds(
    em,
    rows.flatMap((r) => (r.coop_project_id === null ? [] : [r.coop_project_id])),
  );
  return rows.map((r) => ({ ...r, ownerCode: owners.get(r.owner_party_id)!.code, coopProjectCode: r.coop_project_id === null ? null : coops.get(r.coop_project_id)! }));
}

/** The project `code` (`lock`: its row FOR UPDATE); UNKNOWN_CARBON_PROJECT when there is none. */
export async function loadProject(em: EntityManager, code: string, lock = false): Promise<CarbonProject> {
  const row = typeof code === 'string' ? await projectByCode(em, code, lock) : null;
  if (!row) throw new CarbonError('UNKNOWN_CARBON_PROJECT', `no carbon project ${JSON.stringify(code)}`, 'project');
  const [project] = await withRefs(em, [row]);
  return project;
}

/** An active party by code, or UNKNOWN_PARTY naming `field`. */
export async function requireParty(em: EntityManager, code: string, field: string): Promise<PartyRef> {
  const party = typeof code === 'string' ? (await partiesByCodes(em, [code])).get(code) : undefined;
  if (!party || !party.active) throw new CarbonError('UNKNOWN_PARTY', `no active party ${JSON.stringify(code)}`, field);
  return party;
}

/** Opens those of `accounts` that do not exist yet (one query to find them, one to open them). */
export async function openMissingAccounts(em: EntityManager, ledger: LedgerService, reads: LedgerReads, accounts: readonly OpenAccountInput[]): Promise<void> {
  const existing = await reads.balances(
    em,
    accounts.map((a) => a.code),
  );
  const missing = accounts.filter((a) => !existing.has(a.code));
  if (missing.length > 0) await ledger.openAccounts(em, missing);
}

/** Every party has its wallet from registration; one opened here only covers a party created without (as parties.service does). */
export const walletAccount = (party: string): OpenAccountInput => ({
  code: walletOf(party),
  asset: WALLET_ASSET.code,
  type: 'LIABILITY',
  ownerRef: `party:${party}`,
  noOverdraft: true,
});

/** takeSerials, with a shortage named after the party whose serials were short. */
export function takeOrRefuse(blocks: ReadonlyArray<{ id: string; start: bigint; end: bigint }>, quantity: bigint, party: string): BlockTake[] {
  try {
    return takeSerials([...blocks], quantity);
  } catch (error) {
    if (error instanceof CarbonError && error.code === 'INSUFFICIENT_CREDITS') {
      throw new CarbonError('INSUFFICIENT_CREDITS', `${party} has ${String(error.details?.available)} t available here, ${quantity} t asked`, 'quantity', {
        ...error.details,
        party,
      });
    }
    throw error;
  }
}

/** A key reused for a different command: the first one stands. */
export function conflict(key: string, first: string): LedgerError {
  return new LedgerError('IDEMPOTENCY_CONFLICT', `idempotency key ${key} was already used for a different command (${first})`, 'idempotencyKey');
}

/** INSUFFICIENT_FUNDS on a buyer's wallet names the party; on a credits account it is INSUFFICIENT_CREDITS. */
export function translateFunds(error: unknown): unknown {
  if (!(error instanceof LedgerError) || error.code !== 'INSUFFICIENT_FUNDS') return error;
  const account = error.detailText('account');
  const wallet = /^party:(.+):wallet:CNY$/.exec(account);
  if (wallet)
    return new LedgerError('INSUFFICIENT_FUNDS', `${wallet[1]}'s wallet holds ${String(error.details?.balance)} CNY, less than the order costs; nothing moved`, 'buyer', {
      ...error.details,
      party: wallet[1],
    });
  if (/^holder:.+:credits:/.test(account))
    return new CarbonError('INSUFFICIENT_CREDITS', `account ${account} holds fewer tonnes than asked; nothing moved`, 'quantity', error.details);
  return error;
}
