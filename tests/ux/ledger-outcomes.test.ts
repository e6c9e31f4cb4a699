/**
 * Numbers agents and customers act on, through the ledger's HTTP API: the payer pinned at a
 * ticket's first charge, the plan quote and a pro-rated first period, what expiry really takes,
 * unbilled time and removals recorded as what they are.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Plan, PlanQuote, TicketEntries, TicketPayer, Wallet, type LedgerConfigInput } from "../../src/contract/index.js";
import { atExpiry, creditsLostAtExpiry, planAssignmentOutlook, proratedAllocation } from "../../src/ledger/domain/plans.js";
import { backends, createTestLedger, DAY, type TestLedger } from "../helpers/ledger.js";

const CONFIG: LedgerConfigInput = {
  tiers: [{ key: "1-hour", label: "1-hour response", price: 250 }],
  plans: [
    { key: "business", name: "Business", creditsPerPeriod: 1000, period: "month", rollover: { type: "percent", max: 50 } },
    { key: "gold", name: "Gold", creditsPerPeriod: 3000, period: "month", overdraftLimit: 500 },
  ],
  time: { credits: 1, perMinutes: 1, incrementMinutes: 15, minimumMinutes: 0 },
};

describe("pro-rating a first period (pure)", () => {
  const plan = (period: Plan["period"], credits: number) => Plan.parse({ key: "p", name: "P", creditsPerPeriod: credits, period });

  it("gives the share of whole days left, counting today", () => {
    expect(proratedAllocation(plan("month", 3000), new Date("2026-11-01T09:00:00Z"))).toBe(3000);
    // 21 November: 10 of 30 days left.
    expect(proratedAllocation(plan("month", 3000), new Date("2026-11-21T15:00:00Z"))).toBe(1000);
    expect(proratedAllocation(plan("month", 3000), new Date("2026-11-30T23:00:00Z"))).toBe(100);
    expect(proratedAllocation(plan("week", 700), new Date("2026-11-26T00:00:00Z"))).toBe(400); // a Thursday
  });

  it("never gives more than a full period, and less as the period goes on", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Plan["period"]>("week", "month", "quarter", "year"),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2035-01-01T00:00:00Z"), noInvalidDate: true }),
        fc.integer({ min: 0, max: 40 * DAY }),
        (period, credits, at, later) => {
          const p = plan(period, credits);
          const now = proratedAllocation(p, at);
          expect(now).toBeGreaterThanOrEqual(0);
          expect(now).toBeLessThanOrEqual(credits);
          const then = new Date(at.getTime() + later);
          const sameDayOrLater = proratedAllocation(p, then);
          // Within one period the share only shrinks; a new period starts full again.
          if (planAssignmentOutlook(p, null, "full", at).nextTopUpAt!.getTime() > then.getTime()) expect(sameDayOrLater).toBeLessThanOrEqual(now);
        },
      ),
    );
  });

  it("starts next period for a bank that already had this period's allocation", () => {
    const p = plan("month", 1000);
    const outlook = planAssignmentOutlook(p, new Date("2026-11-01T00:00:00Z"), "prorated", new Date("2026-11-20T00:00:00Z"));
    expect(outlook).toMatchObject({ allocatedThisPeriod: true, creditsNow: 0, creditsNowExpireAt: null, nextTopUpCredits: 1000 });
    expect(outlook.nextTopUpAt?.toISOString()).toBe("2026-12-01T00:00:00.000Z");
  });
});

describe("lost and rolled over at expiry (pure)", () => {
  const business = Plan.parse(CONFIG.plans![0]);
  it("is one answer for the sidebar, the customer page and the notice", () => {
    const allocation = { source: "allocation", remaining: 800, expiresAt: new Date("2026-12-01T00:00:00Z") };
    expect(atExpiry(allocation, business)).toEqual({ lost: 300, rollsOver: 500 });
    expect(atExpiry(allocation, business)!.lost).toBe(creditsLostAtExpiry(allocation, business));
    expect(atExpiry({ ...allocation, source: "promo" }, business)).toEqual({ lost: 800, rollsOver: 0 });
    expect(atExpiry({ ...allocation, expiresAt: null }, business)).toBeNull();
  });
});

describe.each(backends())("what agents and customers see, on %s", (backend) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await createTestLedger(backend);
    ledger.clock.set("2026-11-21T10:00:00Z");
    expect((await ledger.call("PUT", "/v1/config", { body: CONFIG })).status).toBe(200);
  });
  afterAll(() => ledger.close());

  const wallet = async (owner: string) => Wallet.parse((await ledger.call("GET", `/v1/wallets/${owner}`)).body);
  const payer = async (ticket: string, person: string, org?: string) =>
    TicketPayer.parse((await ledger.call("GET", `/v1/tickets/${ticket}/payer?person=${person}${org ? `&org=${org}` : ""}`)).body);
  const grant = (owner: string, amount: number) => ledger.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount, reason: "Opening balance" } });

  it("pins a ticket's payer at its first charge: a plan on the person's own bank later doesn't move the ticket or its charges", async () => {
    await grant("org:500", 1000);
    expect((await payer("7001", "600", "500")).owner).toBe("org:500");
    const time = await ledger.call("POST", "/v1/wallets/org:500/debits", { body: { kind: "time", minutes: 30, ticketId: "7001", agent: "Grace" } });
    expect(time.status).toBe(201);

    // The person's own bank gets a plan: the rule would now pick it, but the ticket stays pinned.
    expect((await ledger.call("PUT", "/v1/wallets/person:600/plan", { body: { plan: "business" } })).status).toBe(200);
    const pinned = await payer("7001", "600", "500");
    expect(pinned.owner).toBe("org:500");
    expect(pinned.pin).toMatchObject({ owner: "org:500", how: "first_charge", agent: "Grace" });
    expect(pinned.rule).toEqual({ owner: "person:600", reason: "person_has_plan" });
    // A ticket without charges follows the rule.
    expect((await payer("7002", "600", "500")).owner).toBe("person:600");

    // An agent moves the ticket, with a reason; the earlier charge stays with the bank that paid it.
    const change = await ledger.call("PUT", "/v1/tickets/7001/payer", {
      body: { owner: "person:600", reason: "Ada pays for her own tickets from now on", agent: "Grace" },
      idempotencyKey: "move-7001",
    });
    expect(change.status).toBe(200);
    const replay = await ledger.call("PUT", "/v1/tickets/7001/payer", {
      body: { owner: "person:600", reason: "Ada pays for her own tickets from now on", agent: "Grace" },
      idempotencyKey: "move-7001",
    });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.text).toBe(change.text);
    const moved = await payer("7001", "600", "500");
    expect(moved.owner).toBe("person:600");
    expect(moved.pin).toMatchObject({ how: "agent", previousOwner: "org:500", note: "Ada pays for her own tickets from now on" });
    await ledger.call("POST", "/v1/wallets/person:600/debits", { body: { kind: "time", minutes: 15, ticketId: "7001" } });
    const charges = TicketEntries.parse((await ledger.call("GET", "/v1/tickets/7001/entries")).body);
    expect(charges.entries.map((e) => [e.owner, e.amount])).toEqual([
      ["org:500", -30],
      ["person:600", -15],
    ]);
    const bad = await ledger.call("PUT", "/v1/tickets/7001/payer", { body: { owner: "person:600", reason: "  " } });
    expect(bad.status).toBe(400);
  });

  it("quotes a plan before it is assigned, and allocates a pro-rated first period when asked", async () => {
    await grant("org:510", 10);
    const full = PlanQuote.parse((await ledger.call("POST", "/v1/wallets/org:510/plan-quote", { body: { plan: "gold" } })).body);
    expect(full).toMatchObject({ allocatedThisPeriod: false, creditsNow: 3000, fullPeriodCredits: 3000, proratedCredits: 1000, nextTopUpCredits: 3000 });
    expect(full.creditsNowExpireAt).toBe("2026-12-01T00:00:00.000Z");
    expect(full.nextTopUpAt).toBe("2026-12-01T00:00:00.000Z");
    const quoted = PlanQuote.parse((await ledger.call("POST", "/v1/wallets/org:510/plan-quote", { body: { plan: "gold", firstPeriod: "prorated" } })).body);
    expect(quoted.creditsNow).toBe(1000);
    expect((await wallet("org:510")).balance).toBe(10); // a quote writes nothing

    const assigned = await ledger.call("PUT", "/v1/wallets/org:510/plan", { body: { plan: "gold", firstPeriod: "prorated", agent: "Grace" } });
    expect(assigned.status).toBe(200);
    expect(Wallet.parse(assigned.body).balance).toBe(1010);
    // Touching the bank again doesn't add the full period on top.
    expect((await wallet("org:510")).balance).toBe(1010);
    const statement = (await ledger.call("GET", "/v1/wallets/org:510/entries")).body as { entries: Array<{ amount: number; reason: string }> };
    expect(statement.entries[0]).toMatchObject({ amount: 1000, reason: expect.stringContaining("pro-rated") });
    // Already allocated this period: a further change starts next period.
    const again = PlanQuote.parse((await ledger.call("POST", "/v1/wallets/org:510/plan-quote", { body: { plan: "business" } })).body);
    expect(again).toMatchObject({ allocatedThisPeriod: true, creditsNow: 0, nextTopUpCredits: 1000 });
    expect((await ledger.call("POST", "/v1/wallets/org:510/plan-quote", { body: { plan: "nope" } })).status).toBe(422);
  });

  it("says how much of an allocation expiry takes and how much rolls over", async () => {
    await ledger.call("PUT", "/v1/wallets/org:520/plan", { body: { plan: "business" } });
    await ledger.call("POST", "/v1/wallets/org:520/debits", { body: { kind: "manual", amount: 200, reason: "Consulting" } });
    const { grants } = await wallet("org:520");
    expect(grants[0]).toMatchObject({ source: "allocation", remaining: 800, atExpiry: { lost: 300, rollsOver: 500 } });
  });

  it("records time a short bank can't pay as unbilled: 0 credits, minutes kept, not counted towards the billed total", async () => {
    await grant("org:530", 20);
    const refused = await ledger.call("POST", "/v1/wallets/org:530/debits", { body: { kind: "time", minutes: 60, ticketId: "7030" } });
    expect(refused.status).toBe(409);
    const unbilled = await ledger.call("POST", "/v1/wallets/org:530/debits", { body: { kind: "unbilled", minutes: 60, ticketId: "7030", agent: "Grace" } });
    expect(unbilled.status).toBe(201);
    expect(unbilled.body.entry).toMatchObject({ kind: "unbilled", amount: 0, minutes: 60, balanceAfter: 20 });
    // 10 billed minutes later: priced on the billed total alone (15, not 75).
    const billed = await ledger.call("POST", "/v1/wallets/org:530/debits", { body: { kind: "time", minutes: 10, ticketId: "7030" } });
    expect(billed.body.entry.amount).toBe(-15);
    const totals = TicketEntries.parse((await ledger.call("GET", "/v1/tickets/7030/entries")).body).totals;
    expect(totals).toEqual({ net: 15, minutes: 10, unbilledMinutes: 60 });
    const csv = await ledger.call("GET", "/v1/wallets/org:530/entries", { headers: { accept: "text/csv" } });
    expect(csv.text).toMatch(/,unbilled,0,20,7030,60,/);
    // A quote over the balance says how much would come from the overdraft.
    await ledger.call("PUT", "/v1/wallets/org:531/plan", { body: { plan: "gold", firstPeriod: "prorated" } });
    const quote = await ledger.call("POST", "/v1/wallets/org:531/quote", { body: { kind: "manual", amount: 1200 } });
    expect(quote.body).toMatchObject({ insufficient: false, overdraft: 200, balanceAfter: -200 });
  });

  it("records Remove credits as a removal, refundable, and not a charge for work", async () => {
    await grant("org:540", 100);
    const removed = await ledger.call("POST", "/v1/wallets/org:540/debits", { body: { kind: "removal", amount: 40, reason: "Duplicate grant" } });
    expect(removed.status).toBe(201);
    expect(removed.body.entry).toMatchObject({ kind: "removal", amount: -40, ticketId: null, reason: "Duplicate grant" });
    const undone = await ledger.call("POST", `/v1/entries/${removed.body.entry.id}/reversal`, { body: { reason: "Removed by mistake" } });
    expect(undone.status).toBe(201);
    expect((await wallet("org:540")).balance).toBe(100);
  });

  it("filters a statement by days, ticket and kind, in JSON and CSV", async () => {
    await grant("org:550", 500);
    ledger.clock.advance(DAY);
    await ledger.call("POST", "/v1/wallets/org:550/debits", { body: { kind: "time", minutes: 30, ticketId: "7550" } });
    await ledger.call("POST", "/v1/wallets/org:550/debits", { body: { kind: "unbilled", minutes: 45, ticketId: "7551" } });
    const kinds = async (query: string) =>
      ((await ledger.call("GET", `/v1/wallets/org:550/entries?${query}`)).body as { entries: Array<{ kind: string }> }).entries.map((e) => e.kind);
    expect(await kinds("ticketId=7550")).toEqual(["time"]);
    expect(await kinds("kind=unbilled")).toEqual(["unbilled"]);
    const today = ledger.clock.now().toISOString().slice(0, 10);
    expect(await kinds(`from=${today}`)).toEqual(["unbilled", "time"]);
    expect(await kinds(`to=${new Date(ledger.clock.now().getTime() - DAY).toISOString().slice(0, 10)}`)).toEqual(["grant"]);
    const csv = await ledger.call("GET", "/v1/wallets/org:550/entries?kind=time", { headers: { accept: "text/csv" } });
    expect(csv.text.trim().split("\r\n")).toHaveLength(2);
    expect((await ledger.call("GET", "/v1/wallets/org:550/entries?from=yesterday")).status).toBe(400);
  });
});
