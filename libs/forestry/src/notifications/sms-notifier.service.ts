import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EventData, EventType, FeedEvent, selectFeed } from '@forest-ledger/platform';
import { Dec } from '@forest-ledger/ledger';
import { DataSource } from 'typeorm';
import { linesOfDeclaration, paidLinesOfPayoutBatch, PaidAmount } from '../dividends/dividend-refs';
import { partyMobilesByIds } from '../parties/party-refs';
import { PiiCipher } from '../parties/pii';
import { projectNamesByCodes } from '../projects/project-refs';
import { regionsByCodes } from '../regions/region-refs';
import { smsNotificationsStore } from './sms-notifications.store';
import { SmsProvider } from './sms-provider';

/** The provider the notifier sends through (HttpSmsProvider or LogSmsProvider, from SMS_PROVIDER). */
export const SMS_PROVIDER = Symbol('SMS_PROVIDER');
/** The notifier's cursor in the feed (sms_notifier_cursor.name). */
export const SMS_NOTIFIER_NAME = 'villager-sms';
export const SMS_EVENT_TYPES: readonly EventType[] = ['dividend.distributed', 'payout.batch_confirmed'];
const LINES_PAGE = 1000;

export interface SmsRunReport {
  /** Feed events handled (the cursor moved past them). */
  events: number;
  sent: number;
  failed: number;
  /** Villagers without a mobile number: skipped, recorded (NO_MOBILE) and counted once per event. */
  skippedNoMobile: number;
  /** (event, villager) pairs handled before (a replay or a re-run): nothing sent again. */
  alreadyHandled: number;
  cursor: string;
}

/** 2026-07-15 → 2026年7月15日. */
export function chineseDate(date: string): string {
  const [y, m, d] = date.split('-');
  return `${y}年${Number(m)}月${Number(d)}日`;
}

/** The short SMS for a villager's dividend. */
export function dividendSms(project: string, amount: string, paymentDate: string): string {
  return `【林账】您在${project}的林票分红${new Dec(amount).toFixed(2)}元已于${chineseDate(paymentDate)}记入您的账户。`;
}

/** The short SMS for a payout to a villager's bank card. */
export function payoutSms(scope: string, amount: string, paidOn: string): string {
  return `【林账】${scope}代发${new Dec(amount).toFixed(2)}元已于${chineseDate(paidOn)}转入您的银行卡。`;
}

/**
 * Tells villagers by SMS (issue 17): reads `dividend.distributed` and `payout.batch_confirmed` from the feed
 * by its own cursor (in PostgreSQL), and sends each villager the event paid one short Chinese message.
 * Never twice for one event and villager: the (event, party) row is claimed (unique key, committed) before
 * the send and settled with its outcome after; a claimed pair is never sent again, whatever re-runs or
 * replays the feed, so a crash between claim and send loses that message rather than repeating it
 * (its row stays SENDING, visible). A villager without a mobile number is recorded NO_MOBILE and counted.
 */
@Injectable()
export class SmsNotifier {
  private readonly logger = new Logger(SmsNotifier.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pii: PiiCipher,
    @Inject(SMS_PROVIDER) private readonly provider: SmsProvider,
  ) {}

  /** Handles every event after the cursor, then returns what it did. */
  async runOnce(pageSize = 100): Promise<SmsRunReport> {
    const em = this.dataSource.manager;
    let cursor = await smsNotificationsStore.cursor(em, SMS_NOTIFIER_NAME);
    const report: SmsRunReport = { events: 0, sent: 0, failed: 0, skippedNoMobile: 0, alreadyHandled: 0, cursor };
    for (;;) {
      const events = await selectFeed(em, { after: cursor, types: SMS_EVENT_TYPES, limit: pageSize });
      if (events.length === 0) break;
      for (const event of events) {
        await this.notify(event, report);
        await smsNotificationsStore.advance(em, SMS_NOTIFIER_NAME, event.seq);
        cursor = event.seq;
        report.events += 1;
      }
    }
    report.cursor = cursor;
    if (report.events > 0)
      this.logger.log({ ...report }, `villager SMS: ${report.sent} sent, ${report.failed} failed, ${report.skippedNoMobile} villager(s) skipped without a mobile number`);
    return report;
  }

  private async notify(event: FeedEvent, report: SmsRunReport): Promise<void> {
    const em = this.dataSource.manager;
    if (event.type === 'dividend.distributed') {
      const data = event.data as EventData<'dividend.distributed'>;
      const project = (await projectNamesByCodes(em, [data.project])).get(data.project) ?? data.project;
      for (let after = 0; ;) {
        const lines = await linesOfDeclaration(em, data.declarationId, after, LINES_PAGE);
        if (lines.length === 0) break;
        await this.sendEach(
          event,
          lines.filter((l) => l.paid),
          (amount) => dividendSms(project, amount, data.paymentDate),
          report,
        );
        after = lines[lines.length - 1].seq;
      }
    } else if (event.type === 'payout.batch_confirmed') {
      const data = event.data as EventData<'payout.batch_confirmed'>;
      const scope =
        data.scope === 'PROJECT'
          ? ((await projectNamesByCodes(em, [data.scopeCode])).get(data.scopeCode) ?? data.scopeCode)
          : ((await regionsByCodes(em, [data.scopeCode])).get(data.scopeCode)?.name ?? data.scopeCode);
      await this.sendEach(event, await paidLinesOfPayoutBatch(em, data.batchId), (amount) => payoutSms(scope, amount, data.paidOn), report);
    }
  }

  private async sendEach(event: FeedEvent, lines: readonly PaidAmount[], textOf: (amount: string) => string, report: SmsRunReport): Promise<void> {
    const em = this.dataSource.manager;
    const parties = await partyMobilesByIds(
      em,
      lines.map((l) => l.partyId),
    );
    for (const line of lines) {
      const party = parties.get(line.partyId);
      if (!party || party.kind !== 'VILLAGER' || new Dec(line.amount).lessThanOrEqualTo(0)) continue;
      const text = textOf(line.amount);
      const row = { eventId: event.id, eventType: event.type, partyId: party.id, mobileMasked: party.mobileMasked, message: text, provider: this.provider.name };
      if (party.mobileCipher === null) {
        if (await smsNotificationsStore.claim(em, { ...row, state: 'NO_MOBILE' })) report.skippedNoMobile += 1;
        else report.alreadyHandled += 1;
        continue;
      }
      if (!(await smsNotificationsStore.claim(em, { ...row, state: 'SENDING' }))) {
        report.alreadyHandled += 1;
        continue;
      }
      try {
        const receipt = await this.provider.send({ to: this.pii.decrypt(party.mobileCipher), text, reference: `${event.id}:${party.code}` });
        await smsNotificationsStore.settle(em, event.id, party.id, { state: 'SENT', providerReference: receipt.providerReference, error: null });
        report.sent += 1;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await smsNotificationsStore.settle(em, event.id, party.id, { state: 'FAILED', providerReference: null, error: message.slice(0, 500) });
        report.failed += 1;
        this.logger.warn({ party: party.code, event: event.id, err: message }, 'villager SMS failed (not retried: the message may have reached the gateway)');
      }
    }
  }
}
