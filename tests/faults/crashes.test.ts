/**
 * Faults under a steady load of idempotent writes: the ledger process killed outright, one of two
 * processes sharing a PostgreSQL killed, PostgreSQL restarted, the embedded database's process
 * stopped and started. After each, every accepted
 * write is present exactly once and nothing is half-written.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/ledger/storage/db.js";
import { startLedgerProcess, type LedgerProcess } from "../helpers/ledger-process.js";
import { startEmbeddedPostgres, type EmbeddedServer } from "../setup/embedded-postgres.js";
import { startLoad } from "./load.js";
import { seedTenant } from "./seed.js";
import { verifyLedger, verifyReplays } from "./verify.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("faults on PostgreSQL", () => {
  let postgres: EmbeddedServer;
  beforeAll(async () => {
    // Its own server (not the shared test one): these tests stop and start it.
    postgres = await startEmbeddedPostgres({ durable: true });
  });
  afterAll(() => postgres?.stop());

  it("loses and doubles nothing when the ledger process is SIGKILLed mid-load and restarted", async () => {
    const tenant = await seedTenant({ databaseUrl: postgres.url });
    let ledger: LedgerProcess = await startLedgerProcess({ DATABASE_URL: postgres.url });
    const port = ledger.port;
    const load = startLoad(() => ledger.url, tenant.apiKey, { clients: 6, runId: "kill" });
    await load.acknowledged(15);
    await ledger.kill();
    await sleep(300);
    const beforeRestart = load.report.acknowledged.length;
    ledger = await startLedgerProcess({ DATABASE_URL: postgres.url }, { port });
    await load.acknowledged(beforeRestart + 15);
    const report = await load.stop();
    try {
      expect(report.acknowledged.length).toBeGreaterThan(20);
      expect(report.failures.some((f) => f.status === "network")).toBe(true);
      expect(report.failures.filter((f) => f.status !== "network" && f.status !== 503)).toEqual([]);
      expect(report.refused).toBe(0);
      const db = await openDatabase({ databaseUrl: postgres.url, poolSize: 2 });
      try {
        await verifyLedger(db, tenant.tenantId, report.acknowledged, tenant.seedKeys);
      } finally {
        await db.close();
      }
      await verifyReplays(ledger.url, tenant.apiKey, report.acknowledged);
    } finally {
      expect(await ledger.stop()).toBe(0);
    }
  }, 120_000);

  it("loses and doubles nothing when one of two ledger processes on one PostgreSQL is SIGKILLed mid-load; the other carries on", async () => {
    const tenant = await seedTenant({ databaseUrl: postgres.url });
    const env = { DATABASE_URL: postgres.url, LEDGER_SCHEDULER: "off" };
    const [doomed, survivor] = await Promise.all([startLedgerProcess(env), startLedgerProcess(env)]);
    // A load balancer: requests alternate between the processes until one stops answering, then go to the other.
    let upstreams = [doomed.url, survivor.url];
    let turn = 0;
    const load = startLoad(() => upstreams[turn++ % upstreams.length]!, tenant.apiKey, { clients: 6, runId: "two" });
    try {
      await sleep(1500);
      const beforeKill = load.report.acknowledged.length;
      await doomed.kill();
      await sleep(300); // the balancer's health check notices
      upstreams = [survivor.url];
      await sleep(1500);
      const report = await load.stop();
      const answeredBy = (url: string) => report.acknowledged.filter((a) => a.via === url).length;
      expect(answeredBy(doomed.url)).toBeGreaterThan(5);
      expect(answeredBy(survivor.url)).toBeGreaterThan(5);
      expect(report.acknowledged.length).toBeGreaterThan(beforeKill + 5);
      expect(report.failures.some((f) => f.status === "network")).toBe(true);
      expect(report.failures.filter((f) => f.status !== "network")).toEqual([]);
      expect(report.refused).toBe(0);
      const db = await openDatabase({ databaseUrl: postgres.url, poolSize: 2 });
      try {
        await verifyLedger(db, tenant.tenantId, report.acknowledged, tenant.seedKeys);
      } finally {
        await db.close();
      }
      // Writes the killed process acknowledged replay from the survivor: the keys are in the database, not the process.
      await verifyReplays(
        survivor.url,
        tenant.apiKey,
        report.acknowledged.filter((a) => a.via === doomed.url),
      );
    } finally {
      await load.stop(); // when an expectation failed mid-way
      expect(await survivor.stop()).toBe(0);
    }
  }, 120_000);

  it("waits for a database that is down when it starts, instead of exiting, and serves once it is back", async () => {
    const tenant = await seedTenant({ databaseUrl: postgres.url });
    await postgres.halt();
    const starting = startLedgerProcess({ DATABASE_URL: postgres.url, LEDGER_SCHEDULER: "off" });
    let ledger: LedgerProcess | undefined;
    let resumed = false;
    try {
      await sleep(2_500);
      await postgres.resume();
      resumed = true;
      ledger = await starting;
      expect(ledger.output()).toContain("database unreachable at start; waiting");
      expect(ledger.output()).not.toMatch(/postgres:\/\/|password/i);
      const grant = await fetch(`${ledger.url}/v1/wallets/org:1/grants`, {
        method: "POST",
        headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json", "idempotency-key": "after-start" },
        body: JSON.stringify({ amount: 5, reason: "after the database came back" }),
      });
      expect(grant.status).toBe(201);
    } finally {
      if (!resumed) await postgres.resume();
      if (ledger) expect(await ledger.stop()).toBe(0);
    }
  }, 120_000);

  it("answers 503 with Retry-After while PostgreSQL restarts, recovers by itself, and loses nothing", async () => {
    const tenant = await seedTenant({ databaseUrl: postgres.url });
    const ledger = await startLedgerProcess({ DATABASE_URL: postgres.url });
    const load = startLoad(() => ledger.url, tenant.apiKey, { clients: 6, runId: "restart" });
    try {
      await sleep(1200);
      await postgres.halt();
      await sleep(1500);
      await postgres.resume();
      const acknowledgedAtResume = load.report.acknowledged.length;
      await sleep(2000);
      const report = await load.stop();
      expect(report.acknowledged.length).toBeGreaterThan(acknowledgedAtResume);
      const during = report.failures.filter((f) => f.status !== "network");
      expect(during.length).toBeGreaterThan(0);
      for (const failure of during) {
        expect(failure.status).toBe(503);
        expect(failure.retryAfter).toBe("2");
        expect(failure.contentType).toContain("application/problem+json");
        expect(JSON.parse(failure.body).code).toBe("service_unavailable");
        expect(failure.body).not.toMatch(/\bat \S+:\d+|postgres:|password/i);
      }
      expect(report.refused).toBe(0);
      const db = await openDatabase({ databaseUrl: postgres.url, poolSize: 2 });
      try {
        await verifyLedger(db, tenant.tenantId, report.acknowledged, tenant.seedKeys);
      } finally {
        await db.close();
      }
      await verifyReplays(ledger.url, tenant.apiKey, report.acknowledged);
      expect(ledger.output()).not.toMatch(/postgres:\/\/|password/i);
    } finally {
      expect(await ledger.stop()).toBe(0);
    }
  }, 120_000);
});

describe("faults on the embedded database (PGlite)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "faults-pglite-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("loses and doubles nothing when the process is stopped and started mid-load with its data folder", async () => {
    const tenant = await seedTenant({ dataDir });
    const env = { LEDGER_DATA_DIR: dataDir, DATABASE_URL: "" };
    let ledger = await startLedgerProcess(env);
    const port = ledger.port;
    const load = startLoad(() => ledger.url, tenant.apiKey, { clients: 4, runId: "pglite" });
    await load.acknowledged(15);
    expect(await ledger.stop()).toBe(0);
    const beforeRestart = load.report.acknowledged.length;
    ledger = await startLedgerProcess(env, { port });
    await load.acknowledged(beforeRestart + 15);
    const report = await load.stop();
    await verifyReplays(ledger.url, tenant.apiKey, report.acknowledged);
    expect(await ledger.stop()).toBe(0);
    expect(report.acknowledged.length).toBeGreaterThan(20);
    expect(report.refused).toBe(0);
    const db = await openDatabase({ dataDir });
    try {
      await verifyLedger(db, tenant.tenantId, report.acknowledged, tenant.seedKeys);
    } finally {
      await db.close();
    }
  }, 120_000);
});
