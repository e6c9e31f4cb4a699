import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { IDEMPOTENCY_KEY_PATTERN } from "../../contract/index.js";
import { ProblemError, problems } from "../errors.js";
import { SecretsKeyMissing } from "../secrets.js";
import type { Clock, LedgerContext } from "../service.js";
import { authenticate } from "../tenants.js";
import { isDatabaseUnavailable, type Database } from "../storage/db.js";
import { canonicalJson, sha256Hex } from "./canonical.js";
import { problemResponse } from "./problem.js";
import { clientAddress, rateLimit } from "./rate-limit.js";
import { registerRoutes } from "./routes.js";
import { registerPortalRoutes, type PortalRouteOptions } from "./routes-portal.js";
import { registerStripeRoutes } from "./routes-stripe.js";
import { registerAlertRoutes } from "./routes-alerts.js";

export { problemResponse };

export type LogLine = Record<string, unknown>;
export type Logger = (line: LogLine) => void;

export interface LedgerAppDeps {
  db: Database;
  clock?: Clock;
  /** One structured line per request, and one per internal error. Defaults to JSON on stdout. */
  log?: Logger;
  /** Largest accepted request body. */
  maxBodyBytes?: number;
  /** Allowance of each client on the endpoints that take no API key (webhooks, customer pages). */
  publicRateLimit?: { burst: number; perSecond: number };
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy?: boolean;
  /** The ledger's public address for customer links and Stripe's return URLs; default: the request's origin. */
  publicUrl?: string;
  /** How the outbox reaches Deskpro and webhook endpoints, and who hears that work was queued. */
  outbox?: PortalRouteOptions;
}

export type LedgerEnv = {
  Variables: {
    tenantId: string;
    requestId: string;
    ledger: LedgerContext;
    /** The parsed JSON body, when the request has one. */
    body: unknown;
  };
};

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

let pendingLines: string[] = [];

function flushLogLines(): void {
  if (pendingLines.length === 0) return;
  const text = `${pendingLines.join("\n")}\n`;
  pendingLines = [];
  process.stdout.write(text);
}

/**
 * JSON lines on stdout. Lines written in one turn of the event loop leave in one write: under load
 * that is one system call for many requests instead of one each. Pending lines are flushed on exit.
 */
export const jsonLogger: Logger = (line) => {
  if (pendingLines.push(JSON.stringify(line)) === 1) setImmediate(flushLogLines);
};
process.once("exit", flushLogLines);


/** A request's body as text, refused with 413 as soon as it is known to pass `maxBytes` (declared or streamed). */
export async function readBodyCapped(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

const tooLarge = (maxBytes: number) =>
  new ProblemError(413, "payload_too_large", "Payload too large", `Request bodies are limited to ${maxBytes} bytes.`);

/**
 * Every body that reaches a handler is JSON, within the size limit, and parsed once; the parsed
 * value is handed to the route's zod validator through Hono's body cache.
 */
function jsonBodies(maxBytes: number): MiddlewareHandler<LedgerEnv> {
  return async (c, next) => {
    if (c.req.method !== "POST" && c.req.method !== "PUT" && c.req.method !== "PATCH") return next();
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
      throw new ProblemError(415, "unsupported_media_type", "Unsupported media type", "Send the request body as application/json.");
    }
    const text = await readBodyCapped(c.req.raw, maxBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw problems.invalid("The request body is not valid JSON.");
    }
    c.set("body", parsed);
    (c.req as unknown as { bodyCache: Record<string, Promise<unknown>> }).bodyCache = { json: Promise.resolve(parsed) };
    return next();
  };
}

const missingIdempotencyKey = () =>
  new ProblemError(400, "idempotency_key_required", "Idempotency-Key required", "Every write needs an Idempotency-Key header (1–255 visible ASCII characters), the same on every retry.");

/** The Idempotency-Key of a write and the fingerprint of the request it names. */
export function idempotencyOf(c: Context<LedgerEnv>): { key: string; requestHash: string } {
  const key = c.req.header("idempotency-key");
  if (key === undefined) throw missingIdempotencyKey();
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw problems.invalid("The Idempotency-Key header must be 1–255 visible ASCII characters.", [{ path: "header.Idempotency-Key", message: "invalid" }]);
  }
  const requestHash = sha256Hex(`${c.req.method} ${new URL(c.req.url).pathname}\n${canonicalJson(c.get("body") ?? null)}`);
  return { key, requestHash };
}

const BEARER = /^Bearer\s+(\S{1,200})$/i;

export function createLedgerApp(deps: LedgerAppDeps) {
  const log = deps.log ?? jsonLogger;
  const ledger: LedgerContext = { db: deps.db, clock: deps.clock ?? (() => new Date()) };
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const app = new OpenAPIHono<LedgerEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        if (result.target === "header" && result.error.issues.some((issue) => issue.path[0] === "idempotency-key")) {
          throw missingIdempotencyKey();
        }
        const errors = result.error.issues.map((issue) => ({
          path: [result.target === "json" ? "body" : result.target, ...issue.path.map(String)].join("."),
          message: issue.message,
        }));
        throw problems.invalid(`The request is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, errors);
      }
    },
  });

  app.use("*", async (c, next) => {
    const started = performance.now();
    const requestId = c.req.header("x-request-id")?.match(/^[\w-]{1,64}$/)?.[0] ?? crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("ledger", ledger);
    await next();
    c.header("x-request-id", requestId);
    log({
      time: new Date().toISOString(),
      level: c.res.status >= 500 ? "error" : "info",
      msg: "request",
      requestId,
      method: c.req.method,
      // The route pattern, not the URL: no ids or query strings (which may carry tokens) in logs.
      route: c.req.routePath,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      tenant: c.get("tenantId") ?? null,
    });
  });

  app.onError((error, c) => {
    if (error instanceof ProblemError) return problemResponse(error);
    if (error instanceof HTTPException) {
      return problemResponse(new ProblemError(error.status, error.status === 413 ? "payload_too_large" : "invalid_request", "Invalid request", error.message || "The request could not be read."));
    }
    if (error instanceof SecretsKeyMissing) {
      // Any route that seals or opens an integration secret (Deskpro, Stripe, webhook signing keys).
      return problemResponse(
        new ProblemError(503, "service_unavailable", "Secrets key missing", "The ledger server has no LEDGER_SECRETS_KEY, so it can't store or use integration secrets. Nothing was written."),
      );
    }
    if (isDatabaseUnavailable(error)) {
      log({ time: new Date().toISOString(), level: "warn", msg: "database unavailable", requestId: c.get("requestId"), code: codeOf(error) });
      return problemResponse(
        new ProblemError(503, "service_unavailable", "Service unavailable", "The ledger's database is unreachable; nothing was written. Retry with the same Idempotency-Key."),
        { "retry-after": "2" },
      );
    }
    // Never echo internals: the client gets a request id, the log gets the error's class and code.
    log({ time: new Date().toISOString(), level: "error", msg: "internal error", requestId: c.get("requestId"), error: (error as Error)?.name, code: codeOf(error) });
    return problemResponse(
      new ProblemError(500, "internal_error", "Internal error", `Something went wrong on our side; nothing was written. Request id ${c.get("requestId")}.`),
    );
  });

  app.notFound(() => problemResponse(problems.notFound("No such endpoint.")));

  // Endpoints without an API key are open to anyone: each client (address, and tenant where the
  // path names one) gets its own allowance, so one flood can't starve the others.
  const publicLimit = deps.publicRateLimit ?? { burst: 60, perSecond: 5 };
  app.use(
    "*",
    rateLimit({
      ...publicLimit,
      key: (c) => {
        if (c.req.path === "/healthz" || (c.req.path.startsWith("/v1/") && c.req.path !== "/v1/openapi.json")) return null;
        const tenantInPath = /\/(tnt_[0-9a-z]{26})(?:\/|$)/.exec(c.req.path)?.[1] ?? "-";
        return `${clientAddress(c, deps.trustProxy ?? false)}|${tenantInPath}`;
      },
    }),
  );

  app.get("/healthz", (c) => c.json({ ok: true as const }));

  app.use("/v1/*", async (c, next) => {
    if (c.req.path === "/v1/openapi.json") return next();
    const match = BEARER.exec(c.req.header("authorization") ?? "");
    const tenantId = match ? await authenticate(deps.db, match[1]!) : null;
    if (!tenantId) throw problems.unauthorized();
    c.set("tenantId", tenantId);
    return next();
  });
  app.use("/v1/*", jsonBodies(maxBodyBytes));

  registerRoutes(app);
  registerPortalRoutes(app, deps.outbox);
  registerStripeRoutes(app, deps.publicUrl);
  registerAlertRoutes(app, { fetch: deps.outbox?.fetch });

  app.openAPIRegistry.registerComponent("securitySchemes", "tenantKey", { type: "http", scheme: "bearer", description: "A tenant API key" });
  app.doc31("/v1/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Support Credits ledger",
      version: "1.0.0",
      description:
        "Banks of support credits, grants, debits, refunds and statements. Every write needs an Idempotency-Key; errors are application/problem+json with a stable code.",
    },
    security: [{ tenantKey: [] }],
  });

  return app;
}

function codeOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : null;
}

export type LedgerApp = ReturnType<typeof createLedgerApp>;
