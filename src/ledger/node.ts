import { serve, type ServerType } from "@hono/node-server";
import { composeLedger } from "./compose.js";
import type { Clock } from "./core/context.js";
import { startOutboxWorker } from "./core/outbox.js";
import { createLedgerApp, jsonLogger, type Logger } from "./http/app.js";
import { startScheduler } from "./scheduler.js";
import { openDatabase, type Database } from "./storage/db.js";
import { migrate } from "./storage/migrations.js";

export interface LedgerServerOptions {
  port?: number;
  host?: string;
  databaseUrl?: string;
  dataDir?: string;
  /** PostgreSQL connections; more than the cores' worth rarely helps. */
  poolSize?: number;
  /** Client addresses come from X-Forwarded-For (set only behind a proxy that writes it). */
  trustProxy?: boolean;
  log?: Logger;
  clock?: Clock;
  /** The public address customers and Stripe reach the ledger at (LEDGER_PUBLIC_URL). */
  publicUrl?: string;
  /** Run the hourly allocation and expiring-credits sweep in this process (LEDGER_SCHEDULER, on unless "off"). */
  scheduler?: boolean;
  /** Self-service sign-up from the app's settings page (LEDGER_SIGNUP, on unless "off"). */
  signup?: boolean;
}

export interface LedgerServer {
  url: string;
  db: Database;
  close(): Promise<void>;
}

/** The settings `npm run ledger -- serve` reads from the environment. */
export function ledgerEnv(env: NodeJS.ProcessEnv = process.env) {
  return {
    port: env.PORT ? Number(env.PORT) : 8787,
    host: env.HOST || "127.0.0.1",
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.LEDGER_DATA_DIR || ".data/ledger",
    poolSize: env.LEDGER_POOL_SIZE ? Number(env.LEDGER_POOL_SIZE) : undefined,
    trustProxy: env.LEDGER_TRUST_PROXY === "true",
    publicUrl: env.LEDGER_PUBLIC_URL || undefined,
    scheduler: env.LEDGER_SCHEDULER !== "off",
    signup: env.LEDGER_SIGNUP !== "off",
  };
}

/** Opens the database, applies migrations and serves the ledger's fetch handler on Node. */
export async function startLedgerServer(options: LedgerServerOptions = {}): Promise<LedgerServer> {
  const db = await openDatabase({
    databaseUrl: options.databaseUrl,
    dataDir: options.databaseUrl ? undefined : options.dataDir,
    poolSize: options.poolSize,
  });
  await migrate(db);
  const log = options.log ?? jsonLogger;
  const ledger = composeLedger({ db, clock: options.clock });
  // Write-backs and alerts leave through the outbox; this process delivers them in the background.
  const outboxWorker = startOutboxWorker(ledger.context, ledger.outboxHandlers, {
    onError: (error) => log({ time: new Date().toISOString(), level: "warn", msg: "outbox drain failed", error: (error as Error)?.name }),
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
    trustProxy: options.trustProxy,
    publicUrl: options.publicUrl,
    signup: options.signup,
    onQueued: () => outboxWorker.poke(),
  });
  const host = options.host ?? "127.0.0.1";
  const { server, port } = await new Promise<{ server: ServerType; port: number }>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port ?? 8787, hostname: host }, (info) => resolve({ server, port: info.port }));
    server.once("error", reject);
  });
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    db,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await outboxWorker.stop();
        await scheduler?.stop();
        await db.close();
      })()),
  };
}
