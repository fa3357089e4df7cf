import { EntityManager } from 'typeorm';
import { declarationsStore } from './declarations.store';
import type { DeclarationState } from './dividend.model';

/** Declarations whose record-date register is fixed: approved (or paid), so the holders of that date are owed. */
export const REGISTER_CLOSING_STATES: readonly DeclarationState[] = ['APPROVED', 'DISTRIBUTING', 'DISTRIBUTED'];

export interface ClosingDeclaration {
  id: string;
  state: DeclarationState;
  recordDate: string;
}

/**
 * The declaration of the series, in a closing state, with the latest record date on or after `date`
 * (null when none): a movement dated `date` would change the register it pays. The caller holds the
 * series row lock (FOR UPDATE), which approval takes too, so no approval commits between this check
 * and the caller's commit.
 */
export async function closingDeclaration(em: EntityManager, seriesId: string, date: string): Promise<ClosingDeclaration | null> {
  const row = await declarationsStore.latestClosing(em, seriesId, REGISTER_CLOSING_STATES, date);
  return row ? { id: row.id, state: row.state, recordDate: row.record_date } : null;
}
