import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EntryPage, OutboxPage, PortalTicket, PortalTierLabels, TicketPayer, Wallet } from "../../src/contract/index.js";
import { backends } from "../helpers/ledger.js";
import { choice, TICKET_STATUSES, type FakeTicket } from "./fake-deskpro.js";
import { createPortalHarness, OPTION, portalHelpdesk, PRIORITY, TEST_CONFIG, TIER_FIELD, type PortalHarness } from "./harness.js";

const deskpro = portalHelpdesk();
const server = setupServer(...deskpro.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

let seq = 0;
const ids = () => {
  seq++;
  return { ticket: 5000 + seq, person: 1000 + seq, org: 2000 + seq };
};

describe.each(backends())("portal tiers on %s", (backend) => {
  let h: PortalHarness;
  beforeEach(async () => {
    h = await createPortalHarness(backend);
  });
  afterEach(() => h.close());

  const grant = async (owner: string, amount: number) => {
    const r = await h.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount, reason: "top-up" } });
    expect(r.status).toBe(201);
  };
  const balance = async (owner: string) => Wallet.parse((await h.call("GET", `/v1/wallets/${owner}`)).body).balance;
  const entries = async (owner: string) => EntryPage.parse((await h.call("GET", `/v1/wallets/${owner}/entries?limit=100`)).body).entries;
  const portalTicket = async (ticketId: number) => PortalTicket.parse((await h.call("GET", `/v1/portal/tickets/${ticketId}`)).body);
  const outbox = async () => OutboxPage.parse((await h.call("GET", "/v1/outbox?limit=200")).body).items;
  /** A new portal ticket on the fake helpdesk, the customer's organisation holding `credits`. */
  const portalTicketWith = async (option: number | null, credits: number, extra: Partial<FakeTicket> = {}) => {
    const id = ids();
    if (credits > 0) await grant(`org:${id.org}`, credits);
    const ticket = deskpro.addTicket({
      id: id.ticket,
      person: id.person,
      organization: id.org,
      priority: null,
      fields: option === null ? {} : { [String(TIER_FIELD)]: choice(option) },
      ...extra,
    });
    return { ...id, ticket, owner: `org:${id.org}` };
  };
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      const r = await h.drain();
      if (r.remaining === 0 && r.retrying === 0) return r;
      h.clock.advance(10 * 60_000);
    }
    return h.drain();
  };

  it("charges the chosen tier from the paying bank, sets the priority and adds an agent note", async () => {
    const t = await portalTicketWith(OPTION.oneHour, 1000);
    const hook = await h.hook("ticket-created", t.ticket.id);
    expect(hook.status).toBe(202);
    expect(hook.body).toMatchObject({ received: true, event: "ticket.created", ticketId: String(t.ticket.id) });
    await settle();
    expect(await balance(t.owner)).toBe(750);
    const [charge] = await entries(t.owner);
    expect(charge).toMatchObject({ kind: "priority", amount: -250, tier: "1-hour", ticketId: String(t.ticket.id) });
    expect(deskpro.tickets.get(t.ticket.id)!.priority).toBe(PRIORITY.urgent);
    const notes = deskpro.messagesOn(t.ticket.id, "note");
    expect(notes).toHaveLength(1);
    expect(notes[0]!.message).toContain("1-hour response: 250 credits charged, balance 750.");
    expect(deskpro.messagesOn(t.ticket.id, "reply")).toHaveLength(0);
    expect(await portalTicket(t.ticket.id)).toMatchObject({ owner: t.owner, chargedTier: "1-hour", outcome: "charged", lastPriorityId: PRIORITY.urgent });
    // Deskpro answers the priority's PUT with 204 and no body: a success, so nothing is retried or failed.
    expect(deskpro.requests.filter((r) => r.route === "putTicket" && r.ticketId === t.ticket.id).map((r) => r.status)).toEqual([204]);
    const rows = await outbox();
    expect(rows.map((row) => row.kind).sort()).toEqual(["deskpro.message", "deskpro.set_priority", "portal.job"]);
    for (const row of rows) expect(row).toMatchObject({ state: "done", attempts: 1, lastError: null });
  });

  it("charges the person's own bank when it has credits", async () => {
    const t = await portalTicketWith(OPTION.fourHour, 1000);
    await grant(`person:${t.person}`, 200);
    await h.hook("ticket-created", t.ticket.id);
    await settle();
    expect(await balance(`person:${t.person}`)).toBe(50);
    expect(await balance(t.owner)).toBe(1000);
  });

  it("charges once however often the webhook is delivered", async () => {
    const t = await portalTicketWith(OPTION.oneHour, 1000);
    const first = await h.hook("ticket-created", t.ticket.id);
    const again = await h.hook("ticket-created", t.ticket.id);
    expect(again.body.jobId).toBe(first.body.jobId);
    await settle();
    for (let i = 0; i < 3; i++) {
      expect((await h.hook("ticket-created", t.ticket.id)).status).toBe(202);
      await settle();
    }
    expect((await entries(t.owner)).filter((e) => e.kind === "priority")).toHaveLength(1);
    expect(await balance(t.owner)).toBe(750);
    expect(deskpro.requests.filter((r) => r.route === "putTicket" && r.ticketId === t.ticket.id && r.status === 204)).toHaveLength(1);
    expect(deskpro.messagesOn(t.ticket.id)).toHaveLength(1);
  });

  it("gives one priority change when Deskpro answers 500 twice then 204", async () => {
    const t = await portalTicketWith(OPTION.oneHour, 1000);
    await h.hook("ticket-created", t.ticket.id);
    deskpro.fail("putTicket", 500, 2);
    await settle();
    const puts = deskpro.requests.filter((r) => r.route === "putTicket" && r.ticketId === t.ticket.id);
    expect(puts.map((p) => p.status)).toEqual([500, 500, 204]);
    expect(deskpro.tickets.get(t.ticket.id)!.priority).toBe(PRIORITY.urgent);
    expect((await entries(t.owner)).filter((e) => e.kind === "priority")).toHaveLength(1);
  });

  it("loses nothing and doubles nothing through a Deskpro outage", async () => {
    const t = await portalTicketWith(OPTION.oneHour, 1000);
    deskpro.outage(503);
    await h.hook("ticket-created", t.ticket.id);
    const during = await h.drain();
    expect(during.retrying).toBe(1);
    expect(await balance(t.owner)).toBe(1000);
    const [job] = (await outbox()).filter((row) => row.kind === "portal.job");
    expect(job).toMatchObject({ state: "pending", attempts: 1 });
    expect(job!.lastError).toContain("503");
    expect(job!.lastError).not.toContain("Zx8v2Kq9"); // never the API key
    deskpro.recover();
    h.clock.advance(60_000);
    await settle();
    expect(await balance(t.owner)).toBe(750);
    expect(deskpro.tickets.get(t.ticket.id)!.priority).toBe(PRIORITY.urgent);
    expect(deskpro.messagesOn(t.ticket.id, "note")).toHaveLength(1);
  });

  it("posts a message once even when Deskpro's answer to the post is lost", async () => {
    const t = await portalTicketWith(OPTION.oneHour, 1000);
    await h.hook("ticket-created", t.ticket.id);
    // The note is created but the answer fails on the way back: the retry finds its marker.
    const realPost = deskpro.messages.length;
    deskpro.fail("getMessages", 503, 0);
    await h.drain(); // job runs: charge + rows
    expect(deskpro.messages.length).toBeGreaterThanOrEqual(realPost);
    // Drain again after pretending the note's delivery was not recorded: reset the row to pending.
    await h.db.query("UPDATE outbox SET state = 'pending', next_attempt_at = $2 WHERE tenant_id = $1 AND kind = 'deskpro.message'", [
      h.tenantId,
      h.clock.now(),
    ]);
    await settle();
    expect(deskpro.messagesOn(t.ticket.id, "note")).toHaveLength(1);
  });

  it("refuses a forged or missing secret with 401 and writes nothing", async () => {
    const t = await portalTicketWith(OPTION.oneHour, 1000);
    for (const secret of [null, "", "wrong-secret-wrong-secret-wrong", `${h.webhookSecret}x`]) {
      const r = await h.hook("ticket-created", t.ticket.id, { secret });
      expect(r.status).toBe(401);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.text).not.toContain(h.webhookSecret);
    }
    const other = await h.call("POST", `/hooks/deskpro/tnt_00000000000000000000000000/ticket-created`, {
      key: null,
      headers: { "x-credits-webhook-secret": h.webhookSecret, "x-deskpro-ticket-id": "1" },
      rawBody: "",
    });
    expect(other.status).toBe(401);
    expect(await outbox()).toEqual([]);
    await h.drain();
    expect(await balance(t.owner)).toBe(1000);
    expect(deskpro.requests.filter((r) => r.ticketId === t.ticket.id)).toEqual([]);
  });

  it("answers a hook it can't read a ticket id from with 400 or 415, and writes nothing", async () => {
    const t = await portalTicketWith(OPTION.oneHour, 1000);
    const cases = [
      h.hook("ticket-created", null, { body: "{not json", contentType: "application/json" }),
      h.hook("ticket-created", null, { body: "[1,2]", contentType: "application/json" }),
      h.hook("ticket-created", null),
      h.hook("ticket-created", null, { body: "custom_data=" }),
      h.hook("ticket-created", null, { headers: { "x-deskpro-ticket-id": "abc" } }),
      h.hook("ticket-created", null, { headers: { "x-deskpro-ticket-id": "-5" } }),
      h.hook("ticket-created", t.ticket.id, { body: "ticket%5Bid%5D=999" }),
      h.hook("ticket-created", null, { body: JSON.stringify({ ticket: { id: "12x" } }), contentType: "application/json" }),
    ];
    for (const r of await Promise.all(cases)) {
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("invalid_request");
    }
    expect((await h.hook("ticket-created", null, { body: "<ticket id='5'/>", contentType: "text/xml" })).status).toBe(415);
    expect((await h.hook("ticket-exploded", t.ticket.id)).status).toBe(404);
    const huge = await h.hook("ticket-created", t.ticket.id, { body: `ticket%5Bid%5D=${t.ticket.id}&x=${"a".repeat(513 * 1024)}` });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe("payload_too_large");
    expect(await outbox()).toEqual([]);
  });

  it("never refuses a hook that carries the ticket-id header because of its body's format", async () => {
    const multipart = (id: number) => {
      const form = new FormData();
      form.set("ticket[id]", String(id));
      form.set("ticket[person][id]", "1");
      form.set("custom_data", "");
      return new Response(form);
    };
    for (const [label, body, contentType] of [
      ["form", undefined, undefined],
      ["empty", "", undefined],
      ["json", "{}", "application/json"],
      ["broken json", "{nope", "application/json"],
      ["xml", "<ticket/>", "text/xml"],
      ["no type", "ticket=5", ""],
    ] as const) {
      const t = await portalTicketWith(OPTION.fourHour, 1000);
      const r = await h.hook("ticket-created", t.ticket.id, { body, contentType });
      expect(r.status, label).toBe(202);
      expect(r.body.ticketId, label).toBe(String(t.ticket.id));
    }
    const t = await portalTicketWith(OPTION.fourHour, 1000);
    const response = multipart(t.ticket.id);
    const r = await h.hook("ticket-created", t.ticket.id, { body: await response.text(), contentType: response.headers.get("content-type")! });
    expect(r.status).toBe(202);
  });

  it("reads the ticket id from the body when the header is missing: form fields, multipart or JSON", async () => {
    const form = await portalTicketWith(OPTION.fourHour, 1000);
    expect(
      (await h.hook("ticket-created", null, { body: `ticket%5Bid%5D=${form.ticket.id}&ticket%5Bperson%5D%5Bid%5D=${form.person}&custom_data=` })).status,
    ).toBe(202);
    const multi = await portalTicketWith(OPTION.fourHour, 1000);
    const data = new FormData();
    data.set("ticket[id]", String(multi.ticket.id));
    data.set("custom_data", "");
    const encoded = new Response(data);
    expect((await h.hook("ticket-created", null, { body: await encoded.text(), contentType: encoded.headers.get("content-type")! })).status).toBe(202);
    const json = await portalTicketWith(OPTION.fourHour, 1000);
    expect((await h.hook("ticket-created", null, { body: JSON.stringify({ ticket: { id: json.ticket.id } }), contentType: "application/json" })).status).toBe(
      202,
    );
    await settle();
    for (const t of [form, multi, json]) expect(await balance(t.owner)).toBe(850);
  });

  it("tells the customer and charges nothing when the tier can't be paid for, keeping the free tier's priority", async () => {
    const t = await portalTicketWith(OPTION.oneHour, 40);
    await h.hook("ticket-created", t.ticket.id);
    await settle();
    expect(await balance(t.owner)).toBe(40);
    expect((await entries(t.owner)).filter((e) => e.kind === "priority")).toHaveLength(0);
    expect(deskpro.tickets.get(t.ticket.id)!.priority).toBe(PRIORITY.normal);
    // (The bank holding 40 is also below its alert level, so a low-balance message comes too.)
    const tierReplies = () => deskpro.messagesOn(t.ticket.id, "reply").filter((m) => m.message.includes("You chose"));
    const replies = tierReplies();
    expect(replies).toHaveLength(1);
    for (const part of ["1-hour response", "250 credits", "balance is 40 credits", 'href="https://billing.example.test/buy"'])
      expect(replies[0]!.message).toContain(part);
    expect(deskpro.messagesOn(t.ticket.id, "note").some((m) => m.message.includes("not charged: not enough credits"))).toBe(true);
    expect(await portalTicket(t.ticket.id)).toMatchObject({ requestedTier: "1-hour", chargedTier: null, outcome: "unaffordable" });
    // Redelivery changes nothing and says nothing twice.
    await h.hook("ticket-created", t.ticket.id);
    await settle();
    expect(tierReplies()).toHaveLength(1);
  });

  it("links the customer to their bank's own page when the ledger knows its public address", async () => {
    process.env.LEDGER_PUBLIC_URL = "https://credits.example.test";
    try {
      const t = await portalTicketWith(OPTION.oneHour, 40);
      await h.hook("ticket-created", t.ticket.id);
      await settle();
      const reply = deskpro.messagesOn(t.ticket.id, "reply")[0]!.message;
      const href = /href="(https:\/\/credits\.example\.test\/pay\/[^"]+)"/.exec(reply)?.[1];
      expect(href).toBeDefined();
      const page = await h.call("GET", new URL(href!).pathname, { key: null });
      expect(page.status).toBe(200);
      expect(page.text).toContain('data-testid="balance">40');
    } finally {
      delete process.env.LEDGER_PUBLIC_URL;
    }
  });

  it("does nothing for a ticket without a tier, and sets the free tier's priority without a charge", async () => {
    const none = await portalTicketWith(null, 1000);
    const free = await portalTicketWith(OPTION.standard, 1000);
    await h.hook("ticket-created", none.ticket.id);
    await h.hook("ticket-created", free.ticket.id);
    await settle();
    expect(await balance(none.owner)).toBe(1000);
    expect(await balance(free.owner)).toBe(1000);
    expect(deskpro.tickets.get(none.ticket.id)!.priority).toBeNull();
    expect(deskpro.tickets.get(free.ticket.id)!.priority).toBe(PRIORITY.normal);
    expect(deskpro.messagesOn(none.ticket.id)).toHaveLength(0);
    expect((await portalTicket(free.ticket.id)).outcome).toBe("free");
  });

  it("refunds the fee once when the SLA fails, however often that is delivered", async () => {
    const t = await portalTicketWith(OPTION.oneHour, 1000);
    await h.hook("ticket-created", t.ticket.id);
    await settle();
    expect(await balance(t.owner)).toBe(750);
    for (let i = 0; i < 3; i++) await h.hook("sla-failed", t.ticket.id);
    await settle();
    await h.hook("sla-failed", t.ticket.id);
    await settle();
    const refunds = (await entries(t.owner)).filter((e) => e.kind === "refund");
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ amount: 250, tier: "1-hour" });
    expect(await balance(t.owner)).toBe(1000);
    const replies = deskpro.messagesOn(t.ticket.id, "reply");
    expect(replies).toHaveLength(1);
    expect(replies[0]!.message).toContain("250 credits have been returned");
    expect((await portalTicket(t.ticket.id)).outcome).toBe("refunded");
  });

  it("charges the difference when an agent changes the tier field, and refunds when the priority goes down to the free tier", async () => {
    const t = await portalTicketWith(OPTION.fourHour, 1000);
    await h.hook("ticket-created", t.ticket.id);
    await settle();
    expect(await balance(t.owner)).toBe(850);

    deskpro.tickets.get(t.ticket.id)!.fields[String(TIER_FIELD)] = choice(OPTION.oneHour);
    await h.hook("ticket-updated", t.ticket.id);
    await settle();
    expect(await balance(t.owner)).toBe(750); // 100 more: 150 back, 250 charged
    expect(deskpro.tickets.get(t.ticket.id)!.priority).toBe(PRIORITY.urgent);
    expect((await portalTicket(t.ticket.id)).chargedTier).toBe("1-hour");

    // Our own priority change comes back as an update: nothing moves.
    await h.hook("ticket-updated", t.ticket.id);
    await settle();
    expect(await balance(t.owner)).toBe(750);

    deskpro.tickets.get(t.ticket.id)!.priority = PRIORITY.normal; // the agent lowers it
    await h.hook("ticket-updated", t.ticket.id);
    await settle();
    expect(await balance(t.owner)).toBe(1000);
    expect(await portalTicket(t.ticket.id)).toMatchObject({ chargedTier: null, outcome: "free" });
    const kinds = (await entries(t.owner)).map((e) => `${e.kind}:${e.amount}`);
    expect(kinds).toEqual(["refund:250", "priority:-250", "refund:150", "priority:-150", "grant:1000"]);
  });

  it("charges when an agent raises the priority to a paid tier's", async () => {
    const t = await portalTicketWith(OPTION.standard, 1000);
    await h.hook("ticket-created", t.ticket.id);
    await settle();
    deskpro.tickets.get(t.ticket.id)!.priority = PRIORITY.high;
    await h.hook("ticket-updated", t.ticket.id);
    await settle();
    expect(await balance(t.owner)).toBe(850);
    expect(deskpro.tickets.get(t.ticket.id)!.priority).toBe(PRIORITY.high);
  });

  it("refunds once when the ticket is deleted: Deskpro reads it back as hidden.deleted", async () => {
    const t = await portalTicketWith(OPTION.oneHour, 1000);
    await h.hook("ticket-created", t.ticket.id);
    await settle();
    deskpro.deleteTicket(t.ticket.id);
    await h.hook("ticket-updated", t.ticket.id);
    await h.hook("ticket-updated", t.ticket.id);
    await settle();
    await h.hook("ticket-updated", t.ticket.id);
    await settle();
    expect(await balance(t.owner)).toBe(1000);
    expect((await entries(t.owner)).filter((e) => e.kind === "refund")).toHaveLength(1);
    expect((await portalTicket(t.ticket.id)).outcome).toBe("cancelled");
    expect(deskpro.messagesOn(t.ticket.id, "note").some((n) => n.message.includes("250 credits refunded (ticket cancelled)"))).toBe(true);
  });

  it("refunds a ticket marked as spam (hidden.spam, or hidden.<id> naming the Spam record), and only spam or deleted", async () => {
    const spam = await portalTicketWith(OPTION.oneHour, 1000);
    const spamById = await portalTicketWith(OPTION.oneHour, 1000);
    const validating = await portalTicketWith(OPTION.oneHour, 1000);
    const waiting = await portalTicketWith(OPTION.oneHour, 1000);
    const all = [spam, spamById, validating, waiting];
    for (const t of all) await h.hook("ticket-created", t.ticket.id);
    await settle();
    const statusId = (sysId: string) => TICKET_STATUSES.find((s) => s.sys_id === sysId)!.id;
    deskpro.tickets.get(spam.ticket.id)!.status = "hidden.spam";
    deskpro.tickets.get(spamById.ticket.id)!.status = `hidden.${statusId("spam")}`;
    deskpro.tickets.get(validating.ticket.id)!.status = `hidden.${statusId("validating")}`;
    deskpro.tickets.get(waiting.ticket.id)!.status = "awaiting_user.7";
    for (const t of all) await h.hook("ticket-updated", t.ticket.id);
    await settle();
    for (const t of [spam, spamById]) {
      expect(await balance(t.owner)).toBe(1000);
      expect((await portalTicket(t.ticket.id)).outcome).toBe("cancelled");
    }
    expect(await balance(validating.owner)).toBe(750);
    expect(await balance(waiting.owner)).toBe(750);
  });

  it("keeps the charge, and fails nothing, when the helpdesk won't list its status records", async () => {
    const t = await portalTicketWith(OPTION.oneHour, 1000);
    await h.hook("ticket-created", t.ticket.id);
    await settle();
    deskpro.tickets.get(t.ticket.id)!.status = "hidden.1";
    deskpro.fail("getTicketStatuses", 404);
    await h.hook("ticket-updated", t.ticket.id);
    await settle();
    expect(await balance(t.owner)).toBe(750);
    expect((await outbox()).every((row) => row.state === "done")).toBe(true);
  });

  it("charges the price the portal form showed when the tier's price rose after its label was written, and tells agents", async () => {
    const raised = { ...TEST_CONFIG, tiers: TEST_CONFIG.tiers.map((t) => (t.key === "1-hour" ? { ...t, price: 300 } : t)) };
    expect((await h.call("PUT", "/v1/config", { body: raised })).status).toBe(200);
    const t = await portalTicketWith(OPTION.oneHour, 1000); // the option still reads "1-hour response — 250 credits"
    await h.hook("ticket-created", t.ticket.id);
    await settle();
    expect(await balance(t.owner)).toBe(750);
    const [charge] = (await entries(t.owner)).filter((e) => e.kind === "priority");
    expect(charge).toMatchObject({ amount: -250, tier: "1-hour" });
    const note = deskpro.messagesOn(t.ticket.id, "note")[0]!.message;
    expect(note).toContain("1-hour response: 250 credits charged, balance 750.");
    expect(note).toContain("The portal form showed 250 credits; the tier costs 300 now.");
    // A refund gives back what was charged.
    await h.hook("sla-failed", t.ticket.id);
    await settle();
    expect(await balance(t.owner)).toBe(1000);
  });

  it("never charges more than the tier costs, and reads the option's title from the field when the ticket doesn't carry it", async () => {
    const lowered = { ...TEST_CONFIG, tiers: TEST_CONFIG.tiers.map((t) => (t.key === "1-hour" ? { ...t, price: 200 } : t)) };
    expect((await h.call("PUT", "/v1/config", { body: lowered })).status).toBe(200);
    deskpro.omitFieldDetail = true;
    try {
      const t = await portalTicketWith(OPTION.oneHour, 1000);
      await h.hook("ticket-created", t.ticket.id);
      await settle();
      expect(await balance(t.owner)).toBe(800);
      expect(deskpro.count("getCustomField")).toBeGreaterThan(0);
    } finally {
      deskpro.omitFieldDetail = false;
    }
  });

  it("shows the settings page the label each tier's option must carry, and whether Deskpro's options match", async () => {
    const raised = { ...TEST_CONFIG, tiers: TEST_CONFIG.tiers.map((t) => (t.key === "1-hour" ? { ...t, price: 300 } : t)) };
    expect((await h.call("PUT", "/v1/config", { body: raised })).status).toBe(200);
    const before = PortalTierLabels.parse((await h.call("GET", "/v1/portal/tier-labels")).body);
    expect(before).toMatchObject({ fieldId: TIER_FIELD, fieldTitle: "Response time", allMatch: false });
    expect(before.options).toEqual([
      { tier: "standard", optionId: OPTION.standard, label: "Standard response (free)", deskproTitle: "Standard response (free)", matches: true },
      { tier: "4-hour", optionId: OPTION.fourHour, label: "4-hour response — 150 credits", deskproTitle: "4-hour response — 150 credits", matches: true },
      { tier: "1-hour", optionId: OPTION.oneHour, label: "1-hour response — 300 credits", deskproTitle: "1-hour response — 250 credits", matches: false },
    ]);
    // The admin pastes the label into the option in Deskpro.
    const option = deskpro.customFields.get(TIER_FIELD)!.choices[2]!;
    option.title = "1-hour response - 300 credits";
    try {
      const after = PortalTierLabels.parse((await h.call("GET", "/v1/portal/tier-labels")).body);
      expect(after.allMatch).toBe(true);
    } finally {
      option.title = "1-hour response — 250 credits";
    }
  });

  it("charges the ticket's organisation, else the person's primary organisation when the ticket has none", async () => {
    const id = ids();
    const primary = id.org + 50_000;
    deskpro.people.set(id.person, {
      id: id.person,
      first_name: "Ada",
      last_name: "L",
      name: "Ada L",
      primary_email: "ada@example.test",
      organization: primary,
    });
    await grant(`org:${primary}`, 1000);
    await grant(`org:${id.org}`, 1000);
    const orgless = deskpro.addTicket({ id: id.ticket, person: id.person, organization: null, fields: { [String(TIER_FIELD)]: choice(OPTION.fourHour) } });
    const withOrg = deskpro.addTicket({
      id: id.ticket + 100_000,
      person: id.person,
      organization: id.org,
      fields: { [String(TIER_FIELD)]: choice(OPTION.oneHour) },
    });
    await h.hook("ticket-created", orgless.id);
    await h.hook("ticket-created", withOrg.id);
    await settle();
    expect(await balance(`org:${primary}`)).toBe(850);
    expect(await balance(`org:${id.org}`)).toBe(750);
    const payer = async (query: string) => TicketPayer.parse((await h.call("GET", `/v1/tickets/${orgless.id}/payer?${query}`)).body);
    expect(await payer(`person=${id.person}&personOrg=${primary}`)).toMatchObject({
      owner: `org:${primary}`,
      reason: "organisation",
      organisationFrom: "person",
    });
    // The rule, given the ticket's organisation, picks it; the ticket stays pinned to the bank that paid its fee.
    expect(await payer(`person=${id.person}&org=${id.org}&personOrg=${primary}`)).toMatchObject({
      owner: `org:${primary}`,
      pin: { owner: `org:${primary}`, how: "first_charge" },
      rule: { owner: `org:${id.org}`, reason: "organisation" },
      organisationFrom: "ticket",
    });
  });

  it("keeps secrets out of the API and validates the settings", async () => {
    const connection = await h.call("GET", "/v1/integrations/deskpro");
    expect(connection.body).toMatchObject({ apiKeySet: true, webhookSecretSet: true, apiKeyId: "7" });
    expect(connection.text).not.toContain("Zx8v2Kq9");
    expect(connection.text).not.toContain(h.webhookSecret);
    const stored = await h.db.query<{ api_key_ciphertext: string }>("SELECT api_key_ciphertext FROM deskpro_connections WHERE tenant_id = $1", [h.tenantId]);
    expect(stored[0]!.api_key_ciphertext).not.toContain("Zx8v2Kq9");
    expect(JSON.stringify(h.logs)).not.toContain("Zx8v2Kq9");
    const bad = await h.call("PUT", "/v1/integrations/deskpro", { body: { url: "ftp://x", apiKey: "nocolon", webhookSecret: "short" } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(["body.apiKey", "body.url", "body.webhookSecret"]);
    expect(bad.text).not.toContain("nocolon");
    const badSettings = await h.call("PUT", "/v1/portal/settings", { body: { tierFieldId: 7, tierOptions: [{ tier: "gold", optionId: 1 }] } });
    expect(badSettings.status).toBe(400);
    expect(badSettings.body.errors[0].path).toBe("body.tierOptions.0.tier");
  });
});
