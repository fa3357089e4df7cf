/**
 * The boundaries between the apps and libraries, kept by `npm run lint:deps` (in `npm run lint` and CI).
 *
 *   apps/api, apps/worker  →  libs/forestry  →  libs/access  →  libs/ledger  →  libs/platform  →  libs/common
 *
 * Each arrow may be skipped (an app may import any lib), never reversed; libs/common imports nothing of ours.
 * Table ownership (only a table's owner names it in SQL) is checked by test/architecture/table-owners.spec.ts.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make load order matter (a class used before its module finished loading) and hide layering.',
      from: { path: '^(apps|libs)/' },
      to: { circular: true },
    },
    {
      name: 'libs-not-to-apps',
      severity: 'error',
      comment: 'Libraries never import the apps that use them.',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'apps-not-to-each-other',
      severity: 'error',
      comment: 'The API and the worker share code only through libs.',
      from: { path: '^apps/api/' },
      to: { path: '^apps/worker/' },
    },
    {
      name: 'worker-not-to-api',
      severity: 'error',
      from: { path: '^apps/worker/' },
      to: { path: '^apps/api/' },
    },
    {
      name: 'common-imports-nothing',
      severity: 'error',
      comment: 'libs/common (DomainError) is the root every lib may depend on.',
      from: { path: '^libs/common/' },
      to: { path: '^(apps|libs/(?!common/))' },
    },
    {
      name: 'platform-below-features',
      severity: 'error',
      comment: 'libs/platform (config, database, queues, idempotency) knows no ledger and no feature.',
      from: { path: '^libs/platform/' },
      to: { path: '^libs/(ledger|access|forestry)/' },
    },
    {
      name: 'ledger-below-features',
      severity: 'error',
      comment: 'The ledger engine knows no forestry feature and no access model.',
      from: { path: '^libs/ledger/' },
      to: { path: '^libs/(access|forestry)/' },
    },
    {
      name: 'ledger-domain-is-pure',
      severity: 'error',
      comment: 'The ledger domain imports only decimal.js, node:crypto and libs/common (also checked by purity.spec.ts).',
      from: { path: '^libs/ledger/src/domain/' },
      to: { path: '^(apps|libs/(?!common/|ledger/src/domain/))' },
    },
    {
      name: 'access-below-forestry',
      severity: 'error',
      comment: 'Users, tokens, keys and audit know no forestry feature.',
      from: { path: '^libs/access/' },
      to: { path: '^libs/forestry/' },
    },
    {
      name: 'no-orphans-in-libs',
      severity: 'warn',
      from: { orphan: true, path: '^libs/', pathNot: ['\\.spec\\.ts$', '\\.d\\.ts$', '/migrations/'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '^dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
