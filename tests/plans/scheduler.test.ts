/**
 * The long-running ledger's own hourly sweep: every tenant's banks are allocated for the new
 * period without anyone touching them, and one tenant's failure doesn't stop the others.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, LedgerConfig } from "../../src/contract/index.js";
import { allocateEveryTenant } from "../../src/ledger/cron.js";
import { startScheduler } from "../../src/ledger/scheduler.js";
import { composeLedger } from "../../src/ledger/compose.js";
import * as service from "../../src/ledger/core/wallets.js";
import type { Database } from "../../src/ledger/storage/db.js";
import * as repo from "../../src/ledger/storage/wallets.js";
import { createTenant, resumeTenant, suspendTenant } from "../../src/ledger/core/tenants.js";
import { openTestDatabase, TestClock } from "../helpers/ledger.js";

const CONFIG = LedgerConfig.parse({ tiers: DEFAULT_CONFIG.tiers, plans: [{ key: "monthly", name: "Monthly", creditsPerPeriod: 100 }] });
const key = () => ({ scope: "client" as const, key: randomUUID(), requestHash: randomUUID() });

describe("the in-process scheduler (PGlite)", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase("pglite");
  });
  afterAll(() => db.close());

  it("allocates every tenant's banks for the new period without a touch", async () => {
    const clock = new TestClock(new Date("2026-01-15T00:00:00.000Z"));
    const ledger = composeLedger({ db, clock: clock.now });
    const ctx = ledger.context;
    const tenants: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { tenantId } = await createTenant(db, { name: `sweep-${randomUUID()}` });
      await service.putConfig(ctx, tenantId, CONFIG, null);
      await service.assignPlan(ctx, tenantId, "org:1", { plan: "monthly" }, key());
      await service.getWallet(ctx, tenantId, "org:1"); // January
      tenants.push(tenantId);
    }
    clock.set("2026-02-01T00:05:00.000Z");
    const errors: unknown[] = [];
    const scheduler = startScheduler(ledger, { firstRunMs: 0, intervalMs: 60_000, onError: (e) => errors.push(e) });
    try {
      await expect
        .poll(async () => Promise.all(tenants.map(async (t) => (await repo.findWallet(db, t, "org:1"))?.allocatedFrom?.toISOString())), { timeout: 10_000 })
        .toEqual(tenants.map(() => "2026-02-01T00:00:00.000Z"));
    } finally {
      await scheduler.stop();
    }
    expect(errors).toEqual([]);
    for (const t of tenants) {
      const page = await service.getStatement(ctx, t, "org:1", 10, undefined);
      // January's unused 100 expired and February's 100 arrived: once each.
      expect(page.entries.map((e) => `${e.kind} ${e.amount}`).reverse()).toEqual(["grant 100", "expiry -100", "grant 100"]);
    }
  });

  it("gives each tenant its time budget: a tenant with many banks stops there and goes on next run, the others are done; suspended tenants wait", async () => {
    // A database of its own: the sweep goes over every tenant.
    const db = await openTestDatabase("pglite");
    const clock = new TestClock(new Date("2026-03-10T00:00:00.000Z"));
    const ledger = composeLedger({ db, clock: clock.now });
    const ctx = ledger.context;
    const made = async (banks: number) => {
      const { tenantId } = await createTenant(db, { name: `budget-${randomUUID()}` });
      await service.putConfig(ctx, tenantId, CONFIG, null);
      for (let i = 1; i <= banks; i++) {
        await service.assignPlan(ctx, tenantId, `org:${i}`, { plan: "monthly" }, key());
        await service.getWallet(ctx, tenantId, `org:${i}`); // March
      }
      return tenantId;
    };
    const big = await made(3);
    const small = await made(1);
    const paused = await made(1);
    await suspendTenant(db, paused);
    clock.set("2026-04-01T00:05:00.000Z");
    const allocatedApril = async (tenantId: string, banks: number) => {
      let n = 0;
      for (let i = 1; i <= banks; i++) if ((await repo.findWallet(db, tenantId, `org:${i}`))?.allocatedFrom?.toISOString() === "2026-04-01T00:00:00.000Z") n++;
      return n;
    };

    // A budget of nothing: each tenant gets one bank done per run, one tenant at a time.
    const first = await allocateEveryTenant(ledger, { sweepBudgetMs: 0, sweepTenantsAtOnce: 1 });
    expect(first.failedTenants).toEqual([]);
    expect(first.overBudgetTenants).toEqual([big]);
    expect(await allocatedApril(big, 3)).toBe(1);
    expect(await allocatedApril(small, 1)).toBe(1); // not held up behind the big tenant
    expect(await allocatedApril(paused, 1)).toBe(0);

    const second = await allocateEveryTenant(ledger, { sweepBudgetMs: 0, sweepTenantsAtOnce: 1 });
    expect(second.overBudgetTenants).toEqual([big]);
    expect(await allocatedApril(big, 3)).toBe(2);
    const third = await allocateEveryTenant(ledger, { sweepTenantsAtOnce: 2 });
    expect(third.overBudgetTenants).toEqual([]);
    expect(await allocatedApril(big, 3)).toBe(3);
    expect(await allocatedApril(paused, 1)).toBe(0);

    await resumeTenant(db, paused);
    await allocateEveryTenant(ledger);
    expect(await allocatedApril(paused, 1)).toBe(1);
    await db.close();
  });
});
