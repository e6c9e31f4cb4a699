/**
 * What every route file shares: the request's variables, a router that validates with the
 * contract's schemas and answers problem+json, and the readers of bodies and idempotency keys.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, HonoRequest, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { IDEMPOTENCY_KEY_PATTERN } from "../../contract/index.js";
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

const utf8 = new TextDecoder("utf-8", { fatal: true });

const tooLarge = (maxBytes: number) => new HttpProblem("payload_too_large", `Request bodies are limited to ${maxBytes} bytes.`);

/** The client went away before its body arrived in full: its doing, not the ledger's (logged as such). */
export class ClientAborted extends HttpProblem {
  constructor() {
    super("invalid_request", "The request body ended before it was complete; nothing was written.");
    this.name = "ClientAborted";
  }
}

/** A request's body as text, refused with 413 as soon as it is known to pass `maxBytes` (declared or streamed). */
export async function readBodyCapped(request: Request, maxBytes: number): Promise<string> {
  const length = request.headers.get("content-length");
  const declared = Number(length ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (length !== null && /^\d+$/.test(length)) {
    // A declared length is all the body can be (the HTTP parser holds the client to it), so the body
    // is read whole: on Node this skips building a web stream for every request.
    const bytes = await request.arrayBuffer().catch(() => {
      throw new ClientAborted();
    });
    // Where no parser stands between (a Request built from a serverless event), the header may not match.
    if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
    return decodeUtf8(new Uint8Array(bytes));
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read().catch(() => {
      throw new ClientAborted();
    });
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return decodeUtf8(Buffer.concat(chunks));
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Decoding leniently would swap the bad bytes for U+FFFD: a quiet change to what the client sent.
    throw invalidRequest("The request body is not valid UTF-8.", [{ path: "body", message: "not valid UTF-8" }]);
  }
}

/**
 * Every body that reaches a handler is JSON and within the size limit; it is read once and handed
 * to the route's zod validator through Hono's body cache.
 */
export function jsonBodies(maxBytes: number): MiddlewareHandler<LedgerEnv> {
  return async (c, next) => {
    if (c.req.method !== "POST" && c.req.method !== "PUT" && c.req.method !== "PATCH") return next();
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type))
      throw new HttpProblem("unsupported_media_type", "Send the request body as application/json.");
    const text = await readBodyCapped(c.req.raw, maxBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalidRequest("The request body is not valid JSON.");
    }
    // Hono's json() reads the cached text (older versions the cached json): both are there, so
    // the body is never turned back into a Response to be read again.
    (c.req as unknown as { bodyCache: Record<string, Promise<unknown>> }).bodyCache = { text: Promise.resolve(text), json: Promise.resolve(parsed) };
    return next();
  };
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
