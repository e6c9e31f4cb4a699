/**
 * Vitest global setup (after postgres.ts): a PgBouncer in transaction mode in front of the run's
 * PostgreSQL database, for the suites that run through a pooler as serverless deployments do.
 *
 * PGBOUNCER_URL names one already running in front of DATABASE_URL's server (CI starts Debian's on
 * loopback; any database name must pass through to the server). Otherwise Debian's `pgbouncer` is
 * started for the run when installed. Without one the run fails under CI=true; locally it warns
 * loudly and only the pooler suites are skipped.
 */
import pg from "pg";
import type { TestProject } from "vitest/node";
import { hasPgBouncer, startPgBouncer, withDatabase } from "./pgbouncer.js";
import { loud } from "./postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's database through PgBouncer in transaction mode, or "" when there is none. */
    pgbouncerUrl: string;
  }
}

async function reachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function setup(project: TestProject) {
  const ci = process.env.CI === "true" || process.env.CI === "1";
  const databaseUrl = project.getProvidedContext().databaseUrl;
  project.provide("pgbouncerUrl", "");
  if (!databaseUrl) return undefined; // no PostgreSQL: postgres.ts has said so (or failed the run)
  const unavailable = (why: string) => {
    if (ci) throw new Error(`${why} Under CI=true the suites through PgBouncer must run, so the run fails.`);
    loud(
      `${why}\nThe suites through PgBouncer (transaction mode) are SKIPPED; everything else runs.\nInstall it (Debian: apt-get install -y pgbouncer) or set PGBOUNCER_URL.`,
    );
    return undefined;
  };
  const given = process.env.PGBOUNCER_URL;
  if (given) {
    const url = withDatabase(given, new URL(databaseUrl).pathname.slice(1));
    try {
      await reachable(url);
    } catch (error) {
      return unavailable(`PGBOUNCER_URL is unreachable (${(error as Error).message}).`);
    }
    project.provide("pgbouncerUrl", url);
    return undefined;
  }
  if (!hasPgBouncer()) return unavailable("PgBouncer is not installed and PGBOUNCER_URL is not set.");
  try {
    const bouncer = await startPgBouncer(databaseUrl);
    project.provide("pgbouncerUrl", bouncer.url);
    return () => bouncer.stop();
  } catch (error) {
    return unavailable(`PgBouncer did not start (${(error as Error).message}).`);
  }
}
