/**
 * Model test: random sequences of grants, debits, reversals and clock moves run against the real
 * service (over HTTP, on PGlite) and against a tiny in-memory reference written independently
 * here. After every step the balances agree; at the end so do every grant's remaining credits and
 * the replayed sum of the journal.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntryPage, Wallet } from "../../src/contract/index.js";
import { createTestLedger, DAY, type TestLedger } from "../helpers/ledger.js";

type Op =
  | { type: "grant"; wallet: number; amount: number; expiresInDays: number | null }
  | { type: "debit"; wallet: number; amount: number }
  | { type: "reverse"; pick: number }
  | { type: "advance"; days: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant("grant" as const),
      wallet: fc.nat(1),
      amount: fc.integer({ min: 1, max: 200 }),
      expiresInDays: fc.option(fc.integer({ min: 1, max: 20 }), { nil: null }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ type: fc.constant("debit" as const), wallet: fc.nat(1), amount: fc.integer({ min: 1, max: 150 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant("reverse" as const), pick: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant("advance" as const), days: fc.integer({ min: 1, max: 10 }) }) },
);

// ----- the reference ---------------------------------------------------------------------------

interface RefGrant {
  n: number;
  amount: number;
  remaining: number;
  expiresAt: number | null;
  createdAt: number;
  closed: boolean;
}
interface RefEntry {
  kind: "grant" | "debit" | "refund" | "void";
  wallet: number;
  amount: number;
  grant?: RefGrant;
  draws: { grant: RefGrant; amount: number }[];
  reversed: boolean;
}

class Reference {
  grants: RefGrant[][] = [[], []];
  balance = [0, 0];
  entries: RefEntry[] = [];
  private n = 0;
  constructor(private overdraftLimit: number) {}

  private live(g: RefGrant, now: number) {
    return !g.closed && (g.expiresAt === null || g.expiresAt > now);
  }
  /** Lapsed grants give up what they hold. */
  private settle(wallet: number, now: number) {
    for (const g of this.grants[wallet]!) {
      if (!g.closed && g.expiresAt !== null && g.expiresAt <= now) {
        this.balance[wallet]! -= g.remaining;
        g.remaining = 0;
        g.closed = true;
      }
    }
  }
  visibleBalance(wallet: number, now: number) {
    this.settle(wallet, now);
    return this.balance[wallet]!;
  }
  private newGrant(wallet: number, amount: number, expiresAt: number | null, now: number): RefGrant {
    const debt = Math.max(0, -this.balance[wallet]!);
    const g = { n: this.n++, amount, remaining: amount - Math.min(debt, amount), expiresAt, createdAt: now, closed: false };
    this.grants[wallet]!.push(g);
    return g;
  }
  grant(wallet: number, amount: number, expiresAt: number | null, now: number): RefEntry {
    this.settle(wallet, now);
    const g = this.newGrant(wallet, amount, expiresAt, now);
    this.balance[wallet]! += amount;
    const entry: RefEntry = { kind: "grant", wallet, amount, grant: g, draws: [], reversed: false };
    this.entries.push(entry);
    return entry;
  }
  debit(wallet: number, amount: number, now: number): RefEntry | "insufficient" {
    this.settle(wallet, now);
    if (this.balance[wallet]! - amount < -this.overdraftLimit) return "insufficient";
    const order = this.grants[wallet]!.filter((g) => this.live(g, now) && g.remaining > 0).sort(
      (a, b) => (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.createdAt - b.createdAt || a.n - b.n,
    );
    let left = amount;
    const draws: RefEntry["draws"] = [];
    for (const g of order) {
      const take = Math.min(left, g.remaining);
      if (take === 0) break;
      g.remaining -= take;
      left -= take;
      draws.push({ grant: g, amount: take });
    }
    this.balance[wallet]! -= amount;
    const entry: RefEntry = { kind: "debit", wallet, amount: -amount, draws, reversed: false };
    this.entries.push(entry);
    return entry;
  }
  reverse(entry: RefEntry, now: number): RefEntry | "not_reversible" | "already_reversed" | "nothing_to_reverse" {
    if (entry.kind === "refund" || entry.kind === "void") return "not_reversible";
    if (entry.reversed) return "already_reversed";
    const wallet = entry.wallet;
    this.settle(wallet, now);
    if (entry.kind === "grant") {
      const g = entry.grant!;
      if (g.closed || g.remaining === 0) return "nothing_to_reverse";
      const amount = g.remaining;
      g.remaining = 0;
      g.closed = true;
      this.balance[wallet]! -= amount;
      entry.reversed = true;
      const voided: RefEntry = { kind: "void", wallet, amount: -amount, draws: [], reversed: false };
      this.entries.push(voided);
      return voided;
    }
    const total = -entry.amount;
    let debt = Math.max(0, -this.balance[wallet]!);
    const restores = entry.draws.filter((d) => this.live(d.grant, now)).map((d) => ({ ...d }));
    let orphan = total - restores.reduce((s, d) => s + d.amount, 0);
    const repayFromOrphan = Math.min(debt, orphan);
    orphan -= repayFromOrphan;
    debt -= repayFromOrphan;
    for (const r of restores) {
      const take = Math.min(debt, r.amount);
      r.amount -= take;
      debt -= take;
      r.grant.remaining += r.amount;
    }
    if (orphan > 0) this.grants[wallet]!.push({ n: this.n++, amount: orphan, remaining: orphan, expiresAt: null, createdAt: now, closed: false });
    this.balance[wallet]! += total;
    entry.reversed = true;
    const refund: RefEntry = { kind: "refund", wallet, amount: total, draws: [], reversed: false };
    this.entries.push(refund);
    return refund;
  }
}

// ----- the run ---------------------------------------------------------------------------------

const OWNERS = ["org:1", "person:2"];

describe("the ledger against an in-memory reference", () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await createTestLedger("pglite");
  });
  afterAll(() => ledger.close());

  it("agrees on balances, grants and the journal for random sequences", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 60 }), fc.array(opArb, { minLength: 1, maxLength: 30 }), async (overdraftLimit, ops) => {
        const tenant = await ledger.newTenant();
        const call = (method: string, path: string, body?: unknown) => ledger.call(method, path, { key: tenant.apiKey, body });
        await call("PUT", "/v1/config", { plans: [{ key: "p", name: "P", overdraftLimit }], defaultPlan: "p" });
        ledger.clock.set("2026-01-01T00:00:00Z");
        const reference = new Reference(overdraftLimit);
        const serviceEntryIds = new Map<RefEntry, string>();
        const grantIds = new Map<RefGrant, string>();

        for (const op of ops) {
          const now = ledger.clock.now().getTime();
          if (op.type === "advance") {
            ledger.clock.advance(op.days * DAY);
            continue;
          }
          if (op.type === "grant") {
            const expiresAt = op.expiresInDays === null ? null : now + op.expiresInDays * DAY;
            const r = await call("POST", `/v1/wallets/${OWNERS[op.wallet]}/grants`, {
              amount: op.amount,
              reason: "model",
              ...(expiresAt === null ? {} : { expiresAt: new Date(expiresAt).toISOString() }),
            });
            expect(r.status).toBe(201);
            const entry = reference.grant(op.wallet, op.amount, expiresAt, now);
            serviceEntryIds.set(entry, r.body.entry.id);
            grantIds.set(entry.grant!, r.body.entry.grantId);
            expect(r.body.balance).toBe(reference.balance[op.wallet]);
          } else if (op.type === "debit") {
            const r = await call("POST", `/v1/wallets/${OWNERS[op.wallet]}/debits`, { kind: "manual", amount: op.amount, reason: "model" });
            const expected = reference.debit(op.wallet, op.amount, now);
            if (expected === "insufficient") {
              expect(r.status).toBe(409);
              expect(r.body.code).toBe("insufficient_credits");
            } else {
              expect(r.status).toBe(201);
              serviceEntryIds.set(expected, r.body.entry.id);
              expect(r.body.balance).toBe(reference.balance[op.wallet]);
            }
          } else {
            if (reference.entries.length === 0) continue;
            const target = reference.entries[op.pick % reference.entries.length]!;
            const r = await call("POST", `/v1/entries/${serviceEntryIds.get(target)}/reversal`, { reason: "model" });
            const expected = reference.reverse(target, now);
            if (typeof expected === "string") {
              expect(r.status).toBe(409);
              expect(r.body.code).toBe(expected);
            } else {
              expect(r.status).toBe(201);
              serviceEntryIds.set(expected, r.body.entry.id);
              expect(r.body.balance).toBe(reference.balance[target.wallet]);
              if (r.body.entry.grantId && expected.kind === "refund") {
                const refundGrant = reference.grants[target.wallet]!.at(-1)!;
                grantIds.set(refundGrant, r.body.entry.grantId);
              }
            }
          }
          for (const wallet of [0, 1]) {
            const w = Wallet.parse((await call("GET", `/v1/wallets/${OWNERS[wallet]}`)).body);
            expect(w.balance).toBe(reference.visibleBalance(wallet, ledger.clock.now().getTime()));
          }
        }

        const now = ledger.clock.now().getTime();
        for (const wallet of [0, 1]) {
          const w = Wallet.parse((await call("GET", `/v1/wallets/${OWNERS[wallet]}`)).body);
          const balance = reference.visibleBalance(wallet, now);
          expect(w.balance).toBe(balance);
          // every spendable grant holds what the reference says, and nothing else is spendable
          const expectedGrants = reference.grants[wallet]!.filter((g) => !g.closed && (g.expiresAt === null || g.expiresAt > now) && g.remaining > 0)
            .map((g) => ({ id: grantIds.get(g), remaining: g.remaining }))
            .sort((a, b) => String(a.id).localeCompare(String(b.id)));
          const actualGrants = w.grants.map((g) => ({ id: g.id, remaining: g.remaining })).sort((a, b) => a.id.localeCompare(b.id));
          expect(actualGrants).toEqual(expectedGrants);
          expect(w.grants.reduce((s, g) => s + g.remaining, 0)).toBe(Math.max(0, balance));
          // the journal replays to the balance, line by line
          const journal = EntryPage.parse((await call("GET", `/v1/wallets/${OWNERS[wallet]}/entries?limit=500`)).body).entries.reverse();
          let running = 0;
          for (const entry of journal) {
            running += entry.amount;
            expect(entry.balanceAfter).toBe(running);
          }
          expect(running).toBe(balance);
        }
      }),
      { numRuns: 60 },
    );
  }, 240_000);
});
