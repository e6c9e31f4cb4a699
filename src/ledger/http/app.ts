import { Hono, type Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { composeLedger, type Ledger, type LedgerOptions } from "../compose.js";
import type { StripeApiAddress } from "../features/payments.js";
import { authenticate, recentlyAuthenticated, type AuthenticatedTenant } from "../core/tenants.js";
import { isDatabaseUnavailable } from "../storage/db.js";
import { ClientAborted, jsonBodies } from "./bodies.js";
import type { LedgerEnv } from "./env.js";
import { HttpProblem, knownProblem, problemCodeOf, problemResponse, suspendedProblem } from "./problems.js";
import { clientAddress, RecentlyRefusedKeys, TokenBuckets, type RateLimit } from "./rate-limit.js";
import { mountRouteGroups } from "./route-groups.js";
import { SIGNUP_PATH, type SignupLimits } from "./routes/signup-limits.js";

export type LogLine = Record<string, unknown>;
export type Logger = (line: LogLine) => void;

export interface LedgerAppDeps extends LedgerOptions {
  /** The ledger composed already (the Node server shares it with its outbox worker); else composed from these options. */
  ledger?: Ledger;
  /** One structured line per request, and one per internal error. Defaults to JSON on stdout. */
  log?: Logger;
  /** Largest accepted request body. */
  maxBodyBytes?: number;
  /** Allowance of each client address on everything that takes no API key (health, webhooks, customer pages). */
  publicRateLimit?: RateLimit;
  /** Allowance of each client address for API keys that turn out wrong (or missing). */
  failedAuthRateLimit?: RateLimit;
  /** Proxies in front that append to X-Forwarded-For: the client address is read that many entries from its right. */
  trustedProxies?: number;
  /** The connecting peer's address on hosts other than Node (the Lambda adapter's reader). */
  remoteAddress?: (c: Context) => string | undefined;
  /** The ledger's public address for customer links and Stripe's return URLs; default: the request's origin. */
  publicUrl?: string;
  /** Another address for Stripe's API (LEDGER_STRIPE_API_URL, read with `stripeApiAddress`); default: Stripe's own. */
  stripeApi?: StripeApiAddress;
  /** Called when work was queued (the Node process drains at once instead of at its next tick). */
  onQueued?: () => void;
  /** Self-service sign-up from the app's settings page (LEDGER_SIGNUP, on unless "off"). */
  signup?: boolean;
  /** Failed sign-ups allowed per client address and per helpdesk (tests lower them). */
  signupRateLimit?: Partial<SignupLimits>;
  /** The operator's token for `GET /metrics` (LEDGER_METRICS_TOKEN); without one the endpoint answers 404. */
  metricsToken?: string;
}

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

const BEARER = /^Bearer\s+(\S{1,200})$/i;
/** A tenant key pasted into the app's plain key setting, sent beside the one Connect stored. */
const PASTED_KEY_HEADER = "x-credits-key";

export function createLedgerApp(deps: LedgerAppDeps) {
  const log = deps.log ?? jsonLogger;
  const ledger = deps.ledger ?? composeLedger(deps);
  const maxBodyBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Routes are mounted group by group, each loaded on its first call (route-groups.ts): the app
  // itself is a plain Hono router, the OpenAPI library comes with the groups.
  const app = new Hono<LedgerEnv>();

  app.use("*", async (c, next) => {
    const started = performance.now();
    const requestId = c.req.header("x-request-id")?.match(/^[\w-]{1,64}$/)?.[0] ?? crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("ledger", ledger);
    // Set before the handler, the header goes into the response it makes. Setting it afterwards
    // would rebuild that response (on Node, as a full web Response with a body stream): only the
    // answers made outside a handler's context (errors, 404s) need that.
    c.header("x-request-id", requestId);
    await next();
    // Read before the header below may rebuild the response. A tenant is a label only once its key was checked.
    ledger.metrics.request({
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      problem: problemCodeOf(c.res),
      tenantId: c.req.path.startsWith("/v1/") ? (c.get("tenantId") ?? null) : null,
    });
    if (!c.res.headers.has("x-request-id")) c.header("x-request-id", requestId);
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
    if (error instanceof ClientAborted) {
      log({ time: new Date().toISOString(), level: "info", msg: "client aborted", requestId: c.get("requestId") });
    }
    const known = knownProblem(error);
    if (known) return known;
    if (error instanceof HTTPException) {
      return problemResponse(error.status === 413 ? "payload_too_large" : "invalid_request", error.message || "The request could not be read.");
    }
    if (isDatabaseUnavailable(error)) {
      log({ time: new Date().toISOString(), level: "warn", msg: "database unavailable", requestId: c.get("requestId"), code: codeOf(error) });
      return problemResponse(
        "service_unavailable",
        "The ledger's database is unreachable; nothing was written. Retry with the same Idempotency-Key.",
        {},
        { "retry-after": "2" },
      );
    }
    // Never echo internals: the client gets a request id, the log gets the error's class and code.
    log({
      time: new Date().toISOString(),
      level: "error",
      msg: "internal error",
      requestId: c.get("requestId"),
      error: (error as Error)?.name,
      code: codeOf(error),
    });
    return problemResponse("internal_error", `Something went wrong on our side; nothing was written. Request id ${c.get("requestId")}.`);
  });

  app.notFound(() => problemResponse("not_found", "No such endpoint."));
  // Every answer is what its Content-Type says: no browser may sniff a page or a script out of one.
  // Set before the handler, so the handler's answer carries it; problems made outside a handler's
  // context (errors, 404s, 429s) carry it from problemResponse.
  app.use("*", async (c, next) => {
    c.header("x-content-type-options", "nosniff");
    await next();
  });

  // Everything without an API key is open to anyone: each client address gets one allowance across
  // all of it, so neither a flood nor made-up tenant ids in paths starve the others or the database.
  // Wrong keys are limited per address too, but only once they are known to be wrong: a right key is
  // always served, whatever else arrives from its address (every helpdesk's app traffic comes
  // through the few addresses of Deskpro's proxy), and a key check the database could not answer
  // costs nothing. A wrong key seen a moment ago is answered from memory.
  const addressOf = (c: Context) => clientAddress(c, deps.trustedProxies ?? 0, deps.remoteAddress);
  const anonymous = new TokenBuckets(deps.publicRateLimit ?? { burst: 60, perSecond: 5 });
  const failedAuth = new TokenBuckets(deps.failedAuthRateLimit ?? { burst: 30, perSecond: 1 });
  const wrongKeys = new RecentlyRefusedKeys();
  const needsKey = (path: string) => path.startsWith("/v1/") && path !== "/v1/openapi.json" && path !== SIGNUP_PATH;
  app.use("*", async (c, next) => (needsKey(c.req.path) ? next() : (anonymous.take(addressOf(c)) ?? next())));

  app.use("/v1/*", async (c, next) => {
    if (!needsKey(c.req.path)) return next();
    // The app sends two keys through Deskpro's proxy: the one Connect stored and the one pasted by
    // hand (X-Credits-Key); whichever is a key this ledger knows is used. An unfilled placeholder
    // or an empty setting is no key at all.
    const candidates = [BEARER.exec(c.req.header("authorization") ?? "")?.[1], c.req.header(PASTED_KEY_HEADER)?.trim()].filter(
      (key): key is string => key !== undefined && key.length <= 200 && !/^__\w+__$/.test(key),
    );
    let tenant: AuthenticatedTenant | null = null;
    for (const key of candidates) if ((tenant = recentlyAuthenticated(key))) break;
    for (const key of candidates) {
      if (tenant) break;
      if (wrongKeys.has(key)) continue;
      if (!(tenant = await authenticate(ledger.context.db, key))) wrongKeys.add(key);
    }
    if (!tenant) {
      const refused = failedAuth.take(addressOf(c));
      if (refused) return refused;
      throw new HttpProblem("unauthorized", "Send a valid tenant API key as 'Authorization: Bearer <key>'.");
    }
    c.set("tenantId", tenant.tenantId);
    if (tenant.suspended) throw suspendedProblem();
    return next();
  });
  app.use("/v1/*", jsonBodies(maxBodyBytes));

  mountRouteGroups(app, {
    publicUrl: deps.publicUrl,
    stripeApi: deps.stripeApi,
    onQueued: deps.onQueued,
    signup: deps.signup ?? true,
    signupLimits: deps.signupRateLimit,
    addressOf,
    metricsToken: deps.metricsToken,
  });
  // Built on its first request from the groups themselves (document.ts), then kept.
  let document: Promise<object> | undefined;
  app.get("/v1/openapi.json", async (c) => {
    document ??= import("./document.js")
      .then(({ ledgerOpenApiDocument }) => ledgerOpenApiDocument(deps.publicUrl, deps.signup ?? true))
      .catch((error: unknown) => {
        document = undefined;
        throw error;
      });
    return c.json(await document);
  });

  return app;
}

function codeOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : null;
}
