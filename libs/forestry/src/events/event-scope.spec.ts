import { FeedEvent } from '@forest-ledger/platform';
import { eventSeenBy } from './event-scope';

const event = (type: string, data: Record<string, unknown>): FeedEvent => ({
  id: 'e',
  seq: '1',
  type,
  version: 1,
  aggregate: { type: 'x', id: 'x' },
  occurredAt: '2026-01-01T00:00:00.000Z',
  data,
});

describe('eventSeenBy (what a scoped reader sees of an event)', () => {
  it('an entry: only its own postings and links, without what names or measures the others', () => {
    const e = event('ledger.entry.posted', {
      entryId: '9',
      memo: '分红 V-0002',
      metadata: { holder: 'V-0002' },
      idempotencyKey: 'user:1/k',
      hash: 'h',
      previous: { 'party:F-A:wallet:CNY': 'p1', 'party:V-0002:wallet:CNY': 'p2' },
      postings: [
        { account: 'party:F-A:wallet:CNY', side: 'DEBIT', amount: '10.00' },
        { account: 'party:V-0002:wallet:CNY', side: 'CREDIT', amount: '10.00' },
      ],
    });
    expect(eventSeenBy(e, 'F-A', new Set())!.data).toEqual({
      entryId: '9',
      memo: null,
      metadata: {},
      idempotencyKey: null,
      hash: null,
      previous: { 'party:F-A:wallet:CNY': 'p1' },
      postings: [{ account: 'party:F-A:wallet:CNY', side: 'DEBIT', amount: '10.00' }],
      othersHidden: true,
    });
    expect(eventSeenBy(e, 'E-OTHER', new Set())).toBeNull();
  });

  it("another event: its named sides stay, other parties' lines go; a pledge in the reader's favour is shown whole", () => {
    const trade = event('ticket.traded', {
      series: 'S',
      pledgeId: null,
      legs: [
        { from: 'F-A', to: 'E-B', units: '5' },
        { from: 'V-0001', to: 'E-C', units: '7' },
      ],
    });
    expect(eventSeenBy(trade, 'E-B', new Set())!.data).toEqual({ series: 'S', pledgeId: null, legs: [{ from: 'F-A', to: 'E-B', units: '5' }] });
    const pledge = event('ticket.pledged', { series: 'S', pledgeId: 'p9', legs: [{ from: 'F-A', to: 'F-A', units: '100' }] });
    expect(eventSeenBy(pledge, 'K-BANK', new Set(['p9']))).toEqual(pledge);
    expect(eventSeenBy(pledge, 'K-BANK', new Set(['p8']))).toBeNull();
  });
});
