import { FeedEvent } from '@forest-ledger/platform';

/**
 * What a scoped reader (a bank, a farm operator, a buyer) sees of an event (issue 17), decided by one pure
 * function. The feed's SQL already keeps only the events that name the party (or are of a pledge in its
 * favour); here the data is cut to the reader's own lines, as every other read does:
 * - `ledger.entry.posted`: only the postings (and chain links) of its own accounts; when any other was left
 *   out, no memo, metadata, idempotency key or hash (they name or measure the others), and `othersHidden`;
 * - any other type: the event's own fields stay (the record's named sides: who sold, who bought), but of a
 *   list of lines (legs, recipients, shares) a line naming other parties and not the reader is left out.
 * An event of a pledge given in the reader's favour is its own record and is shown whole.
 */
export function eventSeenBy(event: FeedEvent, party: string, ownPledgeIds: ReadonlySet<string>): FeedEvent | null {
  const data = event.data;
  if (typeof data.pledgeId === 'string' && ownPledgeIds.has(data.pledgeId)) return event;
  if (!mentions(data, party)) return null;
  if (event.type === 'ledger.entry.posted') return { ...event, data: entryDataSeenBy(data, party) };
  return { ...event, data: linesSeenBy(data, party) as Record<string, unknown> };
}

const ownAccount = (account: unknown, party: string): boolean => typeof account === 'string' && account.startsWith(`party:${party}:`);

function entryDataSeenBy(data: Record<string, unknown>, party: string): Record<string, unknown> {
  const postings = Array.isArray(data.postings) ? (data.postings as Array<{ account?: unknown }>) : [];
  const own = postings.filter((p) => ownAccount(p.account, party));
  if (own.length === postings.length) return data;
  const previous = data.previous && typeof data.previous === 'object' ? (data.previous as Record<string, unknown>) : {};
  return {
    ...data,
    idempotencyKey: null,
    memo: null,
    metadata: {},
    hash: null,
    previous: Object.fromEntries(Object.entries(previous).filter(([account]) => ownAccount(account, party))),
    postings: own,
    othersHidden: true,
  };
}

/** Whether a value names the party: its code, or one of its account codes. */
function mentions(value: unknown, party: string): boolean {
  if (typeof value === 'string') return value === party || value.startsWith(`party:${party}:`);
  if (Array.isArray(value)) return value.some((v) => mentions(v, party));
  if (value && typeof value === 'object') return Object.values(value).some((v) => mentions(v, party));
  return false;
}

/** Whether a value names any party (a party code such as V-0001 or an account code party:…). */
function namesAParty(value: unknown): boolean {
  if (typeof value === 'string') return /^party:/.test(value) || /^[A-Z]{1,4}-[A-Z0-9-]+$/.test(value);
  if (Array.isArray(value)) return value.some(namesAParty);
  if (value && typeof value === 'object') return Object.values(value).some(namesAParty);
  return false;
}

function linesSeenBy(value: unknown, party: string): unknown {
  if (Array.isArray(value)) {
    return value.filter((line) => !(line && typeof line === 'object') || mentions(line, party) || !namesAParty(line)).map((line) => linesSeenBy(line, party));
  }
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, linesSeenBy(v, party)]));
  return value;
}
