/**
 * The same fetch handler on AWS Lambda (behind API Gateway or a function URL). Build with any
 * bundler (for example `esbuild src/ledger/adapters/aws-lambda.ts --bundle --platform=node
 * --format=esm --outfile=dist/lambda.mjs`) and set DATABASE_URL to a PostgreSQL server (Neon, RDS,
 * Supabase…). PGlite is not used here: a function's disk is not durable.
 *
 * The service keeps no state between requests beyond the pool and small caches, so any number of
 * function instances can run side by side; the database serialises what must be serialised.
 */
import { handle } from "hono/aws-lambda";
import { createLedgerApp } from "../http/app.js";
import { openDatabase } from "../storage/db.js";
import { migrate } from "../storage/migrations.js";

type LambdaHandler = ReturnType<typeof handle>;

let ready: Promise<LambdaHandler> | undefined;

/** One pool per warm instance, opened on the first request; a failed start is retried on the next. */
function instance(): Promise<LambdaHandler> {
  ready ??= (async () => {
    const databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) throw new Error("DATABASE_URL must name a PostgreSQL server");
    // A handful of connections per instance: instances multiply, the server's connection limit doesn't.
    const db = await openDatabase({ databaseUrl, poolSize: Number(process.env.LEDGER_POOL_SIZE ?? 2) });
    if (process.env.LEDGER_MIGRATE_ON_START !== "false") await migrate(db);
    return handle(createLedgerApp({ db, signup: process.env.LEDGER_SIGNUP !== "off" }));
  })().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}

export const handler: LambdaHandler = async (event, context) => (await instance())(event, context);
