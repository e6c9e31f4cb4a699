import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EntryPage, OverageSettingsResponse, PortalTicket, TicketOverage, Wallet } from "../../src/contract/index.js";
import { overageToken, verifyOverageLink } from "../../src/ledger/features/overage.js";
import { backends } from "../helpers/ledger.js";
import { choice } from "./fake-deskpro.js";
import { createPortalHarness, OPTION, portalHelpdesk, PRIORITY, TIER_FIELD, type PortalHarness } from "./harness.js";

const deskpro = portalHelpdesk();
const server = setupServer(...deskpro.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

const PUBLIC_URL = "https://credits.example.test";
let seq = 0;
const ids = () => {
  seq++;
  return { ticket: 8000 + seq, person: 3000 + seq, org: 4000 + seq };
};

describe.each(backends())("asked before overage on %s", (backend) => {
  let h: PortalHarness;
  beforeEach(async () => {
    process.env.LEDGER_PUBLIC_URL = PUBLIC_URL;
    h = await createPortalHarness(backend);
  });
  afterEach(async () => {
    delete process.env.LEDGER_PUBLIC_URL;
    await h.close();
  });

  const setLimit = async (perTicketLimit: number, harness = h) => {
    const r = await harness.call("PUT", "/v1/portal/overage-settings", { body: { perTicketLimit } });
    expect(r.status).toBe(200);
  };
  const balance = async (owner: string) => Wallet.parse((await h.call("GET", `/v1/wallets/${owner}`)).body).balance;
  const tierCharges = async (owner: string) =>
    EntryPage.parse((await h.call("GET", `/v1/wallets/${owner}/entries?limit=100`)).body).entries.filter((e) => e.kind === "priority");
  const portalTicket = async (ticketId: number) => PortalTicket.parse((await h.call("GET", `/v1/portal/tickets/${ticketId}`)).body);
  const sidebar = async (ticketId: number, harness = h) =>
    TicketOverage.parse((await harness.call("GET", `/v1/portal/tickets/${ticketId}/overage`)).body).choice;
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      const r = await h.drain();
      if (r.remaining === 0 && r.retrying === 0) return;
      h.clock.advance(10 * 60_000);
    }
  };
  /** A portal ticket asking for the 1-hour tier (250 credits) from an organisation holding `credits`, run through the portal job. */
  const declinedTicket = async (credits: number) => {
    const id = ids();
    const owner = `org:${id.org}`;
    if (credits > 0) expect((await h.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount: credits, reason: "top-up" } })).status).toBe(201);
    const ticket = deskpro.addTicket({
      id: id.ticket,
      person: id.person,
      organization: id.org,
      priority: null,
      fields: { [String(TIER_FIELD)]: choice(OPTION.oneHour) },
    });
    await h.hook("ticket-created", ticket.id);
    await settle();
    const reply = deskpro.messagesOn(ticket.id, "reply").find((m) => m.message.includes("You chose"));
    expect(reply).toBeDefined();
    const link = /href="(https:\/\/credits\.example\.test\/overage\/[^"]+)"/.exec(reply!.message)?.[1] ?? null;
    return { ticketId: ticket.id, owner, reply: reply!.message, path: link === null ? null : new URL(link).pathname };
  };
  const open = (path: string) => h.call("GET", path, { key: null });
  const submit = (path: string, answer: string) =>
    h.call("POST", path, { key: null, rawBody: `answer=${answer}`, headers: { "content-type": "application/x-www-form-urlencoded" }, idempotencyKey: null });

  it("asks in the customer's message, within the limit, and shows the question pending to agents", async () => {
    await setLimit(100);
    const t = await declinedTicket(200);
    expect(t.path).not.toBeNull();
    expect(t.reply).toContain("approve the extra 50 credits");
    expect(t.reply).toContain("balance is 200 credits"); // the existing message is still there
    expect(await sidebar(t.ticketId)).toMatchObject({ state: "pending", tier: "1-hour", price: 250, balance: 200, shortfall: 50, answeredAt: null });
    const page = await open(t.path!);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(page.text).not.toContain("<script");
    expect(page.text).toContain('value="approve">Approve 50 extra credits');
    expect(page.text).toContain('value="keep_free"');
    expect(page.text).toMatch(/href="https:\/\/credits\.example\.test\/pay\/[^"]+">Buy credits/);
    expect(page.text).toContain("<legend>Choose one</legend>");
    // Redelivered hooks ask once.
    await h.hook("ticket-created", t.ticketId);
    await settle();
    expect(deskpro.messagesOn(t.ticketId, "reply").filter((m) => m.message.includes("/overage/"))).toHaveLength(1);
  });

  it("doesn't ask when the limit is 0, or when the extra credits are over it", async () => {
    const off = await declinedTicket(200);
    expect(off.path).toBeNull();
    expect(await sidebar(off.ticketId)).toBeNull();
    await setLimit(100);
    const over = await declinedTicket(40); // 210 extra
    expect(over.path).toBeNull();
    expect(await sidebar(over.ticketId)).toBeNull();
  });

  it("approve: charges the tier once past the balance, writes the priority back and tells agents", async () => {
    await setLimit(100);
    const t = await declinedTicket(200);
    const r = await submit(t.path!, "approve");
    expect(r.status).toBe(200);
    expect(r.text).toContain("Thank you: approved");
    expect(r.text).toContain('data-testid="balance">-50');
    expect(await balance(t.owner)).toBe(-50);
    const charges = await tierCharges(t.owner);
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ amount: -250, tier: "1-hour", ticketId: String(t.ticketId) });
    expect(await portalTicket(t.ticketId)).toMatchObject({ outcome: "charged", chargedTier: "1-hour", chargeEntryId: charges[0]!.id });
    expect(await sidebar(t.ticketId)).toMatchObject({ state: "approved", entryId: charges[0]!.id });
    await settle();
    expect(deskpro.tickets.get(t.ticketId)!.priority).toBe(PRIORITY.urgent);
    expect(deskpro.messagesOn(t.ticketId, "note").filter((m) => m.message.includes("The customer approved"))).toHaveLength(1);
    // The priority change comes back as an update: nothing more moves.
    await h.hook("ticket-updated", t.ticketId);
    await settle();
    expect(await balance(t.owner)).toBe(-50);
    // The page now says what was chosen.
    expect((await open(t.path!)).text).toContain("You approved the extra credits");
  });

  it("keep free: charges nothing and records the answer", async () => {
    await setLimit(100);
    const t = await declinedTicket(200);
    const r = await submit(t.path!, "keep_free");
    expect(r.status).toBe(200);
    expect(r.text).toContain("Nothing was charged");
    expect(await balance(t.owner)).toBe(200);
    expect(await tierCharges(t.owner)).toHaveLength(0);
    expect(await sidebar(t.ticketId)).toMatchObject({ state: "kept_free" });
    expect(await portalTicket(t.ticketId)).toMatchObject({ outcome: "unaffordable", chargedTier: null });
  });

  it("the same answer twice: the second changes nothing and says so", async () => {
    await setLimit(100);
    const t = await declinedTicket(200);
    expect((await submit(t.path!, "approve")).status).toBe(200);
    const again = await submit(t.path!, "approve");
    expect(again.status).toBe(409);
    expect(again.text).toContain("You already answered");
    expect(await tierCharges(t.owner)).toHaveLength(1);
    expect(await balance(t.owner)).toBe(-50);

    const u = await declinedTicket(200);
    expect((await submit(u.path!, "keep_free")).status).toBe(200);
    expect((await submit(u.path!, "keep_free")).status).toBe(409);
    expect(await sidebar(u.ticketId)).toMatchObject({ state: "kept_free" });
  });

  it("a different answer after the first changes nothing", async () => {
    await setLimit(100);
    const kept = await declinedTicket(200);
    expect((await submit(kept.path!, "keep_free")).status).toBe(200);
    const late = await submit(kept.path!, "approve");
    expect(late.status).toBe(409);
    expect(late.text).toContain("You kept the standard response");
    expect(await balance(kept.owner)).toBe(200);
    expect(await tierCharges(kept.owner)).toHaveLength(0);
    expect(await sidebar(kept.ticketId)).toMatchObject({ state: "kept_free" });

    const approved = await declinedTicket(200);
    expect((await submit(approved.path!, "approve")).status).toBe(200);
    expect((await submit(approved.path!, "keep_free")).status).toBe(409);
    expect(await sidebar(approved.ticketId)).toMatchObject({ state: "approved" });
    expect(await balance(approved.owner)).toBe(-50);
  });

  it("concurrent submits: one answer wins, one charge at most", async () => {
    await setLimit(100);
    const t = await declinedTicket(200);
    const answers = await Promise.all(Array.from({ length: 6 }, () => submit(t.path!, "approve")));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    expect(await tierCharges(t.owner)).toHaveLength(1);
    expect(await balance(t.owner)).toBe(-50);

    const mixed = await declinedTicket(200);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => submit(mixed.path!, i % 2 === 0 ? "approve" : "keep_free")));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const state = (await sidebar(mixed.ticketId))!.state;
    const charged = await tierCharges(mixed.owner);
    expect(charged).toHaveLength(state === "approved" ? 1 : 0);
    expect(await balance(mixed.owner)).toBe(state === "approved" ? -50 : 200);
  });

  it("an expired link gives a clear page and changes nothing", async () => {
    await setLimit(100);
    const t = await declinedTicket(200);
    h.clock.advance(8 * 86_400_000);
    const page = await open(t.path!);
    expect(page.status).toBe(410);
    expect(page.text).toContain("This link has expired");
    const r = await submit(t.path!, "approve");
    expect(r.status).toBe(410);
    expect(await balance(t.owner)).toBe(200);
    expect(await tierCharges(t.owner)).toHaveLength(0);
    expect(await sidebar(t.ticketId)).toMatchObject({ state: "expired", answeredAt: null });
  });

  it("a tampered link gives a clear page and changes nothing", async () => {
    await setLimit(100);
    const t = await declinedTicket(200);
    const token = t.path!.slice("/overage/".length);
    const [payload, signature] = token.split(".") as [string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { e: number };
    const stretched = Buffer.from(JSON.stringify({ ...claims, e: claims.e + 86_400 * 365 })).toString("base64url");
    const flipped = signature.slice(0, -1) + (signature.endsWith("A") ? "B" : "A");
    for (const bad of [`${stretched}.${signature}`, `${payload}.${flipped}`, payload, `${token}.x`]) {
      const r = await submit(`/overage/${bad}`, "approve");
      expect(r.status).toBe(404);
      expect(r.text).toContain("This link is not valid");
      expect((await open(`/overage/${bad}`)).status).toBe(404);
    }
    // A customer-page link is no overage link (its own key), and an unknown answer is refused.
    const payToken = /credits\.example\.test\/pay\/([^"]+)"/.exec(t.reply)?.[1];
    expect(payToken).toBeDefined();
    expect((await submit(`/overage/${payToken}`, "approve")).status).toBe(404);
    const odd = await submit(t.path!, "approve_twice");
    expect(odd.status).toBe(400);
    expect(await balance(t.owner)).toBe(200);
    expect(await sidebar(t.ticketId)).toMatchObject({ state: "pending" });
  });

  it("over the limit when approving: nothing changes and the question stays open", async () => {
    await setLimit(100);
    const t = await declinedTicket(200);
    await setLimit(20); // the admin lowers the limit after the customer was asked
    const page = await open(t.path!);
    expect(page.text).not.toContain('value="approve"');
    expect(page.text).toContain("the most allowed on one ticket is 20");
    const r = await submit(t.path!, "approve");
    expect(r.status).toBe(422);
    expect(r.text).toContain("Nothing was charged");
    expect(r.text).toContain(`<a href="${t.path}">Back to your choice</a>`);
    expect(await balance(t.owner)).toBe(200);
    expect(await tierCharges(t.owner)).toHaveLength(0);
    expect(await sidebar(t.ticketId)).toMatchObject({ state: "pending" });
    // Credits bought meanwhile make the approval fit again.
    expect((await h.call("POST", `/v1/wallets/${t.owner}/grants`, { body: { amount: 40, reason: "bought" } })).status).toBe(201);
    expect((await submit(t.path!, "approve")).status).toBe(200);
    expect(await balance(t.owner)).toBe(-10);
  });

  it("a question whose ticket moved on can't be approved", async () => {
    await setLimit(100);
    const t = await declinedTicket(200);
    deskpro.tickets.get(t.ticketId)!.fields[String(TIER_FIELD)] = choice(OPTION.standard);
    await h.hook("ticket-updated", t.ticketId);
    await settle();
    const r = await submit(t.path!, "approve");
    expect(r.status).toBe(409);
    expect(r.text).toContain("no longer applies");
    expect(await tierCharges(t.owner)).toHaveLength(0);
    expect(await sidebar(t.ticketId)).toMatchObject({ state: "withdrawn" });
  });

  it("keeps tenants apart: settings, questions and links", async () => {
    await setLimit(100);
    const t = await declinedTicket(200);
    const other = await createPortalHarness(backend);
    try {
      expect(OverageSettingsResponse.parse((await other.call("GET", "/v1/portal/overage-settings")).body).settings.perTicketLimit).toBe(0);
      expect(await sidebar(t.ticketId, other)).toBeNull();
      // The other tenant's signature over this tenant's question: no such question there.
      const offerId = (verifyOverageLink(t.path!.slice("/overage/".length), h.clock.now()) as { ok: true; claims: { offerId: string } }).claims.offerId;
      const forged = overageToken({ tenantId: other.tenantId, offerId, expiresAt: new Date(h.clock.now().getTime() + 86_400_000) });
      const r = await submit(`/overage/${forged}`, "approve");
      expect(r.status).toBe(404);
      expect(await balance(t.owner)).toBe(200);
      expect(await sidebar(t.ticketId)).toMatchObject({ state: "pending" });
    } finally {
      await other.close();
    }
  });

  it("validates the limit", async () => {
    for (const body of [{ perTicketLimit: -1 }, { perTicketLimit: 1.5 }, { perTicketLimit: 2_000_000 }, { perTicketLimit: 10, extra: 1 }]) {
      expect((await h.call("PUT", "/v1/portal/overage-settings", { body })).status).toBe(400);
    }
    expect(OverageSettingsResponse.parse((await h.call("GET", "/v1/portal/overage-settings")).body).settings.perTicketLimit).toBe(0);
    await setLimit(75);
    expect(OverageSettingsResponse.parse((await h.call("GET", "/v1/portal/overage-settings")).body).settings.perTicketLimit).toBe(75);
  });
});
