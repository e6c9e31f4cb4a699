import { serve, type ServerType } from "@hono/node-server";
import { composeLedger } from "./compose.js";
import type { Clock } from "./core/context.js";
import { outboundPolicyFromEnv } from "./core/outbound.js";
import { startOutboxWorker } from "./core/outbox.js";
import { stripeApiAddress } from "./integrations/stripe/client.js";
import { createLedgerApp, jsonLogger, type Logger } from "./http/app.js";
import type { RateLimit } from "./http/rate-limit.js";
import { metricsTokenOf } from "./http/metrics-token.js";
import { startScheduler } from "./scheduler.js";
import { isDatabaseUnavailable, openDatabase, parsePoolerSetting, POOLER_DETECTED, type Database } from "./storage/db.js";
import { migrate } from "./storage/migrations.js";

export interface LedgerServerOptions {
  port?: number;
  host?: string;
  databaseUrl?: string;
  dataDir?: string;
  /** PostgreSQL connections; more than the cores' worth rarely helps. */
  poolSize?: number;
  /** Proxies in front that append to X-Forwarded-For (LEDGER_TRUSTED_PROXIES); 0 means clients connect directly. */
  trustedProxies?: number;
  /** Each client address's allowance for requests without an API key (LEDGER_PUBLIC_RATE_LIMIT, `<burst>/<per second>`). */
  publicRateLimit?: RateLimit;
  /** DATABASE_URL is a pooler in transaction mode (LEDGER_POOLER=transaction). */
  pooler?: "transaction";
  log?: Logger;
  clock?: Clock;
  /** The public address customers and Stripe reach the ledger at (LEDGER_PUBLIC_URL). */
  publicUrl?: string;
  /** Run the hourly allocation and expiring-credits sweep in this process (LEDGER_SCHEDULER, on unless "off"). */
  scheduler?: boolean;
  /** Let outgoing calls reach plain http and private addresses (development only); default: LEDGER_ALLOW_PRIVATE_NETWORK. */
  allowPrivateNetwork?: boolean;
  /** Another address for Stripe's API (LEDGER_STRIPE_API_URL): a local simulation of Stripe or a test double. */
  stripeApiUrl?: string;
  /** Self-service sign-up from the app's settings page (LEDGER_SIGNUP, on unless "off"). */
  signup?: boolean;
  /** The operator's token for `GET /metrics` (LEDGER_METRICS_TOKEN); without one the endpoint is not there. */
  metricsToken?: string;
}

export interface LedgerServer {
  url: string;
  db: Database;
  close(): Promise<void>;
}

/** LEDGER_TRUSTED_PROXIES=<n>; the older LEDGER_TRUST_PROXY=true means one proxy. */
function trustedProxiesOf(env: NodeJS.ProcessEnv): number {
  const value = env.LEDGER_TRUSTED_PROXIES?.trim();
  if (!value) return env.LEDGER_TRUST_PROXY === "true" ? 1 : 0;
  if (!/^\d{1,2}$/.test(value)) throw new Error("LEDGER_TRUSTED_PROXIES must be the number of proxies in front of the ledger (0 for none).");
  return Number(value);
}

function publicRateLimitOf(env: NodeJS.ProcessEnv): RateLimit | undefined {
  const value = env.LEDGER_PUBLIC_RATE_LIMIT?.trim();
  if (!value) return undefined;
  const match = /^(\d{1,6})\/(\d{1,6}(?:\.\d+)?)$/.exec(value);
  if (!match || Number(match[1]) < 1 || Number(match[2]) <= 0)
    throw new Error("LEDGER_PUBLIC_RATE_LIMIT must be <burst>/<requests per second>, for example 60/5.");
  return { burst: Number(match[1]), perSecond: Number(match[2]) };
}

/** The settings `npm run ledger -- serve` reads from the environment. */
export function ledgerEnv(env: NodeJS.ProcessEnv = process.env) {
  return {
    port: env.PORT ? Number(env.PORT) : 8787,
    host: env.HOST || "127.0.0.1",
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.LEDGER_DATA_DIR || ".data/ledger",
    poolSize: env.LEDGER_POOL_SIZE ? Number(env.LEDGER_POOL_SIZE) : undefined,
    trustedProxies: trustedProxiesOf(env),
    publicRateLimit: publicRateLimitOf(env),
    pooler: parsePoolerSetting(env.LEDGER_POOLER),
    publicUrl: env.LEDGER_PUBLIC_URL || undefined,
    scheduler: env.LEDGER_SCHEDULER !== "off",
    allowPrivateNetwork: outboundPolicyFromEnv(env).allowPrivateNetwork,
    stripeApiUrl: env.LEDGER_STRIPE_API_URL?.trim() || undefined,
    signup: env.LEDGER_SIGNUP !== "off",
    metricsToken: metricsTokenOf(env),
  };
}

/**
 * Applies migrations once the database answers: a ledger started while its database is down or
 * restarting waits (retrying with backoff, up to 5 s apart, saying so in the log) instead of
 * exiting. Any other failure (a migration that fails) ends the start.
 */
async function migrateWhenReachable(db: Database, log: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(db);
      return;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      const waitMs = Math.min(5_000, 100 * 2 ** attempt);
      log({ time: new Date().toISOString(), level: "warn", msg: "database unreachable at start; waiting", attempt, retryInMs: waitMs, code: codeOf(error) });
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

const codeOf = (error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : null;
};

/** Opens the database, applies migrations and serves the ledger's fetch handler on Node. */
export async function startLedgerServer(options: LedgerServerOptions = {}): Promise<LedgerServer> {
  const log = options.log ?? jsonLogger;
  // A wrong Stripe address stops the start, before anything is opened.
  const allowPrivateNetwork = options.allowPrivateNetwork ?? outboundPolicyFromEnv().allowPrivateNetwork;
  const stripeApi = options.stripeApiUrl ? stripeApiAddress(options.stripeApiUrl, { allowPrivateNetwork }) : undefined;
  const db = await openDatabase({
    databaseUrl: options.databaseUrl,
    dataDir: options.databaseUrl ? undefined : options.dataDir,
    poolSize: options.poolSize,
    pooler: options.pooler,
    onPoolerDetected: () => log({ time: new Date().toISOString(), level: "info", msg: POOLER_DETECTED }),
  });
  await migrateWhenReachable(db, log);
  const outbound = options.allowPrivateNetwork === undefined ? undefined : { allowPrivateNetwork: options.allowPrivateNetwork };
  const ledger = composeLedger({ db, clock: options.clock, outbound, ...(stripeApi ? { stripeApi } : {}) });
  // A long-running process loads the outbox's handlers now (a serverless one waits for its first
  // delivery): a kind handled twice stops the start, and the first delivery doesn't wait for them.
  await ledger.outboxHandlers();
  // Write-backs and alerts leave through the outbox; this process delivers them in the background.
  const outboxWorker = startOutboxWorker(ledger.context, ledger.outbox, {
    onError: (error) => log({ time: new Date().toISOString(), level: "warn", msg: "outbox drain failed", error: (error as Error)?.name }),
    onLane: (tenantId, seconds) => ledger.metrics.background(tenantId, "outbox", seconds),
  });
  const scheduler =
    options.scheduler === false
      ? null
      : startScheduler(ledger, {
          onError: (error, tenantId) =>
            log({ time: new Date().toISOString(), level: "warn", msg: "scheduled allocation failed", tenantId, error: (error as Error)?.name }),
        });
  const app = createLedgerApp({
    db,
    ledger,
    log,
    trustedProxies: options.trustedProxies,
    publicRateLimit: options.publicRateLimit,
    publicUrl: options.publicUrl,
    stripeApi,
    signup: options.signup,
    metricsToken: options.metricsToken,
    onQueued: () => outboxWorker.poke(),
  });
  const host = options.host ?? "127.0.0.1";
  let closing: Promise<void> | undefined;
  // Once closing, every answer closes its connection: a keep-alive client that keeps sending would
  // otherwise hold the server open for as long as it sends, and SIGTERM would never finish.
  const answer = async (request: Request, env: unknown) => {
    const response = await app.fetch(request, env);
    if (!closing) return response;
    const headers = new Headers(response.headers);
    headers.set("connection", "close");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const server = serve({ fetch: answer, port: options.port ?? 8787, hostname: host }, (info) => resolve({ server, port: info.port }));
    server.once("error", reject);
  });
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    db,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        if ("closeIdleConnections" in server) server.closeIdleConnections();
        await closed;
        await outboxWorker.stop();
        await scheduler?.stop();
        await db.close();
      })()),
  };
}
