/**
 * What every route file shares: the request's variables, a router that validates with the
 * contract's schemas and answers problem+json, and the reader of idempotency keys (bodies are read
 * in bodies.ts).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, HonoRequest } from "hono";
import { routePath } from "hono/route";
import { IDEMPOTENCY_KEY_PATTERN } from "../../contract/primitives.js";
import type { Ledger } from "../compose.js";
import type { Idempotency, LedgerContext, WriteOutcome } from "../core/context.js";
import { canonicalJson, sha256Hex } from "./canonical.js";
import { HttpProblem, invalidRequest } from "./problems.js";

export type LedgerEnv = {
  Variables: {
    tenantId: string;
    requestId: string;
    ledger: Ledger;
  };
};

export const tenantOf = (c: Context<LedgerEnv>): string => c.get("tenantId");
/** The core's context (database, clock, hooks) for use cases. */
export const coreOf = (c: Context<LedgerEnv>): LedgerContext => c.get("ledger").context;

const missingIdempotencyKey = () =>
  new HttpProblem("idempotency_key_required", "Every write needs an Idempotency-Key header (1–255 visible ASCII characters), the same on every retry.");

/** A router whose zod validation failures answer 400 problem+json naming the offending fields. */
export function newRouter(): OpenAPIHono<LedgerEnv> {
  return new OpenAPIHono<LedgerEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        if (result.target === "header" && result.error.issues.some((issue) => issue.path[0] === "idempotency-key")) throw missingIdempotencyKey();
        const errors = result.error.issues.map((issue) => ({
          path: [result.target === "json" ? "body" : result.target, ...issue.path.map(String)].join("."),
          message: issue.message,
        }));
        throw invalidRequest(`The request is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, errors);
      }
    },
  });
}

/** The Idempotency-Key of a write and the fingerprint of the request it names. */
export function idempotencyOf(c: Context<LedgerEnv>): Idempotency {
  const key = c.req.header("idempotency-key");
  if (key === undefined) throw missingIdempotencyKey();
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw invalidRequest("The Idempotency-Key header must be 1–255 visible ASCII characters.", [{ path: "header.Idempotency-Key", message: "invalid" }]);
  }
  // The request as the ledger understood it, not as it was spelled: the route, its decoded
  // parameters and the body after validation (defaults filled in, text trimmed), so a retry that
  // means the same (`org%3A1`, `"source": "manual"` sent explicitly) is a replay, not a conflict.
  const validated = c.req as unknown as HonoRequest<string, { json: unknown }>;
  const understood = { route: routePath(c), params: c.req.param(), body: validated.valid("json") ?? null };
  const requestHash = sha256Hex(`${c.req.method} ${canonicalJson(understood)}`);
  return { scope: "client", key, requestHash };
}

/**
 * A write's answer, as the exact JSON text first sent (a replay is byte for byte the same). A
 * replay carries the status first sent, so the route's typed status can't be used here.
 */
export function respond<T>(c: Context<LedgerEnv>, outcome: WriteOutcome<T>): never {
  if (outcome.replayed) c.header("idempotent-replayed", "true");
  return c.body(outcome.text, outcome.status as 200, { "content-type": "application/json" }) as never;
}
