/**
 * The ledger's business errors. Each says what went wrong in the ledger's own terms and carries a
 * stable `code` (part of the API) and the facts a client needs (`details`); none knows about HTTP.
 * `http/problems.ts` is the one place that turns them into statuses and problem+json.
 * Anything else thrown is an internal error and is never shown to a client.
 */
import type { ErrorCode } from "../../contract/ledger.js";

export interface FieldError {
  path: string;
  message: string;
}

export abstract class LedgerError extends Error {
  abstract readonly code: ErrorCode;
  /** Facts beside the message that a client may act on (balance, required, the entry concerned…). */
  readonly details: Record<string, unknown>;
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** The request is malformed or names something impossible; `fields` lists the offending fields. */
export class InvalidRequest extends LedgerError {
  readonly code = "invalid_request";
  constructor(
    message: string,
    readonly fields: FieldError[] = [],
  ) {
    super(message, fields.length > 0 ? { errors: fields } : {});
  }
}

export class NotFound extends LedgerError {
  readonly code = "not_found";
}

export class InsufficientCredits extends LedgerError {
  readonly code = "insufficient_credits";
  constructor(
    readonly balance: number,
    readonly required: number,
    readonly available: number,
  ) {
    super(`This needs ${required} credits but the bank can spend ${available} (balance ${balance}).`, { balance, required });
  }
}

/**
 * A refusal recorded against an idempotency key (storage/idempotency.ts), answered again to a
 * repeat of its request: the same code, message and details as the first time.
 */
export class ReplayedRefusal extends LedgerError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    details: Record<string, unknown>,
  ) {
    super(message, details);
  }
}

export class IdempotencyKeyReused extends LedgerError {
  readonly code = "idempotency_key_reused";
  constructor() {
    super("This Idempotency-Key was already used for a different request. Use a new key for a new action.");
  }
}

export class AlreadyReversed extends LedgerError {
  readonly code = "already_reversed";
  constructor(
    readonly entryId: string,
    readonly reversalEntryId: string,
  ) {
    super(`Entry ${entryId} was already reversed by ${reversalEntryId}.`, { reversalEntryId });
  }
}

export class NotReversible extends LedgerError {
  readonly code = "not_reversible";
}

export class NothingToReverse extends LedgerError {
  readonly code = "nothing_to_reverse";
}

/** What a request works out to (time at the configured rate) is more than one write may move. */
export class AmountOutOfRange extends LedgerError {
  readonly code = "amount_out_of_range";
  constructor(
    readonly amount: number,
    readonly max: number,
    what: string,
  ) {
    const n = (x: number) => x.toLocaleString("en");
    super(`${what} would come to ${n(amount)} credits; one write moves at most ${n(max)}. Split it into smaller entries.`, { amount, max });
  }
}

export class UnknownTier extends LedgerError {
  readonly code = "unknown_tier";
  constructor(readonly tier: string) {
    super(`No tier has the key "${tier}".`);
  }
}

export class TierNotOffered extends LedgerError {
  readonly code = "tier_not_offered";
  constructor(readonly tierLabel: string) {
    super(`The "${tierLabel}" tier is not part of this bank's plan.`);
  }
}

export class TierAlreadyCharged extends LedgerError {
  readonly code = "tier_already_charged";
  constructor(
    readonly ticketId: string,
    readonly tier: string | null,
    readonly entryId: string,
  ) {
    super(`Ticket ${ticketId} already has a tier charge (${tier}); refund it first to change tier.`, { entryId });
  }
}

export class UnknownPlan extends LedgerError {
  readonly code = "unknown_plan";
  constructor(readonly plan: string) {
    super(`No plan has the key "${plan}".`);
  }
}

export class VersionConflict extends LedgerError {
  readonly code = "version_conflict";
  constructor() {
    super("The configuration was changed by someone else; reload it and try again.");
  }
}
