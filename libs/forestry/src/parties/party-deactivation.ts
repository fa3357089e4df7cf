import { AccessService, ApprovalsService, ApprovalView, AuthUser } from '@forest-ledger/access';
import { LedgerService } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { PartyError } from './parties.errors';
import { partiesStore } from './parties.store';
import { walletOf } from './party-registration';
import { recordEvent } from '../events/record-event';

export const DEACTIVATE_PARTY = 'DEACTIVATE_PARTY';
const MAX_REASON = 500;

const unknownParty = (code: string) => new PartyError('UNKNOWN_PARTY', `no party with code ${JSON.stringify(code)}`, 'code');

/**
 * A party's deactivation, maker-checker: one user asks, another decides (access keeps the approvals
 * and the four-eyes rule). Approving sets the party inactive, disables its users and freezes its wallet.
 */
export class PartyDeactivation {
  constructor(
    private readonly ledger: LedgerService,
    private readonly access: AccessService,
    private readonly approvals: ApprovalsService,
  ) {}

  /** Asks for a party's deactivation; another user decides. One pending request per party. */
  async request(em: EntityManager, code: string, user: AuthUser, reason?: string): Promise<ApprovalView> {
    const party = await partiesStore.byCode(em, code, 'FOR UPDATE');
    if (!party) throw unknownParty(code);
    if (!party.active) throw new PartyError('PARTY_INACTIVE', `party ${code} is already deactivated`, 'code');
    const pending = await this.approvals.pendingId(em, DEACTIVATE_PARTY, 'partyCode', code);
    if (pending) throw new PartyError('APPROVAL_PENDING', `deactivation of ${code} is already awaiting approval ${pending}`, 'code', { approvalId: pending });
    const payload: Record<string, unknown> = { partyCode: code, partyName: party.name };
    const why = reason?.normalize('NFKC').trim();
    if (why) payload.reason = why.slice(0, MAX_REASON);
    return this.approvals.request(em, DEACTIVATE_PARTY, payload, user.userId);
  }

  /**
   * Approves or rejects a pending request. Refused for the requester (four eyes; also a CHECK in the
   * database) and for a request already decided. The approval row is locked, so two deciders queue.
   */
  async decide(em: EntityManager, approvalId: string, user: AuthUser, approve: boolean): Promise<ApprovalView> {
    const approval = await this.approvals.lockForDecision(em, approvalId, DEACTIVATE_PARTY, user.userId);
    if (approve) {
      const code = String(approval.payload.partyCode);
      const party = await partiesStore.byCode(em, code, 'FOR UPDATE');
      if (!party) throw unknownParty(code);
      await partiesStore.deactivate(em, party.id);
      await this.access.deactivatePartyUsers(em, party.id);
      await this.ledger.setFrozen(em, walletOf(code), true);
      // The code and kind only: the name and ID number are personal data.
      await recordEvent(em, 'party.deactivated', { type: 'party', id: code }, { party: code, kind: party.kind, approvalId: approval.id, wallet: walletOf(code) });
    }
    return this.approvals.record(em, approval.id, approve, user.userId);
  }
}
