import { z } from "zod";
import { AlertLevel, Plan } from "./config.js";
import { Actor, Credits, CreditsOrZero, EntryId, GrantId, IsoDateTime, Owner, Reason, Slug, storable, TicketId } from "./primitives.js";

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

export const GrantSourceInput = z.enum(["manual", "promo"]);

export const GrantRequest = z.strictObject({
  amount: Credits,
  reason: Reason,
  source: GrantSourceInput.default("manual"),
  /** When the credits stop being spendable; omitted means they never expire. */
  expiresAt: IsoDateTime.optional(),
  agent: Actor.optional(),
});
export type GrantRequest = z.infer<typeof GrantRequest>;
export type GrantRequestInput = z.input<typeof GrantRequest>;

export const MAX_MINUTES_PER_WRITE = 100_000;

export const ManualDebitRequest = z.strictObject({
  kind: z.literal("manual"),
  amount: Credits,
  reason: Reason,
  ticketId: TicketId.optional(),
  agent: Actor.optional(),
});
export const TimeDebitRequest = z.strictObject({
  kind: z.literal("time"),
  minutes: z.int().min(1).max(MAX_MINUTES_PER_WRITE),
  ticketId: TicketId,
  reason: Reason.optional(),
  agent: Actor.optional(),
});
export const PriorityDebitRequest = z.strictObject({
  kind: z.literal("priority"),
  tier: Slug,
  ticketId: TicketId,
  reason: Reason.optional(),
  agent: Actor.optional(),
});
export const DebitRequest = z.discriminatedUnion("kind", [ManualDebitRequest, TimeDebitRequest, PriorityDebitRequest]);
export type DebitRequest = z.infer<typeof DebitRequest>;
export type DebitRequestInput = z.input<typeof DebitRequest>;

export const ReversalRequest = z.strictObject({
  reason: Reason,
  agent: Actor.optional(),
});
export type ReversalRequest = z.infer<typeof ReversalRequest>;

export const AssignPlanRequest = z.strictObject({
  /** A plan key, or null to return the bank to the default plan. */
  plan: Slug.nullable(),
  agent: Actor.optional(),
});
export type AssignPlanRequest = z.infer<typeof AssignPlanRequest>;

/** Price a debit without writing it (the sidebar's preview). */
export const QuoteRequest = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("manual"), amount: Credits }),
  z.strictObject({ kind: z.literal("time"), minutes: z.int().min(1).max(MAX_MINUTES_PER_WRITE), ticketId: TicketId }),
  z.strictObject({ kind: z.literal("priority"), tier: Slug, ticketId: TicketId }),
]);
export type QuoteRequest = z.infer<typeof QuoteRequest>;

export const StatementQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .regex(/^[0-9A-Za-z_-]{1,40}$/, "not a cursor returned by this API")
    .optional(),
});
export type StatementQuery = z.infer<typeof StatementQuery>;

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

export const EntryKind = z.enum(["grant", "manual", "time", "priority", "refund", "void", "expiry"]);
export type EntryKind = z.infer<typeof EntryKind>;
/** Kinds that spend credits (and so can be refunded). */
export const DEBIT_KINDS = ["manual", "time", "priority"] as const satisfies readonly EntryKind[];

export const GrantSource = z.enum(["allocation", "rollover", "purchase", "manual", "promo", "refund"]);
export type GrantSource = z.infer<typeof GrantSource>;

export const EntryGrantDraw = z.object({ grantId: GrantId, amount: z.int() });

export const Entry = z.object({
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
});
export type Entry = z.infer<typeof Entry>;

export const WalletGrant = z.object({
  id: GrantId,
  amount: z.int(),
  remaining: z.int(),
  source: GrantSource,
  paid: z.boolean(),
  startsAt: IsoDateTime,
  expiresAt: IsoDateTime.nullable(),
});
export type WalletGrant = z.infer<typeof WalletGrant>;

export const LowBalanceState = z.enum(["ok", "low", "depleted"]);
export type LowBalanceState = z.infer<typeof LowBalanceState>;

export const Wallet = z.object({
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
});
export type Wallet = z.infer<typeof Wallet>;

/** What Deskpro knows about a bank's people and organisation, for the plan rules. */
export const WalletProfile = z.strictObject({
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
});
export type WalletProfile = z.infer<typeof WalletProfile>;

/** A bank's own low-balance levels; null goes back to its plan's (or the helpdesk's). */
export const AlertLevelsRequest = z.strictObject({ levels: z.array(AlertLevel).min(1).max(10).nullable() });
export type AlertLevelsRequest = z.infer<typeof AlertLevelsRequest>;

export const WalletProfileRefresh = z.object({
  /** False when no plan rule reads this kind of bank, so Deskpro was not asked. */
  read: z.boolean(),
  /** True when the facts differed from the stored ones and were saved. */
  changed: z.boolean(),
  wallet: Wallet,
});
export type WalletProfileRefresh = z.infer<typeof WalletProfileRefresh>;

export const AllocationRun = z.object({
  /** Banks looked at. */
  checked: z.int(),
  /** Banks that received this period's allocation. */
  allocated: z.int(),
  /** Grants newly announced as expiring soon (`credits.expiring`); each grant is announced once. */
  expiringNotices: z.int(),
});
export type AllocationRun = z.infer<typeof AllocationRun>;

export const WriteResult = z.object({ entry: Entry, balance: z.int() });
export type WriteResult = z.infer<typeof WriteResult>;

export const EntryPage = z.object({ entries: z.array(Entry), nextCursor: z.string().nullable() });
export type EntryPage = z.infer<typeof EntryPage>;

export const TicketEntries = z.object({
  ticketId: TicketId,
  entries: z.array(Entry),
  totals: z.object({
    /** Net credits this ticket cost (debits less refunds), as a positive number. */
    net: z.int(),
    /** Minutes logged and not refunded. */
    minutes: z.int(),
  }),
});
export type TicketEntries = z.infer<typeof TicketEntries>;

export const Quote = z.object({
  amount: z.int().min(0),
  balance: z.int(),
  balanceAfter: z.int(),
  /** True when the debit would take the bank below its overdraft limit (it would be refused). */
  insufficient: z.boolean(),
  /** Time quotes: the ticket's billable minutes before and after, after rounding. */
  billedMinutesBefore: z.int().nullable(),
  billedMinutesAfter: z.int().nullable(),
});
export type Quote = z.infer<typeof Quote>;

export const Health = z.object({ ok: z.literal(true) });

/** RFC 9457 problem details, with a stable machine-readable `code`. */
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
  .passthrough();
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
  purchaseNotGrantedYet: "purchase_not_granted_yet",
  urlNotAllowed: "url_not_allowed",
  amountOutOfRange: "amount_out_of_range",
  internal: "internal_error",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Which bank pays for a ticket, and why: the person's own bank if it has a plan or credits, else their organisation's. */
export const PayerReason = z.enum(["person_has_plan", "person_has_credits", "organisation", "person_no_org"]);
export type PayerReason = z.infer<typeof PayerReason>;
export const TicketPayerQuery = z.object({
  person: z.string().regex(/^[1-9][0-9]{0,17}$/, "must be a numeric Deskpro person id"),
  org: z
    .string()
    .regex(/^[1-9][0-9]{0,17}$/, "must be a numeric Deskpro organisation id")
    .optional(),
});
export const TicketPayer = z.object({ owner: Owner, reason: PayerReason, wallet: Wallet });
export type TicketPayer = z.infer<typeof TicketPayer>;
