import { AccessParties } from '@forest-ledger/access';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { normaliseResidentId } from './identity-codes';
import { partiesStore, partyActiveSql } from './parties.store';
import { PiiCipher } from './pii';

/** The parties feature's answers to access (AccessModule.withParties(PartyAccessDirectory)). */
@Injectable()
export class PartyAccessDirectory extends AccessParties {
  constructor(private readonly pii: PiiCipher) {
    super();
  }

  async byIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, { code: string; active: boolean }>> {
    return new Map((await partiesStore.statesByIds(em, ids)).map((r) => [r.id, { code: r.code, active: r.active }]));
  }

  activeSql(partyId: string): string {
    return partyActiveSql(partyId);
  }

  /** The ID number is matched by its HMAC under any configured key (rotation); failures count under the newest. */
  resident(idNumber: string): { limitKey: string; partyIds(em: EntityManager): Promise<string[]> } {
    const hmacs = this.pii.hmacCandidates('RESIDENT_ID', normaliseResidentId(idNumber));
    return { limitKey: hmacs[0], partyIds: (em) => partiesStore.activeResidentIds(em, hmacs) };
  }
}
