/**
 * The one place errors become HTTP: every problem the API answers is `application/problem+json`
 * (RFC 9457) with a stable `code`, and this table is the only map from codes to statuses.
 * Business errors arrive as the core's and features' typed `LedgerError`s; errors of HTTP itself
 * (a missing key, a body too large) are raised here as `HttpProblem`s.
 */
import type { ErrorCode } from "../../contract/ledger.js";
import { LedgerError, ReplayedRefusal, type FieldError } from "../core/errors.js";

const PROBLEMS: Record<ErrorCode, { status: number; title: string }> = {
  invalid_request: { status: 400, title: "Invalid request" },
  idempotency_key_required: { status: 400, title: "Idempotency-Key required" },
  invalid_signature: { status: 400, title: "Invalid signature" },
  url_not_allowed: { status: 400, title: "URL not allowed" },
  unauthorized: { status: 401, title: "Unauthorized" },
  signup_disabled: { status: 403, title: "Sign-up is off" },
  not_helpdesk_admin: { status: 403, title: "Not the helpdesk's admin" },
  tenant_suspended: { status: 403, title: "Tenant suspended" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  insufficient_credits: { status: 409, title: "Insufficient credits" },
  idempotency_key_reused: { status: 409, title: "Idempotency key reused" },
  already_reversed: { status: 409, title: "Already reversed" },
  not_reversible: { status: 409, title: "Not reversible" },
  nothing_to_reverse: { status: 409, title: "Nothing to reverse" },
  tier_already_charged: { status: 409, title: "Tier already charged" },
  payments_not_connected: { status: 409, title: "Card payments not set up" },
  deskpro_not_connected: { status: 409, title: "Deskpro not connected" },
  version_conflict: { status: 412, title: "Configuration changed" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  unknown_tier: { status: 422, title: "Unknown tier" },
  tier_not_offered: { status: 422, title: "Tier not offered" },
  unknown_plan: { status: 422, title: "Unknown plan" },
  unknown_pack: { status: 422, title: "Unknown pack" },
  invalid_expiry: { status: 422, title: "Invalid expiry" },
  amount_out_of_range: { status: 422, title: "Amount out of range" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal_error: { status: 500, title: "Internal error" },
  payment_provider_error: { status: 502, title: "Stripe refused" },
  deskpro_unavailable: { status: 502, title: "Deskpro unavailable" },
  deskpro_over_limit: { status: 502, title: "Deskpro's answer over the ledger's limits" },
  service_unavailable: { status: 503, title: "Service unavailable" },
};

export const statusOf = (code: ErrorCode): number => PROBLEMS[code].status;

/** An error of HTTP itself, raised by the HTTP layer. */
export class HttpProblem extends Error {
  constructor(
    readonly code: ErrorCode,
    detail: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = "HttpProblem";
  }
}

/** A suspended tenant's key or web hook: refused, with nothing read or written. */
export const suspendedProblem = () =>
  new HttpProblem("tenant_suspended", "This tenant is suspended by the ledger's operator: nothing was read or written. Ask the operator to resume it.");

export const invalidRequest = (detail: string, fields?: FieldError[]) => new HttpProblem("invalid_request", detail, fields ? { errors: fields } : {});

/** The problem+json body of a code, detail and details. */
export function problemBody(code: ErrorCode, detail: string, details: Record<string, unknown> = {}): Record<string, unknown> {
  const { status, title } = PROBLEMS[code];
  return { type: `https://support-credits.dev/problems/${code.replaceAll("_", "-")}`, title, status, detail, code, ...details };
}

const codes = new WeakMap<Response, ErrorCode>();

export function problemResponse(code: ErrorCode, detail: string, details: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  const response = new Response(JSON.stringify(problemBody(code, detail, details)), {
    status: statusOf(code),
    headers: { "content-type": "application/problem+json", "x-content-type-options": "nosniff", ...headers },
  });
  codes.set(response, code);
  return response;
}

/** The problem code a response made here answers (for the refusal counts), or null. */
export const problemCodeOf = (response: Response): ErrorCode | null => codes.get(response) ?? null;

/** The problem a known error answers, or null for an internal error (never shown to the client). */
export function knownProblem(error: unknown): Response | null {
  // A refusal recorded against an Idempotency-Key is answered again as a replay, as a 201 is.
  if (error instanceof ReplayedRefusal) return problemResponse(error.code, error.message, error.details, { "idempotent-replayed": "true" });
  if (error instanceof HttpProblem || error instanceof LedgerError) return problemResponse(error.code, error.message, error.details);
  return null;
}
