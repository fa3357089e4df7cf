/** Every table's owner: the files that may name it in SQL (checked by table-owners.spec.ts and schema.int-spec.ts). */
/** Owner → [files that may name its tables (regular expression over the path), its tables]. */
export const OWNERS: Record<string, { files: RegExp; tables: string[] }> = {
  ledger: {
    files: /^libs\/ledger\/src\//,
    tables: ['ledger_assets', 'ledger_accounts', 'ledger_entries', 'ledger_postings', 'ledger_account_days', 'ledger_account_months', 'ledger_account_years'],
  },
  idempotency: { files: /^libs\/platform\/src\/idempotency\/[\w.-]+\.(store|service)\.ts$/, tables: ['idempotency_requests'] },
  outbox: { files: /^libs\/platform\/src\/outbox\/outbox\.store\.ts$/, tables: ['outbox_events'] },
  scheduledRuns: { files: /^libs\/platform\/src\/queue\/scheduled-runs\.store\.ts$/, tables: ['scheduled_runs'] },
  access: { files: /^libs\/(access\/src|forestry\/src\/access)\/.*\.store\.ts$/, tables: ['users', 'api_keys', 'audit_log', 'approvals'] },
  parties: { files: /^libs\/forestry\/src\/parties\/.*\.store\.ts$/, tables: ['parties', 'pii_access_log'] },
  notifications: { files: /^libs\/forestry\/src\/notifications\/.*\.store\.ts$/, tables: ['sms_notifications', 'sms_notifier_cursor'] },
  regions: { files: /^libs\/forestry\/src\/regions\/.*\.store\.ts$/, tables: ['regions'] },
  parcels: { files: /^libs\/forestry\/src\/parcels\/.*\.store\.ts$/, tables: ['parcels'] },
  projects: { files: /^libs\/forestry\/src\/projects\/.*\.store\.ts$/, tables: ['coop_projects', 'coop_project_parcels', 'project_contributions'] },
  tickets: {
    files: /^libs\/forestry\/src\/tickets\/.*\.store\.ts$/,
    tables: ['ticket_series', 'ticket_holdings', 'ticket_movements', 'ticket_pledges', 'ticket_listings', 'ticket_listing_takes'],
  },
  dividends: {
    files: /^libs\/forestry\/src\/dividends\/.*\.store\.ts$/,
    tables: ['project_cash_flows', 'dividend_declarations', 'dividend_lines', 'payout_batches', 'payout_lines', 'party_bank_cards'],
  },
  disclosures: {
    files: /^libs\/forestry\/src\/disclosures\/.*\.store\.ts$/,
    tables: ['disclosure_settings', 'disclosures', 'disclosure_lines', 'disclosure_objections'],
  },
  carbon: {
    files: /^libs\/forestry\/src\/carbon\/.*\.store\.ts$/,
    tables: [
      'carbon_projects',
      'carbon_project_parcels',
      'carbon_revenue_rules',
      'carbon_issuances',
      'carbon_listings',
      'carbon_sales',
      'carbon_retirements',
      'carbon_serial_blocks',
    ],
  },
  subsidies: {
    files: /^libs\/forestry\/src\/subsidies\/.*\.store\.ts$/,
    tables: [
      'subsidy_programmes',
      'subsidy_programme_regions',
      'subsidy_rules',
      'subsidy_claims',
      'subsidy_claim_recipients',
      'subsidy_instalments',
      'transfer_contracts',
      'transfer_contract_parcels',
    ],
  },
  incomeRights: { files: /^libs\/forestry\/src\/income-rights\/.*\.store\.ts$/, tables: ['income_right_schemes', 'income_right_targets'] },
  webhooks: { files: /^libs\/forestry\/src\/webhooks\/.*\.store\.ts$/, tables: ['webhook_subscriptions', 'webhook_deliveries'] },
  landUse: {
    files: /^libs\/forestry\/src\/land-use\/.*\.store\.ts$/,
    tables: [
      'land_use_contracts',
      'land_use_contract_parcels',
      'land_use_periods',
      'land_use_receivables',
      'land_use_settlements',
      'land_use_settlement_lines',
      'land_use_waivers',
    ],
  },
};
