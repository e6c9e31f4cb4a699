/**
 * The ledger on AWS Lambda: `npm run build:lambda` bundles this file into one file
 * (dist/lambda/index.mjs, zipped as dist/ledger-lambda.zip) to upload with the handler
 * `index.handler`. Set DATABASE_URL to a PostgreSQL server, normally through a pooler in
 * transaction mode (LEDGER_POOLER=transaction). PGlite is not used here: a function's disk is not
 * durable.
 *
 * One function answers two kinds of event:
 * - HTTP requests from API Gateway (REST or HTTP API), a function URL or an ALB: the API;
 * - EventBridge schedules, the work a long-running ledger does in the background (cron.ts):
 *   `{"ledgerCron": "outbox"}` every minute, `{"ledgerCron": "allocate"}` hourly, or an
 *   EventBridge rule's plain "Scheduled Event", which does both.
 *
 * The service keeps no state between requests beyond the pool and small caches, so any number of
 * function instances can run side by side; the database serialises what must be serialised.
 */
import { getConnInfo, handle, type APIGatewayProxyResult, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";
import { z } from "zod";
import { composeLedger, type Ledger } from "../compose.js";
import { outboundPolicyFromEnv } from "../core/outbound.js";
import { ALL_CRON_TASKS, CronTask, runCron, type CronReport } from "../cron.js";
import { stripeApiAddress } from "../integrations/stripe/client.js";
import { createLedgerApp, jsonLogger } from "../http/app.js";
import { openDatabase, parsePoolerSetting, POOLER_DETECTED } from "../storage/db.js";
import { metricsTokenOf } from "../http/metrics-token.js";

/**
 * A schedule's event: EventBridge Scheduler's or a rule's constant input naming a task, or a rule's
 * own event. Only what may invoke the function (IAM) can send one: HTTP requests arrive wrapped in
 * their host's event shape, never as these top-level fields.
 */
const ScheduledEvent = z.union([
  z.object({ ledgerCron: z.union([CronTask, z.literal("all")]) }).transform(({ ledgerCron }) => (ledgerCron === "all" ? ALL_CRON_TASKS : [ledgerCron])),
  z.object({ source: z.literal("aws.events"), "detail-type": z.literal("Scheduled Event") }).transform(() => ALL_CRON_TASKS),
]);

/** Scheduled work stops starting new deliveries this long before the function's timeout (a webhook may take 10 s). */
const DEADLINE_MARGIN_MS = 15_000;

interface Instance {
  ledger: Ledger;
  http: ReturnType<typeof handle>;
}

let ready: Promise<Instance> | undefined;

/** One pool per warm instance, opened on the first event; a failed start is retried on the next. */
function instance(): Promise<Instance> {
  ready ??= (async () => {
    const databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) throw new Error("DATABASE_URL must name a PostgreSQL server");
    // An instance serves one event at a time: a connection or two is all it uses. Instances
    // multiply; the pooler (or the server's connection limit) doesn't.
    const db = await openDatabase({
      databaseUrl,
      poolSize: Number(process.env.LEDGER_POOL_SIZE || 2),
      pooler: parsePoolerSetting(process.env.LEDGER_POOLER),
      onPoolerDetected: () => jsonLogger({ time: new Date().toISOString(), level: "info", msg: POOLER_DETECTED }),
    });
    // The migrations' SQL is a chunk of its own: a function whose schema is migrated at deploy time
    // (LEDGER_MIGRATE_ON_START=false) never loads it.
    if (process.env.LEDGER_MIGRATE_ON_START !== "false") await (await import("../storage/migrations.js")).migrate(db);
    const outbound = outboundPolicyFromEnv(process.env);
    const stripeApiUrl = process.env.LEDGER_STRIPE_API_URL?.trim();
    const stripeApi = stripeApiUrl ? stripeApiAddress(stripeApiUrl, outbound) : undefined;
    const ledger = composeLedger({ db, outbound, ...(stripeApi ? { stripeApi } : {}) });
    // Rate limits key on the caller's address as API Gateway saw it.
    const app = createLedgerApp({
      db,
      ledger,
      publicUrl: process.env.LEDGER_PUBLIC_URL || undefined,
      ...(stripeApi ? { stripeApi } : {}),
      remoteAddress: (c) => getConnInfo(c).remote.address,
      signup: process.env.LEDGER_SIGNUP !== "off",
      metricsToken: metricsTokenOf(process.env),
    });
    return { ledger, http: handle(app) };
  })().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}

export type LedgerLambdaEvent = LambdaEvent | z.input<typeof ScheduledEvent>;

export async function handler(event: LedgerLambdaEvent, context?: LambdaContext): Promise<APIGatewayProxyResult | CronReport> {
  const { ledger, http } = await instance();
  const scheduled = ScheduledEvent.safeParse(event);
  if (!scheduled.success) return http(event as LambdaEvent, context);
  const remaining = context?.getRemainingTimeInMillis?.();
  const report = await runCron(ledger, scheduled.data, {
    deadline: remaining === undefined ? undefined : new Date(Date.now() + remaining - DEADLINE_MARGIN_MS),
    onError: (error, tenantId) =>
      jsonLogger({ time: new Date().toISOString(), level: "warn", msg: "scheduled allocation failed", tenantId, error: (error as Error)?.name }),
  });
  jsonLogger({ time: new Date().toISOString(), level: "info", msg: "scheduled work done", tasks: scheduled.data, report });
  return report;
}
