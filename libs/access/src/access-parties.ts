import { EntityManager } from 'typeorm';

/**
 * What access needs to know of parties, answered by the parties feature (it provides the class,
 * see AccessModule.withParties): access stores only a user's party id and so depends on no feature.
 */
export abstract class AccessParties {
  /** Code and whether active, of the parties with these ids (unknown ids absent). */
  abstract byIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, { code: string; active: boolean }>>;

  /**
   * An SQL scalar subquery: whether the party whose id is the SQL expression `partyId` is active (NULL when there is
   * none), for access to ask inside its own statement (a login's check in one round trip).
   */
  abstract activeSql(partyId: string): string;

  /**
   * A resident ID number used as a login name: `limitKey` names it for counting failed logins (never
   * the number in clear); `partyIds` finds the active parties registered under it. Throws DomainError
   * for a malformed number.
   */
  abstract resident(idNumber: string): { limitKey: string; partyIds(em: EntityManager): Promise<string[]> };
}
