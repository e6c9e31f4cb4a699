import { z } from "zod";
import { AlertLevel, Plan } from "./config.js";
import { Actor, Credits, CreditsOrZero, EntryId, GrantId, IsoDateTime, Owner, Reason, Slug, storable, TicketId } from "./primitives.js";

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

export const EntryKind = z.enum(["grant", "manual", "time", "priority", "removal", "unbilled", "refund", "void", "expiry"]).meta({ id: "EntryKind" });
export type EntryKind = z.infer<typeof EntryKind>;

export const GrantSourceInput = z.enum(["manual", "promo"]);

export const GrantRequest = z
  .strictObject({
    amount: Credits,
    reason: Reason,
    source: GrantSourceInput.default("manual"),
    /** When the credits stop being spendable; omitted means they never expire. */
    expiresAt: IsoDateTime.optional(),
    agent: Actor.optional(),
  })
  .meta({ id: "GrantRequest" });
export type GrantRequest = z.infer<typeof GrantRequest>;
export type GrantRequestInput = z.input<typeof GrantRequest>;

export const MAX_MINUTES_PER_WRITE = 100_000;

export const ManualDebitRequest = z
  .strictObject({
    kind: z.literal("manual"),
    amount: Credits,
    reason: Reason,
    ticketId: TicketId.optional(),
    agent: Actor.optional(),
  })
  .meta({ id: "ManualDebitRequest" });
export const TimeDebitRequest = z
  .strictObject({
    kind: z.literal("time"),
    minutes: z.int().min(1).max(MAX_MINUTES_PER_WRITE),
    ticketId: TicketId,
    reason: Reason.optional(),
    agent: Actor.optional(),
  })
  .meta({ id: "TimeDebitRequest" });
export const PriorityDebitRequest = z
  .strictObject({
    kind: z.literal("priority"),
    tier: Slug,
    ticketId: TicketId,
    reason: Reason.optional(),
    agent: Actor.optional(),
  })
  .meta({ id: "PriorityDebitRequest" });
/** Credits taken away from a bank by an agent ("Remove credits"): a correction, not work done. */
export const RemovalDebitRequest = z
  .strictObject({
    kind: z.literal("removal"),
    amount: Credits,
    reason: Reason,
    agent: Actor.optional(),
  })
  .meta({ id: "RemovalDebitRequest" });
/**
 * Time worked and recorded but not charged (the bank couldn't pay, or the work is goodwill): an
 * entry of 0 credits that carries the minutes, on the statement and the ticket for admins to see.
 */
export const UnbilledTimeRequest = z
  .strictObject({
    kind: z.literal("unbilled"),
    minutes: z.int().min(1).max(MAX_MINUTES_PER_WRITE),
    ticketId: TicketId,
    reason: Reason.optional(),
    agent: Actor.optional(),
  })
  .meta({ id: "UnbilledTimeRequest" });
export const DebitRequest = z
  .discriminatedUnion("kind", [ManualDebitRequest, TimeDebitRequest, PriorityDebitRequest, RemovalDebitRequest, UnbilledTimeRequest])
  .meta({ id: "DebitRequest" });
export type DebitRequest = z.infer<typeof DebitRequest>;
export type DebitRequestInput = z.input<typeof DebitRequest>;

export const ReversalRequest = z
  .strictObject({
    reason: Reason,
    agent: Actor.optional(),
  })
  .meta({ id: "ReversalRequest" });
export type ReversalRequest = z.infer<typeof ReversalRequest>;

/**
 * The first period on a newly assigned plan, when the bank has not had this period's allocation:
 * the whole period's credits, or a share for the days left (pro-rated).
 */
export const FirstPeriod = z.enum(["full", "prorated"]).meta({ id: "FirstPeriod" });
export type FirstPeriod = z.infer<typeof FirstPeriod>;

export const AssignPlanRequest = z
  .strictObject({
    /** A plan key, or null to return the bank to the default plan. */
    plan: Slug.nullable(),
    firstPeriod: FirstPeriod.default("full"),
    agent: Actor.optional(),
  })
  .meta({ id: "AssignPlanRequest" });
export type AssignPlanRequest = z.infer<typeof AssignPlanRequest>;
export type AssignPlanRequestInput = z.input<typeof AssignPlanRequest>;

/** What assigning a plan would do, before it is saved. */
export const PlanQuoteRequest = z.strictObject({ plan: Slug.nullable(), firstPeriod: FirstPeriod.default("full") });
export type PlanQuoteRequest = z.infer<typeof PlanQuoteRequest>;

/** Price a debit without writing it (the sidebar's preview). */
export const QuoteRequest = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("manual"), amount: Credits }),
    z.strictObject({ kind: z.literal("time"), minutes: z.int().min(1).max(MAX_MINUTES_PER_WRITE), ticketId: TicketId }),
    z.strictObject({ kind: z.literal("priority"), tier: Slug, ticketId: TicketId }),
  ])
  .meta({ id: "QuoteRequest" });
export type QuoteRequest = z.infer<typeof QuoteRequest>;

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "use a date as YYYY-MM-DD");
export const StatementQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).meta({ description: "Entries per page" }),
  cursor: z
    .string()
    .regex(/^[0-9A-Za-z_-]{1,40}$/, "not a cursor returned by this API")
    .optional()
    .meta({ description: "The `nextCursor` of the previous page" }),
  from: Day.optional().meta({ description: "Only entries on or after this day (UTC)" }),
  to: Day.optional().meta({ description: "Only entries on or before this day (UTC)" }),
  ticketId: TicketId.optional().meta({ description: "Only the entries of this ticket" }),
  kind: EntryKind.optional().meta({ description: "Only entries of this kind" }),
});
export type StatementQuery = z.infer<typeof StatementQuery>;

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/** Kinds that spend credits (and so can be refunded). */
export const DEBIT_KINDS = ["manual", "time", "priority", "removal"] as const satisfies readonly EntryKind[];
/** Kinds that are support used (what a forecast projects); a removal or an expiry is not. */
export const CONSUMPTION_KINDS = ["manual", "time", "priority"] as const satisfies readonly EntryKind[];

export const GrantSource = z.enum(["allocation", "rollover", "purchase", "manual", "promo", "refund"]).meta({ id: "GrantSource" });
export type GrantSource = z.infer<typeof GrantSource>;

export const EntryGrantDraw = z.object({ grantId: GrantId, amount: z.int() }).meta({ id: "EntryGrantDraw" });

export const Entry = z
  .object({
    id: EntryId,
    owner: Owner,
    kind: EntryKind,
    /** Signed: positive adds credits, negative takes them. */
    amount: z.int(),
    balanceAfter: z.int(),
    reason: z.string().nullable(),
    ticketId: TicketId.nullable(),
    agent: z.string().nullable(),
    /** Minutes logged (time entries). */
    minutes: z.int().nullable(),
    /** Tier charged (priority entries). */
    tier: z.string().nullable(),
    /** The grant this entry created, voided or expired. */
    grantId: GrantId.nullable(),
    /** The entry this one reverses (refund, void). */
    reversesEntryId: EntryId.nullable(),
    /** The grants a debit drew on, or a refund returned to. */
    draws: z.array(EntryGrantDraw),
    createdAt: IsoDateTime,
  })
  .meta({ id: "Entry", description: "One line of a bank's append-only journal. Entries are never changed: refunds, voids and expiry are new entries." });
export type Entry = z.infer<typeof Entry>;

export const WalletGrant = z
  .object({
    id: GrantId,
    amount: z.int(),
    remaining: z.int(),
    source: GrantSource,
    paid: z.boolean(),
    startsAt: IsoDateTime,
    expiresAt: IsoDateTime.nullable(),
    /**
     * What happens to what is left when the grant expires: credits lost, and credits that roll over
     * into the next period (a plan allocation, up to the plan's cap). Null when it never expires.
     */
    atExpiry: z.object({ lost: z.int(), rollsOver: z.int() }).nullable().default(null),
  })
  .meta({ id: "WalletGrant" });
export type WalletGrant = z.infer<typeof WalletGrant>;

export const LowBalanceState = z.enum(["ok", "low", "depleted"]).meta({ id: "LowBalanceState" });
export type LowBalanceState = z.infer<typeof LowBalanceState>;

export const Wallet = z
  .object({
    owner: Owner,
    balance: z.int(),
    /** The plan the bank is on, or null when it has none (no credits, today's behaviour). */
    plan: Plan.nullable(),
    /**
     * How the plan was chosen: set on the bank by hand, an organisation field, an SLA, a person field
     * chosen at registration, or the tenant's default.
     */
    planSource: z.enum(["wallet", "org_field", "sla", "person_field", "default", "none"]),
    /** The rule that chose the plan, in words ("organisation field membership is Gold"). */
    planRule: z.string().nullable().default(null),
    /** When the plan next tops the bank up; null without a plan that allocates credits. */
    nextTopUpAt: IsoDateTime.nullable().default(null),
    /** How far below zero this bank may go. */
    overdraftLimit: CreditsOrZero,
    /** Spendable grants, in the order debits draw on them. */
    grants: z.array(WalletGrant),
    lowBalance: z.object({
      threshold: z.int().nullable(),
      state: LowBalanceState,
      /** The levels that apply to this bank, and where they come from: its own, its plan's or the helpdesk's. */
      levels: z.array(AlertLevel),
      levelsFrom: z.enum(["bank", "plan", "helpdesk"]),
    }),
    updatedAt: IsoDateTime.nullable(),
  })
  .meta({
    id: "Wallet",
    description: "A bank of credits, named by its owner (`org:<id>` or `person:<id>`): its balance, plan, spendable grants and low-balance state.",
  });
export type Wallet = z.infer<typeof Wallet>;

/** What Deskpro knows about a bank's people and organisation, for the plan rules. */
export const WalletProfile = z
  .strictObject({
    /**
     * Organisation custom field values by field id or alias (membership level). A field with several
     * values (a choice's option id and title, a multi-choice) holds them one per line.
     */
    orgFields: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/), storable(z.string().max(200))).default({}),
    /** Person custom field values (the registration choice). */
    personFields: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/), storable(z.string().max(200))).default({}),
    /** Deskpro SLA ids that apply to the organisation or person. */
    slaIds: z
      .array(z.string().regex(/^[1-9][0-9]{0,17}$/))
      .max(50)
      .default([]),
  })
  .meta({ id: "WalletProfile" });
export type WalletProfile = z.infer<typeof WalletProfile>;

/** A bank's own low-balance levels; null goes back to its plan's (or the helpdesk's). */
export const AlertLevelsRequest = z.strictObject({ levels: z.array(AlertLevel).min(1).max(10).nullable() }).meta({ id: "AlertLevelsRequest" });
export type AlertLevelsRequest = z.infer<typeof AlertLevelsRequest>;

export const WalletProfileRefresh = z
  .object({
    /** False when no plan rule reads this kind of bank, so Deskpro was not asked. */
    read: z.boolean(),
    /** True when the facts differed from the stored ones and were saved. */
    changed: z.boolean(),
    wallet: Wallet,
  })
  .meta({ id: "WalletProfileRefresh" });
export type WalletProfileRefresh = z.infer<typeof WalletProfileRefresh>;

export const AllocationRun = z
  .object({
    /** Banks looked at. */
    checked: z.int(),
    /** Banks that received this period's allocation. */
    allocated: z.int(),
    /** Grants newly announced as expiring soon (`credits.expiring`); each grant is announced once. */
    expiringNotices: z.int(),
  })
  .meta({ id: "AllocationRun" });
export type AllocationRun = z.infer<typeof AllocationRun>;

export const WriteResult = z
  .object({ entry: Entry, balance: z.int() })
  .meta({ id: "WriteResult", description: "What a write posted: the new entry and the bank's balance after it." });
export type WriteResult = z.infer<typeof WriteResult>;

export const EntryPage = z.object({ entries: z.array(Entry), nextCursor: z.string().nullable() }).meta({ id: "EntryPage" });
export type EntryPage = z.infer<typeof EntryPage>;

export const TicketEntries = z
  .object({
    ticketId: TicketId,
    entries: z.array(Entry),
    totals: z.object({
      /** Net credits this ticket cost (debits less refunds), as a positive number. */
      net: z.int(),
      /** Minutes logged and not refunded (billed time only). */
      minutes: z.int(),
      /** Minutes recorded as unbilled: worked, not charged, not counted towards the billed total. */
      unbilledMinutes: z.int().default(0),
    }),
  })
  .meta({ id: "TicketEntries" });
export type TicketEntries = z.infer<typeof TicketEntries>;

export const Quote = z
  .object({
    amount: z.int().min(0),
    balance: z.int(),
    balanceAfter: z.int(),
    /** True when the debit would take the bank below its overdraft limit (it would be refused). */
    insufficient: z.boolean(),
    /** Time quotes: the ticket's billable minutes before and after, after rounding. */
    billedMinutesBefore: z.int().nullable(),
    billedMinutesAfter: z.int().nullable(),
    /** Credits of the debit that would come from the plan's overdraft (0 when the balance covers it). */
    overdraft: z.int().min(0).default(0),
  })
  .meta({ id: "Quote" });
export type Quote = z.infer<typeof Quote>;

/** What assigning a plan would do: credits now and when they expire, and the next top-up. */
export const PlanQuote = z
  .object({
    plan: Plan.nullable(),
    firstPeriod: FirstPeriod,
    /** Whether the bank already had this period's allocation (the new plan then starts next period). */
    allocatedThisPeriod: z.boolean(),
    /** Credits given at once, and when they expire (null: none now). */
    creditsNow: z.int().min(0),
    creditsNowExpireAt: IsoDateTime.nullable(),
    /** A full period's credits, and what the first period gives pro-rated, for the choice. */
    fullPeriodCredits: z.int().min(0),
    proratedCredits: z.int().min(0),
    /** The next top-up after that, and how much it is. */
    nextTopUpAt: IsoDateTime.nullable(),
    nextTopUpCredits: z.int().min(0),
  })
  .meta({ id: "PlanQuote" });
export type PlanQuote = z.infer<typeof PlanQuote>;

/** Banks for a bulk grant: every bank on a plan, or the owners listed. */
export const WalletListQuery = z.object({
  plan: Slug.optional().meta({ description: "Only wallets on this plan" }),
  type: z.enum(["org", "person"]).optional().meta({ description: "Only organisations' or only people's wallets" }),
  limit: z.coerce.number().int().min(1).max(1000).default(500).meta({ description: "The most wallets to return" }),
});
export const WalletListItem = z
  .object({ owner: Owner, name: z.string().nullable(), balance: z.int(), plan: z.string().nullable() })
  .meta({ id: "WalletListItem" });
export const WalletList = z.object({ wallets: z.array(WalletListItem), truncated: z.boolean() }).meta({ id: "WalletList" });
export type WalletList = z.infer<typeof WalletList>;

export const Health = z.object({ ok: z.literal(true) }).meta({ id: "Health" });

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    balance: z.int().optional(),
    required: z.int().optional(),
  })
  .passthrough()
  .meta({
    id: "Problem",
    description: "RFC 9457 problem details. `code` is stable and machine-readable; `errors` lists the offending fields of an invalid request.",
  });
export type Problem = z.infer<typeof Problem>;

export const ErrorCode = {
  invalidRequest: "invalid_request",
  unauthorized: "unauthorized",
  notFound: "not_found",
  insufficientCredits: "insufficient_credits",
  idempotencyKeyReused: "idempotency_key_reused",
  idempotencyKeyRequired: "idempotency_key_required",
  alreadyReversed: "already_reversed",
  notReversible: "not_reversible",
  nothingToReverse: "nothing_to_reverse",
  unknownTier: "unknown_tier",
  tierNotOffered: "tier_not_offered",
  tierAlreadyCharged: "tier_already_charged",
  unknownPlan: "unknown_plan",
  versionConflict: "version_conflict",
  invalidExpiry: "invalid_expiry",
  payloadTooLarge: "payload_too_large",
  unsupportedMediaType: "unsupported_media_type",
  methodNotAllowed: "method_not_allowed",
  serviceUnavailable: "service_unavailable",
  rateLimited: "rate_limited",
  unknownPack: "unknown_pack",
  paymentsNotConnected: "payments_not_connected",
  paymentProviderError: "payment_provider_error",
  invalidSignature: "invalid_signature",
  deskproNotConnected: "deskpro_not_connected",
  deskproUnavailable: "deskpro_unavailable",
  deskproOverLimit: "deskpro_over_limit",
  urlNotAllowed: "url_not_allowed",
  amountOutOfRange: "amount_out_of_range",
  signupDisabled: "signup_disabled",
  notHelpdeskAdmin: "not_helpdesk_admin",
  tenantSuspended: "tenant_suspended",
  internal: "internal_error",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Which bank pays for a ticket, and why: the person's own bank if it has a plan or credits, else an
 * organisation's (the ticket's, else the person's primary one).
 */
export const PayerReason = z.enum(["person_has_plan", "person_has_credits", "organisation", "person_no_org"]).meta({ id: "PayerReason" });
export type PayerReason = z.infer<typeof PayerReason>;
const DeskproOrgId = z.string().regex(/^[1-9][0-9]{0,17}$/, "must be a numeric Deskpro organisation id");
export const TicketPayerQuery = z.object({
  person: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, "must be a numeric Deskpro person id")
    .meta({ description: "The ticket's person (Deskpro id)" }),
  org: DeskproOrgId.optional().meta({ description: "The ticket's organisation (Deskpro id), if it has one" }),
  personOrg: DeskproOrgId.optional().meta({ description: "The person's primary organisation (Deskpro id): pays when the ticket has none" }),
});
/**
 * A ticket's payer once pinned: at its first charge, or by an agent. Charges on the ticket then go
 * to this bank whatever the payer rule would say now; earlier charges stay with the bank that paid.
 */
export const PayerPin = z
  .object({
    owner: Owner,
    how: z.enum(["first_charge", "agent"]),
    at: IsoDateTime,
    agent: z.string().nullable(),
    /** The agent's reason for a change. */
    note: z.string().nullable(),
    /** The bank paying before an agent's change. */
    previousOwner: Owner.nullable(),
  })
  .meta({ id: "PayerPin" });
export type PayerPin = z.infer<typeof PayerPin>;
export const TicketPayer = z
  .object({
    owner: Owner,
    /** Why the payer rule picks `rule.owner` (the payer unless the ticket is pinned to another bank). */
    reason: PayerReason,
    /** With reason `organisation`: whether it is the ticket's organisation or the person's primary one. */
    organisationFrom: z.enum(["ticket", "person"]).nullable().default(null),
    wallet: Wallet,
    pin: PayerPin.nullable().default(null),
    /** Who the payer rule would pick now. */
    rule: z.object({ owner: Owner, reason: PayerReason }).optional(),
  })
  .meta({ id: "TicketPayer" });
export type TicketPayer = z.infer<typeof TicketPayer>;

/** An agent's explicit change of the bank that pays for a ticket. */
export const ChangePayerRequest = z.strictObject({ owner: Owner, reason: Reason, agent: Actor.optional() });
export type ChangePayerRequest = z.infer<typeof ChangePayerRequest>;
export const TicketPayerPin = z.object({ ticketId: TicketId, pin: PayerPin });
export type TicketPayerPin = z.infer<typeof TicketPayerPin>;
