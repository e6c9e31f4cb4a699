import { ErrorCode, type Problem } from "../../contract/ledger.js";
import { formatCredits } from "../format.js";

/** The ledger answered with an RFC 9457 problem. */
export class LedgerProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
    this.name = "LedgerProblem";
  }
  get code(): string {
    return this.problem.code;
  }
}

/** An HTTP error that is not a ledger problem: usually Deskpro's proxy refusing or failing. */
export class LedgerHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}`);
    this.name = "LedgerHttpError";
  }
}

/** The request never got an answer. */
export class LedgerNetworkError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "LedgerNetworkError";
  }
}

/** The ledger answered 2xx with something the contract does not describe. */
export class LedgerContractError extends Error {
  constructor(
    readonly what: string,
    readonly issues: string,
  ) {
    super(`Unexpected ${what}: ${issues}`);
    this.name = "LedgerContractError";
  }
}

/** Whether retrying the same request (same idempotency key) could succeed. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof LedgerNetworkError) return true;
  if (error instanceof LedgerHttpError) return error.status >= 500 || error.status === 429;
  if (error instanceof LedgerProblem) return error.problem.status >= 500 || error.code === ErrorCode.serviceUnavailable;
  return false;
}

/**
 * What an agent reads when the ledger refuses the key while the app was never set up (no saved
 * configuration): nothing was refused by anyone, so say what the admin does instead.
 */
export const NOT_CONNECTED =
  "Support Credits isn't connected yet. An admin opens Admin → Apps & Integrations → Apps → Support Credits, presses Connect this helpdesk, then Save.";

/** What the sidebars know about the app's setup: whether an admin has saved a verified configuration. */
export interface SetupState {
  connected: boolean;
}

/** One sentence an agent can act on. */
export function describeError(error: unknown, setup: SetupState = { connected: true }): string {
  if (error instanceof LedgerProblem) {
    const p = error.problem;
    switch (p.code) {
      case ErrorCode.insufficientCredits:
        if (p.balance !== undefined && p.required !== undefined) {
          return `Not enough credits: the bank has ${formatCredits(p.balance)} and this needs ${formatCredits(p.required)}.`;
        }
        return "Not enough credits in this bank.";
      case ErrorCode.unauthorized:
        if (!setup.connected) return NOT_CONNECTED;
        return "The ledger refused the API key. An admin should check the key in the app's settings.";
      case ErrorCode.tenantSuspended:
        return "The ledger's operator has suspended this helpdesk's account: nothing was changed. Ask them to resume it.";
      case ErrorCode.notFound:
        return "The ledger has no record of that. It may have been removed, or the link is out of date.";
      case ErrorCode.alreadyReversed:
        return "That entry has already been refunded.";
      case ErrorCode.notReversible:
        return "That kind of entry can't be refunded.";
      case ErrorCode.nothingToReverse:
        return "There is nothing left of that entry to refund.";
      case ErrorCode.unknownTier:
        return "That response tier no longer exists. Reload to see the current tiers.";
      case ErrorCode.tierNotOffered:
        return "That response tier isn't offered on this bank's plan.";
      case ErrorCode.tierAlreadyCharged:
        return "This ticket has already been charged a response tier.";
      case ErrorCode.unknownPlan:
        return "That plan no longer exists. Reload to see the current plans.";
      case ErrorCode.versionConflict:
        return "Someone else saved the configuration meanwhile. Reload it, then make your changes again.";
      case ErrorCode.idempotencyKeyReused:
        return "This action was already sent with different details. Start it again.";
      case ErrorCode.invalidExpiry:
        return "The expiry date must be in the future.";
      case ErrorCode.invalidRequest: {
        const fields = (p.errors ?? []).map((e) => `${e.path || "request"}: ${e.message}`);
        return fields.length > 0 ? `The ledger rejected this: ${fields.join("; ")}.` : `The ledger rejected this: ${p.detail}`;
      }
      case ErrorCode.serviceUnavailable:
        return "The ledger is temporarily unavailable. Try again in a moment.";
      default:
        return p.detail || p.title;
    }
  }
  if (error instanceof LedgerHttpError) {
    if (error.status === 401 || error.status === 403) {
      return "Deskpro's app proxy refused the request. Check that the ledger URL in the app settings is the one this app was packaged for.";
    }
    if (error.status === 404) return "The ledger URL doesn't point at a Support Credits ledger (nothing found there).";
    if (error.status === 412) return "Someone else saved the configuration meanwhile. Reload it, then make your changes again.";
    if (error.status >= 500) return "The ledger or Deskpro's proxy failed to answer. Try again in a moment.";
    return `The request failed (HTTP ${error.status}).`;
  }
  if (error instanceof LedgerNetworkError) return "Couldn't reach the ledger. Check the connection and try again.";
  if (error instanceof LedgerContractError) {
    return "The ledger answered in a form this app doesn't understand. The app and the ledger may be different versions.";
  }
  return error instanceof Error ? error.message : "Something went wrong.";
}
