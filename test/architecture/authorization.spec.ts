import 'reflect-metadata';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { UseCasePolicy } from '@forest-ledger/access';
import { DIVIDEND_POLICIES, LAND_USE_POLICIES, PARTY_POLICIES, SUBSIDY_POLICIES } from '@forest-ledger/forestry';
import { ROLES_KEY } from '../../apps/api/src/auth/auth.decorators';
import { DividendDeclarationsController } from '../../apps/api/src/dividends/dividend-declarations.controller';
import { LandUseContractsController } from '../../apps/api/src/land-use/land-use-contracts.controller';
import { PartiesController } from '../../apps/api/src/parties/parties.controller';
import { SubsidyClaimsController } from '../../apps/api/src/subsidies/subsidy-claims.controller';
import { SubsidyProgrammesController } from '../../apps/api/src/subsidies/subsidy-programmes.controller';

/**
 * Authorization is decided once per use case: a role rule lives in the feature's `*-policies.ts`, the
 * route gate reads it (`@RolesOf`) and the use case checks the same object (`requireRole`). Scope
 * functions decide what a scoped caller sees. No other code compares a caller's role with a literal.
 */
const ROOT = join(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return name === 'migrations' || name === 'demo' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Where comparing a role with a literal is the point, and why. */
const ROLE_COMPARISONS_ALLOWED: Record<string, string> = {
  'libs/access/src/access.types.ts': 'ownerScopeOf: the scope of each role',
  'libs/access/src/access.service.ts': 'the credentials a role logs in with (PIN or password), and the last ADMIN',
  'libs/access/src/users.store.ts': 'SQL over the users table',
  'libs/forestry/src/parcels/parcels.service.ts': 'parcelScopeOf: what a scoped reader sees of a parcel',
  'apps/api/src/observability/queue-dashboard.ts': 'the dashboard logs in through its own form, outside the route guards',
};

type Handler = (...args: never[]) => unknown;
const gate = (controller: { prototype: object }, method: string): unknown => Reflect.getMetadata(ROLES_KEY, (controller.prototype as Record<string, Handler>)[method]) as unknown;

describe('authorization in one place per use case', () => {
  const routes: Array<[string, { prototype: object }, string, UseCasePolicy]> = [
    ['approve a declaration', DividendDeclarationsController, 'approve', DIVIDEND_POLICIES.approve],
    ['cancel a declaration', DividendDeclarationsController, 'cancel', DIVIDEND_POLICIES.cancel],
    ['approve a subsidy claim', SubsidyClaimsController, 'approve', SUBSIDY_POLICIES.approveClaim],
    ['reject a subsidy claim', SubsidyClaimsController, 'reject', SUBSIDY_POLICIES.rejectClaim],
    ['enter a subsidy rule', SubsidyProgrammesController, 'addRule', SUBSIDY_POLICIES.addRule],
    ['waive a late fee', LandUseContractsController, 'waive', LAND_USE_POLICIES.waiveLateFee],
    ['reveal an ID number', PartiesController, 'reveal', PARTY_POLICIES.revealId],
  ];

  it.each(routes)('the route to %s gates with the roles its use case checks', (_, controller, method, policy) => {
    expect(gate(controller, method)).toEqual([...policy.roles]);
  });

  it('no other code compares a caller role with a role literal', () => {
    const files = [...sourceFiles('apps'), ...sourceFiles('libs')].map((f) => relative(ROOT, join(ROOT, f)).split('\\').join('/'));
    const offenders = files.flatMap((file) => {
      // Scope functions (`*-scope.ts` in a feature) decide what each scoped role sees: that is where roles are compared.
      if (file in ROLE_COMPARISONS_ALLOWED || (file.startsWith('libs/') && file.endsWith('-scope.ts'))) return [];
      const text = readFileSync(join(ROOT, file), 'utf8');
      return [...text.matchAll(/\brole\s*[!=]==\s*'(ADMIN|APPROVER|AUDITOR|FARM_OPERATOR|BUYER|VILLAGER)'/g)].map((m) => `${file}: ${m[0]}`);
    });
    expect(offenders).toEqual([]);
  });
});
