/**
 * Vitest global setup: a real PostgreSQL for the tests that need one.
 *
 * DATABASE_URL names a server to use (CI starts Debian's PostgreSQL on loopback); otherwise an
 * embedded server is started for the run. A fresh database is created for every run and dropped
 * after. When no server can be had the run fails under CI=true; locally it warns loudly and the
 * PostgreSQL suites are skipped (PGlite suites still run).
 */
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type EmbeddedServer } from "./embedded-postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export const loud = (text: string) => console.warn(`\n${"!".repeat(78)}\n${text}\n${"!".repeat(78)}\n`);

export default async function setup(project: TestProject) {
  const ci = process.env.CI === "true" || process.env.CI === "1";
  let embedded: EmbeddedServer | undefined;
  let adminUrl = process.env.DATABASE_URL;
  try {
    if (!adminUrl) {
      embedded = await startEmbeddedPostgres();
      adminUrl = embedded.url;
    }
    const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
    await admin.connect();
    const name = `ledger_test_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    project.provide("databaseUrl", url.toString());
    return async () => {
      const cleanup = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
      try {
        await cleanup.connect();
        await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } catch {
        // the server may already be gone; nothing to clean
      } finally {
        await cleanup.end().catch(() => undefined);
        await embedded?.stop();
      }
    };
  } catch (error) {
    await embedded?.stop().catch(() => undefined);
    const why = `PostgreSQL is unreachable (${error instanceof Error ? error.message : String(error)}).`;
    if (ci) throw new Error(`${why} Under CI=true the PostgreSQL tests must run, so the run fails.`);
    loud(`${why}\nThe PostgreSQL test suites are SKIPPED. Set DATABASE_URL to a server, or fix embedded-postgres.`);
    project.provide("databaseUrl", "");
    return undefined;
  }
}
