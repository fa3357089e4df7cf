import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, LedgerReads, LedgerService, PostingDraft } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { partiesByIds } from '../parties/party-refs';
import { businessToday } from '../projects/project-accounts';
import { carbonBuffer, carbonIssued, carbonRetired, holderCredits } from './carbon-accounts';
import { insertIssuedBlocks, tonnesByOwner, tonnesByStatus } from './carbon-blocks.store';
import { CarbonProject, conflict, invalid, loadProject, requireDate, requireText, toText } from './carbon-common';
import { buyersOf } from './carbon-market.store';
import { insertIssuance, issuanceByEntry, IssuanceRow, issuancesOf, overlappingVintages, setLastSerial } from './carbon-projects.store';
import { CarbonError } from './carbon.errors';
import { SerialStatus } from './carbon.model';
import type { CarbonInvariantReport, IssuanceView, IssueCreditsInput, VintageBalance } from './carbon.types';
import { bufferTonnes, issuanceRanges, SerialRange, serialText, wholeTonnes } from './serial-ranges';
import { recordEvent } from '../events/record-event';

/** An issuance as clients see it: its serial block in the standard's notation. */
export function issuanceView(project: Pick<CarbonProject, 'code' | 'standard'>, r: IssuanceRow): IssuanceView {
  const serials = { start: BigInt(r.serial_start), end: BigInt(r.serial_end) };
  return {
    id: r.id,
    project: project.code,
    vintage: r.vintage,
    vintageStart: r.vintage_start,
    vintageEnd: r.vintage_end,
    quantity: r.quantity,
    bufferQuantity: r.buffer_quantity,
    serialBlock: serialText(project.standard, project.code, r.vintage, serials),
    serials: toText(serials),
    verificationReference: r.verification_reference,
    issuedOn: r.issued_on,
    entryId: r.entry_id,
  };
}

/**
 * Issuance of carbon credits by vintage (DOMAIN.md §5) and the project's invariant: the serial
 * blocks add up per vintage and agree with the ledger.
 */
@Injectable()
export class CarbonIssuanceService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly ledgerReads: LedgerReads,
  ) {}

  /**
   * Issues one vintage: a serial block continuing the project's numbering, the buffer share (rounded
   * down) to the buffer and the rest to the owner, in one TCO2E entry. Locks the project row, so
   * numbering is gapless; the exclusion constraints back the vintage and serial checks. A replay
   * with the same key returns the first issuance (see CarbonMarketService.order on why the check is here).
   */
  async issue(em: EntityManager, code: string, input: IssueCreditsInput, key: string): Promise<IssuanceView> {
    const project = await loadProject(em, code, true);
    const idempotencyKey = `carbon-issuance:${key}`;
    const replayed = await this.replayOf(em, idempotencyKey);
    if (replayed && replayed.project_id === project.id) {
      if (replayed.quantity !== String(input.quantity) || replayed.vintage_start !== input.vintageStart || replayed.vintage_end !== input.vintageEnd)
        throw conflict(key, `issuance ${replayed.id}`);
      return issuanceView(project, replayed);
    }
    if (project.state !== 'REGISTERED')
      throw new CarbonError('CARBON_PROJECT_NOT_REGISTERED', `carbon project ${code} is ${project.state}: credits are issued for registered projects only`, 'project');
    const vintageStart = requireDate(input.vintageStart, 'vintageStart');
    const vintageEnd = requireDate(input.vintageEnd, 'vintageEnd');
    if (vintageEnd < vintageStart) throw invalid('vintageEnd must not be before vintageStart', 'vintageEnd');
    if (vintageStart < project.crediting_start || vintageEnd > project.crediting_end) {
      throw new CarbonError(
        'VINTAGE_OUTSIDE_CREDITING_PERIOD',
        `the monitoring period ${vintageStart}..${vintageEnd} is not inside the crediting period ${project.crediting_start}..${project.crediting_end}`,
        'vintageStart',
      );
    }
    const overlapping = await overlappingVintages(em, project.id, vintageStart, vintageEnd);
    if (overlapping.length > 0) {
      throw new CarbonError(
        'VINTAGE_OVERLAPS',
        `the monitoring period ${vintageStart}..${vintageEnd} overlaps the issued ${overlapping[0].s}..${overlapping[0].e}`,
        'vintageStart',
        { existing: overlapping },
      );
    }
    const quantity = wholeTonnes(input.quantity, 'quantity');
    const verificationReference = requireText(input.verificationReference, 'verificationReference');
    const issuedOn = input.issuedOn === undefined ? businessToday() : requireDate(input.issuedOn, 'issuedOn');
    if (issuedOn < vintageEnd) throw invalid(`issuedOn ${issuedOn} is before the monitoring period ends (${vintageEnd})`, 'issuedOn');
    if (issuedOn > businessToday()) throw invalid(`issuedOn ${issuedOn} is after today: credits are issued on or before the day they are booked`, 'issuedOn');

    const buffer = bufferTonnes(quantity, project.buffer_ratio);
    const ranges = issuanceRanges(BigInt(project.last_serial), quantity, buffer);
    const vintage = vintageEnd.slice(0, 4);
    const held = quantity - buffer;
    const postings: PostingDraft[] = [{ account: carbonIssued(code), side: 'DEBIT', amount: quantity.toString() }];
    if (held > 0n) postings.push({ account: holderCredits(project.ownerCode, code), side: 'CREDIT', amount: held.toString() });
    if (buffer > 0n) postings.push({ account: carbonBuffer(code), side: 'CREDIT', amount: buffer.toString() });
    const posted = await this.ledger.post(em, {
      idempotencyKey,
      kind: 'CARBON_ISSUANCE',
      effectiveDate: issuedOn,
      memo: `碳汇签发 ${serialText(project.standard, code, vintage, ranges.issued)}（缓冲 ${buffer} 吨）`,
      metadata: { carbonProject: code, vintageStart, vintageEnd, verificationReference },
      postings,
    });
    const issuance = await insertIssuance(em, {
      project_id: project.id,
      vintage,
      vintage_start: vintageStart,
      vintage_end: vintageEnd,
      quantity: quantity.toString(),
      buffer_quantity: buffer.toString(),
      serial_start: ranges.issued.start.toString(),
      serial_end: ranges.issued.end.toString(),
      verification_reference: verificationReference,
      issued_on: issuedOn,
      entry_id: posted.entry.id,
    });
    const blocks: Array<{ range: SerialRange; ownerPartyId: string | null; status: SerialStatus }> = [];
    if (ranges.held) blocks.push({ range: ranges.held, ownerPartyId: project.owner_party_id, status: 'HELD' });
    if (ranges.buffer) blocks.push({ range: ranges.buffer, ownerPartyId: null, status: 'BUFFER' });
    await insertIssuedBlocks(em, project.id, issuance.id, blocks);
    await setLastSerial(em, project.id, ranges.issued.end);
    await recordEvent(
      em,
      'carbon.issued',
      { type: 'carbon_project', id: code },
      {
        issuanceId: issuance.id,
        project: code,
        owner: project.ownerCode,
        vintage,
        vintageStart,
        vintageEnd,
        quantity: quantity.toString(),
        bufferQuantity: buffer.toString(),
        serialStart: ranges.issued.start.toString(),
        serialEnd: ranges.issued.end.toString(),
        verificationReference,
        issuedOn,
        entryId: posted.entry.id,
      },
    );
    return issuanceView(project, issuance);
  }

  /** The issuance an earlier command under this key posted, found by its entry. */
  private async replayOf(em: EntityManager, idempotencyKey: string): Promise<IssuanceRow | null> {
    const entryId = (await this.ledgerReads.entryIdsByKeys(em, [idempotencyKey])).get(idempotencyKey);
    return entryId === undefined ? null : issuanceByEntry(em, entryId);
  }

  async issuances(code: string, em: EntityManager = this.dataSource.manager): Promise<IssuanceView[]> {
    const project = await loadProject(em, code);
    return (await issuancesOf(em, project.id)).map((r) => issuanceView(project, r));
  }

  /**
   * Per vintage: issued = held + reserved + retired + buffer + cancelled (from the serial blocks);
   * and the blocks agree with the ledger: issued, buffer and retired accounts, and each holder's
   * credits account = their HELD + RESERVED tonnes.
   */
  async checkInvariant(code: string, em: EntityManager = this.dataSource.manager): Promise<CarbonInvariantReport> {
    const project = await loadProject(em, code);
    const vintages: VintageBalance[] = (await tonnesByStatus(em, project.id)).map((r) => ({
      issuanceId: r.id,
      vintage: r.vintage,
      issued: r.issued,
      held: r.held,
      reserved: r.reserved,
      retired: r.retired,
      buffer: r.buffer,
      cancelled: r.cancelled,
      ok: BigInt(r.issued) === BigInt(r.held) + BigInt(r.reserved) + BigInt(r.retired) + BigInt(r.buffer) + BigInt(r.cancelled),
    }));
    const sum = (f: (v: VintageBalance) => string) => vintages.reduce((s, v) => s + BigInt(f(v)), 0n);
    // Every credits account of the project belongs to its owner, a buyer, or a party its blocks went to
    // (only carbon opens them, and the raw routes never move TCO2E): each is compared with its blocks.
    const byOwner = await tonnesByOwner(em, project.id);
    const holderIds = [...new Set([project.owner_party_id, ...(await buyersOf(em, project.id)), ...byOwner.keys()])];
    const holders = [...(await partiesByIds(em, holderIds)).values()].map((p) => ({ account: holderCredits(p.code, code), tonnes: byOwner.get(p.id) ?? 0n }));
    const expected: Array<{ account: string; tonnes: bigint }> = [
      { account: carbonIssued(code), tonnes: sum((v) => v.issued) - sum((v) => v.cancelled) },
      { account: carbonBuffer(code), tonnes: sum((v) => v.buffer) },
      { account: carbonRetired(code), tonnes: sum((v) => v.retired) },
      ...holders.sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0)),
    ];
    const balances = await this.ledgerReads.balances(
      em,
      expected.map((e) => e.account),
    );
    const mismatches: string[] = [];
    for (const { account, tonnes } of expected) {
      const balance = balances.get(account);
      // A party without a credits account is only a mismatch if its blocks say it holds tonnes.
      if (balance === undefined && tonnes === 0n && account.startsWith('holder:')) continue;
      const ledger = balance ?? new Dec(0);
      if (!ledger.equals(tonnes.toString())) mismatches.push(`${account}: ledger ${ledger.toString()} t, serial blocks ${tonnes} t`);
    }
    return { project: code, ok: vintages.every((v) => v.ok) && mismatches.length === 0, vintages, ledgerMismatches: mismatches };
  }
}
