import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { collectiveMembers, partiesByCodes } from '../parties/party-refs';
import { ProjectsService } from '../projects/projects.service';
import { SeriesService } from '../tickets/series.service';
import { CarbonProject } from './carbon-common';
import { currentRevenueRules, RevenueRuleRow } from './carbon-projects.store';
import { CarbonError } from './carbon.errors';
import { checkRevenueRule, RevenueRecipient, RevenueRule, RevenueShareLine, splitRevenue } from './revenue-split';

/**
 * The revenue rules of carbon projects (DOMAIN.md §5): what a rule may name, and who receives a
 * sale's price under it. The split itself is the pure splitRevenue (revenue-split.ts).
 */
@Injectable()
export class CarbonRevenueService {
  constructor(
    private readonly projects: ProjectsService,
    private readonly series: SeriesService,
  ) {}

  /** The rule's shape, and that the parties it names exist (collectives are collectives); TICKET_UNITS only for a project `linked` to a cooperation project. */
  async checkRule(em: EntityManager, raw: unknown, linked: boolean): Promise<RevenueRule> {
    const rule = checkRevenueRule(raw);
    const named = rule.shares.flatMap((s) => (s.kind === 'PARTY' ? [s.party] : s.kind === 'TICKET_UNITS' ? [] : [s.collective]));
    const refs = await partiesByCodes(em, named);
    rule.shares.forEach((s, i) => {
      if (s.kind === 'PARTY' && !refs.has(s.party)) throw new CarbonError('INVALID_REVENUE_RULE', `rule.shares[${i}]: no party ${s.party}`, `rule.shares[${i}].party`);
      if ((s.kind === 'PER_PERSON' || s.kind === 'PER_HOUSEHOLD') && refs.get(s.collective)?.kind !== 'COLLECTIVE') {
        throw new CarbonError('INVALID_REVENUE_RULE', `rule.shares[${i}]: ${s.collective} is not a collective`, `rule.shares[${i}].collective`);
      }
      if (s.kind === 'TICKET_UNITS' && !linked)
        throw new CarbonError('INVALID_REVENUE_RULE', `rule.shares[${i}]: TICKET_UNITS needs the project linked to a cooperation project`, `rule.shares[${i}].kind`);
    });
    return rule;
  }

  /**
   * How a sale's `gross` price is paid out: the owner's sales share it by the project's current rule
   * (whose id and version the sale records); a resale pays the reseller the whole price (rule null).
   */
  async shares(em: EntityManager, project: CarbonProject, seller: string, gross: string, date: string): Promise<{ rule: RevenueRuleRow | null; lines: RevenueShareLine[] }> {
    if (seller !== project.ownerCode) return { rule: null, lines: [{ share: 0, party: seller, amount: gross }] };
    const rule = (await currentRevenueRules(em, [project.id])).get(project.id)!;
    return { rule, lines: splitRevenue(gross, rule.rule, await this.recipients(em, project, rule.rule, date)) };
  }

  /** Recipients of each share, in a stable order (party id; 林票 holders by certificate number). */
  private async recipients(em: EntityManager, project: CarbonProject, rule: RevenueRule, date: string): Promise<RevenueRecipient[][]> {
    const out: RevenueRecipient[][] = [];
    for (const share of rule.shares) {
      if (share.kind === 'PARTY') out.push([{ party: share.party, weight: '1' }]);
      else if (share.kind === 'TICKET_UNITS') {
        const seriesCode = project.coopProjectCode === null ? null : (await this.projects.get(project.coopProjectCode, null, em)).seriesCode;
        if (seriesCode === null) throw new CarbonError('NO_REVENUE_RECIPIENTS', `cooperation project ${project.coopProjectCode} has no 林票 series to share by units`, 'rule');
        const register = await this.series.register(seriesCode, date, em);
        out.push(register.lines.map((l) => ({ party: l.partyCode, weight: l.units })));
      } else {
        const members = await collectiveMembers(em, share.collective, share.kind === 'PER_PERSON' ? 'VILLAGER' : 'HOUSEHOLD');
        out.push(members.map((m) => ({ party: m.code, weight: '1' })));
      }
    }
    return out;
  }
}
