/**
 * Concurrency on a real PostgreSQL server: many requests at the same moment, each in its own
 * connection and transaction, as on a busy production service. The same again through PgBouncer
 * in transaction mode, as serverless deployments reach their database: there each transaction may
 * run on another server connection, and more clients than server connections wait in line.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntryPage, Wallet } from "../../src/contract/index.js";
import { backendName, createTestLedger, openTestDatabase, serverBackends, type TestLedger } from "../helpers/ledger.js";

for (const backend of ["postgres", "pgbouncer"] as const)
  describe.skipIf(!serverBackends().includes(backend))(`concurrency on ${backendName(backend)}`, () => {
    let ledger: TestLedger;
    beforeAll(async () => {
      ledger = await createTestLedger(backend, { db: await openTestDatabase(backend, 50) });
    });
    afterAll(() => ledger.db.close());

    /**
     * A request as a well-behaved client sends it: one Idempotency-Key for the action, sent again
     * after a 503 (a burst bigger than the connection pool may wait past the pool's connect timeout
     * on a busy machine). Whatever the timing, the action's outcome is then its first real answer.
     */
    const send = async (path: string, body: unknown, idempotencyKey: string = randomUUID()) => {
      for (let attempt = 1; ; attempt++) {
        const result = await ledger.call("POST", path, { body, idempotencyKey });
        if (result.status !== 503 || attempt === 20) return result;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    };

    const journal = async (owner: string) => EntryPage.parse((await ledger.call("GET", `/v1/wallets/${owner}/entries?limit=500`)).body).entries;

    it("lets exactly 50 of 200 simultaneous debits of 10 through a bank of 500, never below zero", async () => {
      const owner = "org:9001";
      expect((await ledger.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount: 500, reason: "bank" } })).status).toBe(201);
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => send(`/v1/wallets/${owner}/debits`, { kind: "manual", amount: 10, reason: `debit ${i}` })),
      );
      const ok = results.filter((r) => r.status === 201);
      const refused = results.filter((r) => r.status === 409);
      expect(ok).toHaveLength(50);
      expect(refused).toHaveLength(150);
      expect(refused.every((r) => r.body.code === "insufficient_credits")).toBe(true);
      // each success saw a distinct balance on the way down: serialised, no lost update, none negative
      expect(ok.map((r) => r.body.balance as number).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i * 10));
      const wallet = Wallet.parse((await ledger.call("GET", `/v1/wallets/${owner}`)).body);
      expect(wallet.balance).toBe(0);
      const entries = await journal(owner);
      expect(entries).toHaveLength(51);
      expect(entries.reduce((sum, e) => sum + e.amount, 0)).toBe(0);
      expect(entries.every((e) => e.balanceAfter >= 0)).toBe(true);
      const [cached] = await ledger.db.query<{ balance: number }>("SELECT balance FROM wallets WHERE tenant_id = $1 AND owner = $2", [ledger.tenantId, owner]);
      expect(cached?.balance).toBe(0);
    });

    it("writes once for 200 simultaneous identical requests with one Idempotency-Key, and all get the same answer", async () => {
      const owner = "org:9002";
      await ledger.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount: 500, reason: "bank" } });
      const results = await Promise.all(
        Array.from({ length: 200 }, () => send(`/v1/wallets/${owner}/debits`, { kind: "manual", amount: 10, reason: "once" }, "one-action")),
      );
      expect(results.every((r) => r.status === 201)).toBe(true);
      expect(new Set(results.map((r) => r.text)).size).toBe(1);
      expect(results.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(199);
      const entries = await journal(owner);
      expect(entries.filter((e) => e.kind === "manual")).toHaveLength(1);
      expect(Wallet.parse((await ledger.call("GET", `/v1/wallets/${owner}`)).body).balance).toBe(490);
    });

    it("reverses an entry once when many reversals race", async () => {
      const owner = "org:9003";
      await ledger.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount: 100, reason: "bank" } });
      const debit = await ledger.call("POST", `/v1/wallets/${owner}/debits`, { body: { kind: "manual", amount: 60, reason: "x" } });
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => send(`/v1/entries/${debit.body.entry.id}/reversal`, { reason: `refund ${i}` })));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 409 && r.body.code === "already_reversed")).toHaveLength(39);
      expect(Wallet.parse((await ledger.call("GET", `/v1/wallets/${owner}`)).body).balance).toBe(100);
    });

    it("keeps time charges right when one ticket is logged from many places at once", async () => {
      const owner = "org:9004";
      await ledger.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount: 10_000, reason: "bank" } });
      // default rate: 1 credit a minute in 15-minute steps; 40 × 7 minutes = 280 minutes → 285 credits
      await Promise.all(Array.from({ length: 40 }, () => send(`/v1/wallets/${owner}/debits`, { kind: "time", minutes: 7, ticketId: "77" })));
      const ticket = await ledger.call("GET", "/v1/tickets/77/entries");
      expect(ticket.body.totals).toEqual({ net: 285, minutes: 280, unbilledMinutes: 0 });
    });
  });
