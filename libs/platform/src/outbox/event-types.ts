import { Infer, JsonSchema, s } from './event-schema';

/**
 * The event catalogue (issue 17): every type the outbox carries, its current version, its aggregate and
 * its payload's schema, defined once. A type's payload only gains optional fields within a version; a
 * change that removes, renames or retypes one is a new version. Parties appear by code only (no names,
 * ID numbers or phone numbers); amounts and quantities are decimal strings.
 */

const leg = s.object({ from: s.nullable(s.string()), to: s.nullable(s.string()), units: s.decimal() });

/** The 林票 movements share one payload. */
const ticketMovement = s.object({
  series: s.string(),
  kind: s.string('the movement kind (TRADE, PLEDGE, …)'),
  entryId: s.id(),
  pledgeId: s.nullable(s.id()),
  effectiveDate: s.date(),
  legs: s.array(leg),
  unitPrice: s.optional(s.nullable(s.decimal())),
  amount: s.optional(s.nullable(s.decimal())),
  fee: s.optional(s.nullable(s.decimal())),
  documentReference: s.nullable(s.string()),
});

const partyAmount = s.object({ party: s.string(), amount: s.decimal() });

export const EVENT_DEFINITIONS = {
  'ledger.entry.posted': {
    version: 1,
    aggregate: 'ledger_entry',
    data: s.object({
      entryId: s.id(),
      // null (with memo, metadata and hash) in a scoped reader's view of an entry with other parties' postings (othersHidden)
      idempotencyKey: s.nullable(s.string()),
      kind: s.string(),
      effectiveDate: s.date(),
      bookedAt: s.dateTime(),
      memo: s.nullable(s.string()),
      metadata: s.json(),
      reversesEntryId: s.nullable(s.id()),
      hash: s.nullable(s.string('SHA-256 of the entry (hex); null in a scoped view with othersHidden')),
      previous: s.record(s.nullable(s.string())),
      postings: s.array(s.object({ account: s.string(), side: s.literal('DEBIT', 'CREDIT'), amount: s.decimal() })),
      othersHidden: s.optional(s.boolean()),
    }),
  },
  'ticket.issued': {
    version: 1,
    aggregate: 'ticket_series',
    data: s.object({
      series: s.string(),
      project: s.string(),
      issuedOn: s.date(),
      faceValue: s.decimal(),
      totalUnits: s.decimal(),
      holders: s.integer(),
      entryIds: s.array(s.id()),
    }),
  },
  'ticket.traded': { version: 1, aggregate: 'ticket_series', data: ticketMovement },
  'ticket.pledged': { version: 1, aggregate: 'ticket_series', data: ticketMovement },
  'ticket.released': { version: 1, aggregate: 'ticket_series', data: ticketMovement },
  'ticket.enforced': { version: 1, aggregate: 'ticket_series', data: ticketMovement },
  'ticket.inherited': { version: 1, aggregate: 'ticket_series', data: ticketMovement },
  'ticket.bought_back': { version: 1, aggregate: 'ticket_series', data: ticketMovement },
  'ticket.listed': { version: 1, aggregate: 'ticket_series', data: ticketMovement },
  'ticket.listing_returned': { version: 1, aggregate: 'ticket_series', data: ticketMovement },
  'ticket.market_traded': { version: 1, aggregate: 'ticket_series', data: ticketMovement },
  'dividend.approved': {
    version: 1,
    aggregate: 'dividend_declaration',
    data: s.object({
      declarationId: s.id(),
      series: s.string(),
      project: s.string(),
      amount: s.decimal(),
      recordDate: s.date(),
      paymentDate: s.date(),
      reserveEntryId: s.nullable(s.id()),
    }),
  },
  'dividend.distributed': {
    version: 1,
    aggregate: 'dividend_declaration',
    data: s.object({
      declarationId: s.id(),
      series: s.string(),
      project: s.string(),
      paymentDate: s.date(),
      amount: s.decimal(),
      amountDistributed: s.decimal(),
      holders: s.integer('per-holder lines: GET /v1/dividends/:id/lines'),
    }),
  },
  'payout.batch_confirmed': {
    version: 1,
    aggregate: 'payout_batch',
    data: s.object({
      batchId: s.id(),
      scope: s.literal('PROJECT', 'VILLAGE', 'TOWNSHIP'),
      scopeCode: s.string(),
      bankReference: s.string(),
      paidOn: s.date(),
      totalAmount: s.decimal(),
      paidAmount: s.decimal(),
      failedAmount: s.decimal(),
      lineCount: s.integer(),
      paidLines: s.integer('per-party lines: GET /v1/payout-batches/:id'),
      failedLines: s.integer(),
      entryIds: s.array(s.id()),
    }),
  },
  'payout.line_failed': {
    version: 1,
    aggregate: 'payout_batch',
    data: s.object({
      lineId: s.id(),
      batchId: s.id(),
      party: s.string(),
      amount: s.decimal(),
      stage: s.literal('REFUSED', 'RETURNED'),
      reason: s.string(),
      effectiveDate: s.date(),
      returnEntryId: s.nullable(s.id()),
    }),
  },
  'carbon.issued': {
    version: 1,
    aggregate: 'carbon_project',
    data: s.object({
      issuanceId: s.id(),
      project: s.string(),
      owner: s.string(),
      vintage: s.string(),
      vintageStart: s.date(),
      vintageEnd: s.date(),
      quantity: s.decimal(),
      bufferQuantity: s.decimal(),
      serialStart: s.decimal(),
      serialEnd: s.decimal(),
      verificationReference: s.string(),
      issuedOn: s.date(),
      entryId: s.id(),
    }),
  },
  'carbon.sold': {
    version: 1,
    aggregate: 'carbon_sale',
    data: s.object({
      saleId: s.id(),
      listingId: s.id(),
      project: s.string(),
      seller: s.string(),
      buyer: s.string(),
      quantity: s.decimal(),
      unitPrice: s.decimal(),
      grossAmount: s.decimal(),
      effectiveDate: s.date(),
      entryIds: s.array(s.id()),
    }),
  },
  'carbon.retired': {
    version: 1,
    aggregate: 'carbon_retirement',
    data: s.object({
      retirementId: s.id(),
      certificateNo: s.string(),
      project: s.string(),
      vintage: s.string(),
      quantity: s.decimal(),
      serialBlocks: s.array(s.string()),
      retiringParty: s.string(),
      beneficiaryName: s.nullable(s.string('only when the retiring party published it')),
      purpose: s.string(),
      retiredOn: s.date(),
      entryId: s.id(),
    }),
  },
  'subsidy.claim_approved': {
    version: 1,
    aggregate: 'subsidy_claim',
    data: s.object({
      claimId: s.id(),
      programme: s.string(),
      contract: s.string(),
      approvedOn: s.date(),
      total: s.decimal(),
      recipients: s.array(s.object({ party: s.string(), role: s.string(), amount: s.decimal() })),
      instalments: s.integer(),
      reserveEntryId: s.nullable(s.id()),
    }),
  },
  'subsidy.instalment_paid': {
    version: 1,
    aggregate: 'subsidy_claim',
    data: s.object({
      claimId: s.id(),
      programme: s.string(),
      contract: s.string(),
      seq: s.integer(),
      amount: s.decimal(),
      paidOn: s.date(),
      splits: s.array(partyAmount),
      claimCompleted: s.boolean(),
      entryId: s.id(),
    }),
  },
  'subsidy.clawback_booked': {
    version: 1,
    aggregate: 'subsidy_claim',
    data: s.object({
      claimId: s.id(),
      programme: s.string(),
      contract: s.string(),
      terminatedOn: s.date(),
      state: s.literal('CLAWBACK_DUE', 'CANCELLED'),
      total: s.decimal('what the recipients owe back'),
      released: s.decimal('unpaid instalments returned to the programme'),
      lines: s.array(partyAmount),
      unexpiredDays: s.integer(),
      termDays: s.integer(),
      entryId: s.nullable(s.id()),
    }),
  },
  'land_use.receivable_raised': {
    version: 1,
    aggregate: 'land_use_contract',
    data: s.object({
      contract: s.string(),
      lessee: s.string(),
      receivableId: s.id(),
      periodSeq: s.integer(),
      periodStart: s.date(),
      periodEnd: s.date(),
      dueDate: s.date(),
      amount: s.decimal(),
      creditApplied: s.decimal('settled from the lessee’s prepaid credit in the same entry'),
      entryId: s.id(),
    }),
  },
  'land_use.payment_received': {
    version: 1,
    aggregate: 'land_use_contract',
    data: s.object({
      contract: s.string(),
      settlement: s.object({
        id: s.id(),
        source: s.string(),
        amount: s.decimal(),
        toCredit: s.decimal(),
        effectiveDate: s.date(),
        bankReference: s.nullable(s.string()),
        entryId: s.id(),
        lines: s.array(s.object({ seq: s.integer(), kind: s.string(), amount: s.decimal() })),
      }),
    }),
  },
  'land_use.late_fee_accrued': {
    version: 1,
    aggregate: 'land_use_contract',
    data: s.object({
      contract: s.string(),
      lessee: s.string(),
      accruedThrough: s.date(),
      total: s.decimal(),
      days: s.array(s.object({ date: s.date(), amount: s.decimal(), periods: s.record(s.decimal()) })),
      entryIds: s.array(s.id()),
    }),
  },
  'party.deactivated': {
    version: 1,
    aggregate: 'party',
    data: s.object({ party: s.string(), kind: s.string(), approvalId: s.id(), wallet: s.string() }),
  },
} as const;

export type EventType = keyof typeof EVENT_DEFINITIONS;
export const EVENT_TYPE_NAMES = Object.keys(EVENT_DEFINITIONS) as EventType[];
/** Each type's current version. */
export const EVENT_TYPES = Object.fromEntries(EVENT_TYPE_NAMES.map((t) => [t, EVENT_DEFINITIONS[t].version])) as { [T in EventType]: (typeof EVENT_DEFINITIONS)[T]['version'] };
/** The payload (`data`) of an event of type T, as the catalogue's schema defines it. */
export type EventData<T extends EventType> = Infer<(typeof EVENT_DEFINITIONS)[T]['data']>;

/** The name of a type's schema in the OpenAPI document: `Event.ticket.traded.v1`. */
export function eventSchemaName(type: EventType): string {
  return `Event.${type}.v${EVENT_DEFINITIONS[type].version}`;
}

/** The JSON schema of a whole feed event of this type (envelope and data). */
export function eventJsonSchema(type: EventType): JsonSchema {
  const d = EVENT_DEFINITIONS[type];
  return s.object(
    {
      id: s.string('the event id (a UUID): dedupe by it'),
      seq: s.id('the gapless feed sequence'),
      type: s.literal(type),
      version: { json: { type: 'integer', enum: [d.version] }, optional: false },
      aggregate: s.object({ type: s.literal(d.aggregate), id: s.string() }),
      occurredAt: s.dateTime(),
      data: d.data,
    },
    `${type}, version ${d.version}`,
  ).json;
}
