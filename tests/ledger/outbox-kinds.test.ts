/**
 * Outbox kinds are declared once (name, payload schema, whom they call) and used as values: an
 * enqueue names the kind itself and its payload is the kind's, so a kind nobody declared or a
 * wrong payload doesn't compile (the `@ts-expect-error` lines below, checked by
 * `npm run typecheck` through tsconfig.test.json: were any of them accepted, the directive itself
 * would be the error). At run time, a payload read back from the database is parsed with its
 * kind's schema before the handler sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { composeLedger } from "../../src/ledger/compose.js";
import { drainOutbox, enqueueJob, handle, outboxHandlers, outboxKind, type DeliveryContext } from "../../src/ledger/core/outbox.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { alertWebhookJob } from "../../src/ledger/features/alerts.js";
import { portalJob } from "../../src/ledger/features/portal-tiers.js";
import type { Database, Sql } from "../../src/ledger/storage/db.js";
import * as outbox from "../../src/ledger/storage/outbox.js";
import { openTestDatabase } from "../helpers/ledger.js";

/** Never run: what the compiler refuses. */
export async function refusedAtCompileTime(sql: Sql, context: DeliveryContext): Promise<void> {
  const job = { tenantId: "t", dedupeKey: "k", now: new Date() };
  await enqueueJob(sql, portalJob, { ...job, payload: { job: "reconcile", ticketId: "1" } }); // what compiles

  // @ts-expect-error a kind is a declared kind, never a string
  await enqueueJob(sql, "portal.job", { ...job, payload: { job: "reconcile", ticketId: "1" } });
  // @ts-expect-error a misspelt kind is a name that doesn't exist
  await enqueueJob(sql, portalJbo, { ...job, payload: { job: "reconcile", ticketId: "1" } });
  // @ts-expect-error the payload's fields are the kind's (ticketId, not ticket)
  await enqueueJob(sql, portalJob, { ...job, payload: { job: "reconcile", ticket: "1" } });
  // @ts-expect-error and so are their values ("reconcile" or "sla")
  await enqueueJob(sql, portalJob, { ...job, payload: { job: "reconsile", ticketId: "1" } });
  // @ts-expect-error another kind's payload is not this kind's
  await enqueueJob(sql, alertWebhookJob, { ...job, payload: { job: "reconcile", ticketId: "1" } });
  handle(portalJob, async (payload) => {
    // @ts-expect-error a handler gets its kind's payload, typed
    void payload.ticketNumber;
  });
  await handle(portalJob, async (payload) => void payload.ticketId.trim()).deliver({ job: "sla", ticketId: "1" }, context);
}

const echoJob = outboxKind("test.echo", z.object({ n: z.int() }), "helpdesk");

describe("outbox kinds", () => {
  let db: Database;
  let tenantId: string;
  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    tenantId = (await createTenant(db, { name: "outbox-kinds" })).tenantId;
  });
  afterAll(() => db.close());

  it("hands a handler its payload as the kind's schema parsed it, and fails a row whose payload doesn't parse without calling it", async () => {
    const seen: unknown[] = [];
    const handlers = outboxHandlers([handle(echoJob, async (payload) => void seen.push(payload))]);
    const now = new Date();
    const good = await enqueueJob(db, echoJob, { tenantId, dedupeKey: "good", payload: { n: 7 }, now });
    expect(good.added).toBe(true);
    expect(await enqueueJob(db, echoJob, { tenantId, dedupeKey: "good", payload: { n: 8 }, now })).toEqual({ id: good.id, added: false });
    // Rows as an older version, or a hand in the database, might have left them.
    const bad = await outbox.enqueue(db, { id: "obx_bad", tenantId, kind: "test.echo", dedupeKey: "bad", payload: { n: "7" }, now });
    const unknown = await outbox.enqueue(db, { id: "obx_unknown", tenantId, kind: "test.ecko", dedupeKey: "unknown", payload: { n: 7 }, now });

    const result = await drainOutbox({ db, clock: () => new Date(), afterPost: [] }, { handlers: async () => handlers }, { tenantId });
    expect(result).toMatchObject({ delivered: 1, failed: 2, retrying: 0 });
    expect(seen).toEqual([{ n: 7 }]);
    expect(await outbox.findRow(db, tenantId, good.id)).toMatchObject({ state: "done" });
    expect(await outbox.findRow(db, tenantId, bad)).toMatchObject({ state: "failed", lastError: "the payload is not a test.echo payload (n: invalid_type)" });
    expect(await outbox.findRow(db, tenantId, unknown)).toMatchObject({ state: "failed", lastError: "no handler for test.ecko" });
  });

  it("refuses a kind handled twice, and the ledger handles every kind its features declare, each against its breaker", async () => {
    expect(() => outboxHandlers([handle(echoJob, async () => undefined), handle(echoJob, async () => undefined)])).toThrow(
      "two handlers for the outbox kind test.echo",
    );
    const composed = await composeLedger({ db }).outboxHandlers();
    const targets = Object.fromEntries([...composed.values()].map((h) => [h.kind.name, h.kind.target]));
    expect(targets).toEqual({
      "deskpro.set_priority": "helpdesk",
      "deskpro.message": "helpdesk",
      "portal.job": "helpdesk",
      "alert.deskpro": "helpdesk",
      "alert.webhook": "webhooks",
      "deskpro.billing_read": "helpdesk",
      "deskpro.time_log_write": "helpdesk",
      "deskpro.time_log_remove": "helpdesk",
      "recharge.charge": "stripe",
      "recharge.notice": "helpdesk",
    });
  });
});
