import { EntryDraft, LedgerError, LedgerService, OpenAccountInput, PostResult } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import type { Role } from '@forest-ledger/access';
import { inputChecks } from '../common/input-checks';
import { ProjectError } from '../projects/projects.errors';
import { businessToday, projectOwnerRef } from '../projects/project-accounts';
import type { ProjectRecord, ProjectsService } from '../projects/projects.service';
import type { IncomeKind } from './dividend.model';
import { DividendError } from './dividends.errors';

/** Who acts: the authenticated user's id and role, as the API's guard resolved them. */
export interface Actor {
  userId: string;
  role: Role;
}

/** The project's dividend reserve: declared amounts, out of the wallet's reach until paid or released. */
export const projectDividendReserve = (project: string): string => `project:${project}:dividend-reserve:CNY`;

export function dividendReserveAccount(project: string): OpenAccountInput {
  return { code: projectDividendReserve(project), asset: 'CNY', type: 'LIABILITY', ownerRef: projectOwnerRef(project), noOverdraft: true, metadata: { name: '分红准备金' } };
}

export const INCOME_LABEL: Record<IncomeKind, string> = {
  HARVEST_FINAL: '主伐',
  HARVEST_THINNING: '间伐',
  PRE_DIVIDEND: '预分红',
  CARBON: '碳汇收入',
  RENT: '流转租金',
  OTHER: '其他',
};

export function invalid(message: string, field: string): DividendError {
  return new DividendError('INVALID_DIVIDEND_INPUT', message, field);
}

/** The longest free text of a dividend command (descriptions, reasons); the API's DTOs state their limits through these constants. */
export const DIVIDEND_TEXT_MAX = 200;
/** The longest bank reference (bank transaction number) of a cash flow or a payout. */
export const BANK_REFERENCE_MAX = 100;

export const { requireText, optionalText, requireDate } = inputChecks(invalid, { maxText: DIVIDEND_TEXT_MAX, maxOptionalText: DIVIDEND_TEXT_MAX });

export function dateOrToday(value: unknown, field: string): string {
  return value === undefined ? businessToday() : requireDate(value, field);
}

/** The project by code; an unknown one is INVALID_DIVIDEND_INPUT on `project` (it is named in the body or path of a dividend command). */
export async function projectByCode(projects: ProjectsService, em: EntityManager, code: string): Promise<ProjectRecord> {
  try {
    return await projects.load(em, code);
  } catch (error) {
    if (error instanceof ProjectError && error.code === 'UNKNOWN_PROJECT') throw invalid(`no project with code ${JSON.stringify(code)}`, 'project');
    throw error;
  }
}

/** Posts, turning a project wallet's INSUFFICIENT_FUNDS into EXCEEDS_WALLET. */
export async function postFromProjectWallet(ledger: LedgerService, em: EntityManager, draft: EntryDraft): Promise<PostResult> {
  try {
    return await ledger.post(em, draft);
  } catch (error) {
    const account = error instanceof LedgerError ? error.detailText('account') : '';
    if (error instanceof LedgerError && error.code === 'INSUFFICIENT_FUNDS' && account.endsWith(':wallet:CNY') && account.startsWith('project:')) {
      throw new DividendError(
        'EXCEEDS_WALLET',
        `the project wallet holds ${error.detailText('balance', '?')} CNY free (reserved dividends excluded), less than ${draft.postings[0].amount}`,
        'amount',
        { ...error.details },
      );
    }
    throw error;
  }
}
