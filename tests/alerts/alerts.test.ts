/**
 * Low-balance alerts: fired exactly at crossings (a property, against a reference), delivered
 * through the outbox to the right ticket and to signed webhooks, retried and never doubled.
 */
import fc from "fast-check";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AlertEvent, AlertSettings, AlertWebhookTest, AllocationRun, OutboxPage, Wallet, WebhookTestEvent } from "../../src/contract/index.js";
import { alertTransitions } from "../../src/ledger/domain/alerts.js";
import { createPortalHarness, portalHelpdesk, type PortalHarness } from "../portal/harness.js";

/** The reference: per level, below or not; an event on each step from above to below, recovered when all clear. */
function reference(levels: number[], balances: number[]) {
  const all = [...new Set([...levels.filter((l) => l > 0), 0])];
  const below = new Map(all.map((l) => [l, false]));
  const events: string[] = [];
  for (const balance of balances) {
    const wasAny = [...below.values()].some(Boolean);
    for (const l of all) {
      const now = balance <= l;
      if (now && !below.get(l)) events.push(l === 0 ? "depleted:0" : `low:${l}`);
      below.set(l, now);
    }
    if (wasAny && ![...below.values()].some(Boolean)) events.push("recovered");
  }
  return events;
}

describe("alert crossings", () => {
  it("fire exactly when a level is crossed downwards, once until recovered", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 500 }), { maxLength: 4 }),
        fc.array(fc.integer({ min: -100, max: 600 }), { maxLength: 40 }),
        (levels, balances) => {
          let fired: number[] = [];
          const events: string[] = [];
          for (const balance of balances) {
            const step = alertTransitions(levels, fired, balance);
            fired = step.fired;
            for (const e of step.events)
              events.push(e.type === "balance.recovered" ? "recovered" : `${e.type === "balance.depleted" ? "depleted" : "low"}:${e.level}`);
          }
          expect(events.sort()).toEqual(reference(levels, balances).sort());
        },
      ),
      { numRuns: 300 },
    );
  });
});

const deskpro = portalHelpdesk();
const received: { body: string; headers: Record<string, string> }[] = [];
let failNext = 0;
const server = setupServer(
  ...deskpro.handlers(),
  http.post("https://hooks.example.test/credits", async ({ request }) => {
    received.push({ body: await request.text(), headers: Object.fromEntries(request.headers) });
    if (failNext > 0) {
      failNext--;
      return HttpResponse.json({ error: "busy" }, { status: 500 });
    }
    return HttpResponse.json({ ok: true });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

describe("alerts through the ledger (PGlite)", () => {
  let h: PortalHarness;
  const secret = `whsec_${randomBytes(24).toString("base64")}`;
  let seq = 0;
  beforeEach(async () => {
    h = await createPortalHarness("pglite");
    received.length = 0;
    failNext = 0;
    const config = await h.call("PUT", "/v1/config", {
      body: {
        alerts: {
          levels: [
            { type: "credits", value: 100 },
            { type: "credits", value: 50 },
          ],
        },
      },
    });
    expect(config.status).toBe(200);
    const saved = await h.call("PUT", "/v1/alerts/settings", { body: { webhooks: [{ id: "ops", url: "https://hooks.example.test/credits", secret }] } });
    expect(saved.status).toBe(200);
    expect(AlertSettings.parse(saved.body).webhooks).toEqual([{ id: "ops", url: "https://hooks.example.test/credits", secretSet: true }]);
    expect(saved.text).not.toContain(secret.slice(6));
  });
  afterEach(() => h.close());

  const ids = () => {
    seq++;
    return { org: 3000 + seq, ticket: 7000 + seq, person: 4000 + seq };
  };
  const grant = (owner: string, amount: number) => h.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount, reason: "top-up" } });
  const debit = (owner: string, amount: number, ticketId?: number) =>
    h.call("POST", `/v1/wallets/${owner}/debits`, { body: { kind: "manual", amount, reason: "work", ...(ticketId ? { ticketId: String(ticketId) } : {}) } });
  const alertRows = async (kind: string) => OutboxPage.parse((await h.call("GET", `/v1/outbox?kind=${kind}&limit=200`)).body).items;
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      const r = await h.drain();
      if (r.remaining === 0 && r.retrying === 0) return;
      h.clock.advance(10 * 60_000);
    }
  };

  it("tells the customer and the agents on the ticket whose charge crossed the level, once", async () => {
    const { org, ticket, person } = ids();
    deskpro.addTicket({ id: ticket, person, organization: org });
    deskpro.addTicket({ id: ticket + 500, person, organization: org }); // newer, but not the one charged
    expect((await grant(`org:${org}`, 300)).status).toBe(201);
    expect((await debit(`org:${org}`, 180, ticket)).status).toBe(201); // 120: above both levels
    expect(await alertRows("alert.deskpro")).toHaveLength(0);
    expect((await debit(`org:${org}`, 30, ticket)).status).toBe(201); // 90: crosses 100
    expect((await debit(`org:${org}`, 10, ticket)).status).toBe(201); // 80: no new crossing
    await settle();
    const customer = deskpro.messagesOn(ticket, "reply");
    expect(customer).toHaveLength(1);
    expect(customer[0]!.message).toContain("running low: 90 credits left");
    // Without a public address for the ledger, {link} is the portal settings' buy URL.
    expect(customer[0]!.message).toContain('<a href="https://billing.example.test/buy">');
    expect(deskpro.messagesOn(ticket, "note").map((n) => n.message)).toEqual([expect.stringContaining("running low: 90 credits left (alert level 100)")]);
    expect(deskpro.messagesOn(ticket + 500)).toHaveLength(0);
    // Draining again delivers nothing twice.
    await settle();
    expect(deskpro.messagesOn(ticket, "reply")).toHaveLength(1);
  });

  it("uses the customer's newest open ticket when no ticket caused it, and fires again only after recovering", async () => {
    const { org, ticket, person } = ids();
    deskpro.addTicket({ id: ticket, person, organization: org, status: "resolved" });
    deskpro.addTicket({ id: ticket + 500, person, organization: org });
    await grant(`org:${org}`, 120);
    await debit(`org:${org}`, 30); // 90 → low
    await grant(`org:${org}`, 100); // 190 → recovered
    await debit(`org:${org}`, 100); // 90 → low again
    await settle();
    const types = (await alertRows("alert.deskpro")).length;
    expect(types).toBe(3);
    expect(deskpro.messagesOn(ticket + 500, "reply")).toHaveLength(2);
    expect(deskpro.messagesOn(ticket, "reply")).toHaveLength(0);
  });

  it("counts a pending ticket as open", async () => {
    const { org, ticket, person } = ids();
    deskpro.addTicket({ id: ticket, person, organization: org, status: "pending" });
    const posted = deskpro.count("postTicket");
    await grant(`org:${org}`, 120);
    await debit(`org:${org}`, 30); // 90 → low, no ticket caused it
    await settle();
    expect(deskpro.messagesOn(ticket, "reply").map((m) => m.message)).toEqual([expect.stringContaining("running low: 90 credits left")]);
    expect(deskpro.count("postTicket")).toBe(posted);
  });

  it("starts a ticket to a person with no open ticket, once however often the delivery runs, with the agents' note on it", async () => {
    const { ticket, person } = ids();
    deskpro.addTicket({ id: ticket, person, organization: null, status: "resolved" });
    await grant(`person:${person}`, 120);
    await debit(`person:${person}`, 30); // 90 → low
    await settle();
    const created = deskpro.requests.filter((r) => r.route === "postTicket" && (r.body as { person: number }).person === person);
    expect(created).toHaveLength(1);
    const body = created[0]!.body as { person: number; subject: string; status: string; message: { message: string; format: string } };
    expect(body).toMatchObject({ person, status: "awaiting_user", message: { format: "html" } });
    expect(body.subject).toMatch(/^Support credits running low \(Ref SC-[0-9A-Z]{14}\)$/);
    const newTicket = created[0]!.ticketId!;
    expect(deskpro.messagesOn(newTicket, "reply").map((m) => m.message)).toEqual([expect.stringContaining("running low: 90 credits left")]);
    expect(deskpro.messagesOn(newTicket, "note")).toHaveLength(1);
    expect(deskpro.messagesOn(ticket)).toHaveLength(0);
    // The delivery runs again (its success was not recorded): the ticket is found by its reference, not made twice.
    await h.db.query("UPDATE outbox SET state = 'pending', next_attempt_at = $2 WHERE tenant_id = $1 AND kind = 'alert.deskpro'", [h.tenantId, h.clock.now()]);
    await settle();
    expect(deskpro.requests.filter((r) => r.route === "postTicket" && (r.body as { person: number }).person === person)).toHaveLength(1);
    expect(deskpro.messagesOn(newTicket)).toHaveLength(2);
    expect((await alertRows("alert.deskpro")).every((row) => row.state === "done")).toBe(true);
  });

  it("tells the person of an organisation's most recent ticket, and nobody when the organisation has no tickets or the setting is off", async () => {
    const { org, ticket, person } = ids();
    deskpro.addTicket({ id: ticket, person: person + 100, organization: org, status: "resolved", date_created: "2025-01-01T00:00:00.000Z" });
    deskpro.addTicket({ id: ticket + 1, person, organization: org, status: "resolved", date_created: "2025-06-01T00:00:00.000Z" });
    await grant(`org:${org}`, 120);
    await debit(`org:${org}`, 30);
    await settle();
    expect(deskpro.requests.filter((r) => r.route === "postTicket" && (r.body as { person: number }).person === person)).toHaveLength(1);
    const posted = deskpro.count("postTicket");

    const lonely = ids();
    await grant(`org:${lonely.org}`, 120);
    await debit(`org:${lonely.org}`, 30);
    const off = ids();
    deskpro.addTicket({ id: off.ticket, person: off.person, organization: off.org, status: "resolved" });
    const saved = await h.call("PUT", "/v1/alerts/settings", { body: { startTicketWhenNoneOpen: false, webhooks: [] } });
    expect(AlertSettings.parse(saved.body).startTicketWhenNoneOpen).toBe(false);
    await grant(`org:${off.org}`, 120);
    await debit(`org:${off.org}`, 30);
    await settle();
    expect(deskpro.count("postTicket")).toBe(posted);
    expect((await alertRows("alert.deskpro")).every((row) => row.state === "done")).toBe(true);
  });

  it("signs webhooks with Standard Webhooks, retries a failed delivery and delivers it once", async () => {
    const { org } = ids();
    await grant(`org:${org}`, 60);
    failNext = 1;
    await debit(`org:${org}`, 60); // 0: crosses 50 and 0; the grant of 60 already fired the 100 level
    const first = await h.drain();
    expect(first.retrying).toBeGreaterThan(0);
    h.clock.advance(60 * 60_000);
    await settle();
    const ok = received.slice(1); // the first attempt was answered 500
    const verifier = new Webhook(secret);
    // Each body is what the OpenAPI document says alert endpoints receive.
    const events = ok.map((r) => AlertEvent.parse(verifier.verify(r.body, r.headers)));
    expect(events.map((e) => `${e.type}:${e.data.level}`).sort()).toEqual(["balance.depleted:0", "balance.low:100", "balance.low:50"]);
    // Each distinct message id arrived exactly once successfully.
    const delivered = await alertRows("alert.webhook");
    expect(delivered.every((row) => row.state === "done")).toBe(true);
    const okIds = ok.map((r) => r.headers["webhook-id"]);
    expect(new Set(okIds).size).toBe(delivered.length);
    expect(() => verifier.verify(ok[0]!.body.replace("balance", "balanse"), ok[0]!.headers)).toThrow();
  });

  it("holds a bank to its own levels when it has them; setting them sends nothing, the next crossing does", async () => {
    const { org, ticket, person } = ids();
    deskpro.addTicket({ id: ticket, person, organization: org });
    await grant(`org:${org}`, 400);
    const set = await h.call("PUT", `/v1/wallets/org:${org}/alert-levels`, {
      body: {
        levels: [
          { type: "credits", value: 500 },
          { type: "credits", value: 300 },
        ],
      },
    });
    expect(set.status).toBe(200);
    const bank = Wallet.parse(set.body);
    expect(bank.lowBalance).toMatchObject({ threshold: 500, state: "low", levelsFrom: "bank" });
    await settle();
    expect(await alertRows("alert.deskpro")).toHaveLength(0); // already under 500: no alert for setting it
    await debit(`org:${org}`, 150, ticket); // 250: crosses the bank's 300, not the helpdesk's 100
    await settle();
    expect(deskpro.messagesOn(ticket, "reply").map((m) => m.message)).toEqual([expect.stringContaining("running low: 250 credits left")]);
    // Back to the helpdesk's levels.
    const cleared = Wallet.parse((await h.call("PUT", `/v1/wallets/org:${org}/alert-levels`, { body: { levels: null } })).body);
    expect(cleared.lowBalance).toMatchObject({
      threshold: 100,
      levelsFrom: "helpdesk",
      levels: [
        { type: "credits", value: 100 },
        { type: "credits", value: 50 },
      ],
    });
    // Bad input changes nothing.
    const bad = await h.call("PUT", `/v1/wallets/org:${org}/alert-levels`, { body: { levels: [{ type: "percent", value: 150 }] } });
    expect(bad.status).toBe(400);
    expect(Wallet.parse((await h.call("GET", `/v1/wallets/org:${org}`)).body).lowBalance.levelsFrom).toBe("helpdesk");
  });

  it("announces credits about to expire once per grant, by name, on the newest open ticket and to webhooks", async () => {
    const { org, ticket, person } = ids();
    deskpro.addTicket({ id: ticket, person, organization: org });
    deskpro.people.set(person, {
      id: person,
      first_name: "Ada",
      last_name: "Lovelace",
      name: "Ada Lovelace",
      primary_email: "ada@example.test",
      organization: org,
    });
    const now = h.clock.now();
    const soon = new Date(now.getTime() + 5 * 86_400_000).toISOString();
    const later = new Date(now.getTime() + 30 * 86_400_000).toISOString();
    expect((await h.call("POST", `/v1/wallets/org:${org}/grants`, { body: { amount: 300, reason: "promo", source: "promo", expiresAt: soon } })).status).toBe(
      201,
    );
    expect((await h.call("POST", `/v1/wallets/org:${org}/grants`, { body: { amount: 200, reason: "later", source: "promo", expiresAt: later } })).status).toBe(
      201,
    );
    await debit(`org:${org}`, 100, ticket); // drawn from the soonest-expiring grant: 200 of it left
    const run = AllocationRun.parse((await h.call("POST", "/v1/cron/allocate", { body: {} })).body);
    expect(run.expiringNotices).toBe(1);
    // A second run, the next hour, announces nothing new.
    h.clock.advance(60 * 60_000);
    expect(AllocationRun.parse((await h.call("POST", "/v1/cron/allocate", { body: {} })).body).expiringNotices).toBe(0);
    await settle();
    // Customers' one date style (docs/app.md, "Words"): "6 Jan 2026".
    const date = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }).format(new Date(soon));
    expect(deskpro.messagesOn(ticket, "reply").map((m) => m.message)).toEqual([
      expect.stringContaining(`Hello Ada, 200 of your support credits expire unused on ${date}. Your balance is 400 credits. Top up or use them here: <a`),
    ]);
    // The note says what expires and when; an expiry has no alert level to mention.
    expect(deskpro.messagesOn(ticket, "note").map((m) => m.message)).toEqual([
      expect.stringMatching(new RegExp(`^Support credits expiring \\(200 on ${date}\\): 400 credits left\\.<p>`)),
    ]);
    // The requester came with the ticket list that found the ticket: it isn't read again.
    expect(deskpro.requests.filter((r) => r.route === "getTicket" && r.ticketId === ticket)).toEqual([]);
    const verifier = new Webhook(secret);
    const events = received.map((r) => AlertEvent.parse(verifier.verify(r.body, r.headers)));
    expect(events.filter((e) => e.type === "credits.expiring")).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ owner: `org:${org}`, credits: 200, expiresAt: soon }) }),
    ]);
    // The delivery log names the event and the bank, never the message text.
    const log = await alertRows("alert.");
    // In words: the event as an admin says it, the bank by Deskpro's name for it (else "organisation <id>"), no owner ids.
    const summaries = log.map((row) => row.summary ?? "");
    expect(summaries.some((summary) => new RegExp(`^Credits expiring · (organisation ${org}|[^·:]+) · to ops$`).test(summary))).toBe(true);
    expect(summaries.join("\n")).not.toMatch(/org:|person:|credits\.expiring/);
    expect(JSON.stringify(log)).not.toContain("Hello Ada");
  });

  it("announces nothing about expiry when the days are set to 0", async () => {
    const { org } = ids();
    expect((await h.call("PUT", "/v1/config", { body: { alerts: { levels: [{ type: "credits", value: 100 }], expiringDays: 0 } } })).status).toBe(200);
    const soon = new Date(h.clock.now().getTime() + 86_400_000).toISOString();
    await h.call("POST", `/v1/wallets/org:${org}/grants`, { body: { amount: 300, reason: "promo", source: "promo", expiresAt: soon } });
    expect(AllocationRun.parse((await h.call("POST", "/v1/cron/allocate", { body: {} })).body).expiringNotices).toBe(0);
  });

  it("sends a signed test event on request", async () => {
    const result = await h.call("POST", "/v1/alerts/webhooks/ops/test", { body: {} });
    expect(AlertWebhookTest.parse(result.body)).toMatchObject({ delivered: true, status: 200 });
    const event = WebhookTestEvent.parse(new Webhook(secret).verify(received.at(-1)!.body, received.at(-1)!.headers));
    expect(event.type).toBe("webhook.test");
    expect((await h.call("POST", "/v1/alerts/webhooks/nope/test", { body: {} })).status).toBe(404);
  });
});
