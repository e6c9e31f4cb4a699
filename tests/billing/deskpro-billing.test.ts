/**
 * The link with Deskpro's Billing & Time Log, against the msw Deskpro (tests/portal/fake-deskpro.ts)
 * on PGlite and PostgreSQL: Deskpro's time charges counted once per charge and version, edits and
 * deletes adjusted with reversals, sidebar time written to the Billing tab and never counted back.
 */
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DeskproBillingStatus, EntryPage, OutboxPage, TicketDeskproBilling, TicketEntries, Wallet } from "../../src/contract/index.js";
import { backends } from "../helpers/ledger.js";
import { createPortalHarness, portalHelpdesk, type PortalHarness } from "../portal/harness.js";

const deskpro = portalHelpdesk();
const server = setupServer(...deskpro.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

let seq = 0;
const MINUTE = 60_000;

describe.each(backends())("Deskpro's Billing & Time Log on %s", (backend) => {
  let h: PortalHarness;
  beforeEach(async () => {
    h = await createPortalHarness(backend);
    deskpro.clock = h.clock.now;
    deskpro.dropChargeComments = false;
    deskpro.loseChargeAnswers = 0;
    deskpro.chargePage = null;
  });
  afterEach(() => h.close());

  /** A ticket of a person in an organisation whose bank holds `credits` (it pays: the person has none). */
  const ticketWith = async (credits: number) => {
    seq++;
    const ids = { ticket: 8000 + seq, person: 3000 + seq, org: 4000 + seq };
    deskpro.addTicket({ id: ids.ticket, person: ids.person, organization: ids.org });
    if (credits > 0) expect((await h.call("POST", `/v1/wallets/org:${ids.org}/grants`, { body: { amount: credits, reason: "top-up" } })).status).toBe(201);
    return { ...ids, owner: `org:${ids.org}` };
  };
  const read = async (ticketId: number) => {
    const r = await h.call("POST", `/v1/tickets/${ticketId}/deskpro-billing/read`, { body: {} });
    expect(r.status, r.text).toBe(200);
    return TicketDeskproBilling.parse(r.body);
  };
  const balance = async (owner: string) => Wallet.parse((await h.call("GET", `/v1/wallets/${owner}`)).body).balance;
  const ticketEntries = async (ticketId: number) => TicketEntries.parse((await h.call("GET", `/v1/tickets/${ticketId}/entries`)).body).entries;
  const status = async () => DeskproBillingStatus.parse((await h.call("GET", "/v1/integrations/deskpro/billing")).body);
  const outbox = async () => OutboxPage.parse((await h.call("GET", "/v1/outbox?limit=200")).body).items;
  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      const r = await h.drain();
      if (r.remaining === 0 && r.retrying === 0) return;
      h.clock.advance(10 * MINUTE);
    }
  };
  /** Opens the link (the first read of a Billing tab) and moves on a minute. */
  const linked = async (ticketId: number) => {
    await read(ticketId);
    h.clock.advance(MINUTE);
  };

  it("starts the link at the first read of a Billing tab and never counts charges made before it", async () => {
    const t = await ticketWith(1000);
    expect((await status()).linkedFrom).toBeNull();
    const old = deskpro.addCharge(t.ticket, { seconds: 1500 });
    h.clock.advance(MINUTE);
    const first = await read(t.ticket);
    expect(first.linked).toBe(true);
    expect(first.charges).toMatchObject([{ chargeId: String(old.id), state: "before_link", seconds: 1500, entryId: null }]);
    // Edited later, it still counts for nothing.
    deskpro.charges.get(old.id)!.charge_time = 3000;
    await read(t.ticket);
    expect(await balance(t.owner)).toBe(1000);
    expect((await status()).linkedFrom).toBe(new Date(h.clock.now().getTime()).toISOString());
  });

  it("charges a Deskpro time charge once at the time rate, however often and however concurrently the ticket is read", async () => {
    const t = await ticketWith(1000);
    await linked(t.ticket);
    const charge = deskpro.addCharge(t.ticket, { seconds: 25 * 60 + 20, comment: "Called the customer" });
    // The sidebar opened in several places at once, web hooks for the ticket, and the outbox draining.
    const hooks = await Promise.all([h.hook("ticket-updated", t.ticket), h.hook("ticket-updated", t.ticket)]);
    for (const hook of hooks) expect(hook.status).toBe(202);
    await Promise.all([read(t.ticket), read(t.ticket), read(t.ticket), read(t.ticket), h.drain(), read(t.ticket)]);
    await settle();
    await read(t.ticket);

    const time = (await ticketEntries(t.ticket)).filter((e) => e.kind === "time");
    expect(time).toHaveLength(1);
    // 25 min 20 s is 26 minutes; the ticket's 26 minutes bill as two 15-minute blocks at 1 credit a minute.
    expect(time[0]).toMatchObject({ owner: t.owner, minutes: 26, amount: -30, reason: `Deskpro time log: charge #${charge.id}, 25 min 20 s` });
    expect(await balance(t.owner)).toBe(970);
    const last = await read(t.ticket);
    expect(last.changed).toBe(false);
    expect(last.charges).toMatchObject([{ chargeId: String(charge.id), state: "charged", seconds: 1520, entryId: time[0]!.id }]);
    // One read job per ticket, however many hooks named it.
    expect((await outbox()).filter((row) => row.kind === "deskpro.billing_read")).toHaveLength(1);
    expect((await status()).lastCharge).toMatchObject({ chargeId: String(charge.id), ticketId: String(t.ticket), state: "charged" });
  });

  it("adjusts an edited charge with a reversal and a new debit, and a deleted one with a reversal, never changing an entry", async () => {
    const t = await ticketWith(1000);
    await linked(t.ticket);
    const charge = deskpro.addCharge(t.ticket, { seconds: 600 });
    await read(t.ticket);
    expect(await balance(t.owner)).toBe(985);
    const [first] = await ticketEntries(t.ticket);

    deskpro.charges.get(charge.id)!.charge_time = 40 * 60;
    await Promise.all([read(t.ticket), read(t.ticket)]);
    expect(await balance(t.owner)).toBe(955);
    let entries = await ticketEntries(t.ticket);
    expect(entries.map((e) => [e.kind, e.amount, e.minutes])).toEqual([
      ["time", -15, 10],
      ["refund", 15, -10],
      ["time", -45, 40],
    ]);
    expect(entries[0]).toEqual(first); // the original is untouched
    expect(entries[1]).toMatchObject({ reversesEntryId: first!.id, reason: `Deskpro time log: charge #${charge.id} edited in Deskpro` });

    // Back to the first time: a new debit, not the first one replayed.
    deskpro.charges.get(charge.id)!.charge_time = 600;
    await read(t.ticket);
    expect(await balance(t.owner)).toBe(985);

    deskpro.charges.delete(charge.id);
    await Promise.all([read(t.ticket), read(t.ticket), read(t.ticket)]);
    entries = await ticketEntries(t.ticket);
    expect(entries.map((e) => e.kind)).toEqual(["time", "refund", "time", "refund", "time", "refund"]);
    expect(entries.at(-1)!.reason).toBe(`Deskpro time log: charge #${charge.id} deleted in Deskpro`);
    expect(await balance(t.owner)).toBe(1000);
    expect((await read(t.ticket)).charges).toMatchObject([{ chargeId: String(charge.id), state: "removed" }]);
  });

  it("rounds Deskpro's time and the sidebar's on the ticket's total, and never counts the sidebar's time back", async () => {
    const t = await ticketWith(1000);
    await linked(t.ticket);
    // Sidebar time: 10 minutes, billed as a 15-minute block.
    const logged = await h.call("POST", `/v1/wallets/${t.owner}/debits`, { body: { kind: "time", minutes: 10, ticketId: String(t.ticket), agent: "Grace" } });
    expect(logged.status).toBe(201);
    expect(logged.body.entry.amount).toBe(-15);
    await settle();
    // It is in Deskpro's Billing tab now, marked as the ledger's.
    const [written] = deskpro.chargesOn(t.ticket);
    expect(written).toMatchObject({ charge_time: 600, amount: null });
    expect(written!.comment).toMatch(/^10 min logged in Support Credits by Grace: 15 credits\. Ref SC-[0-9A-Z]{14}$/);
    // Deskpro's own 10 minutes: the ticket's 20 minutes bill as 30, so 15 more.
    deskpro.addCharge(t.ticket, { seconds: 600 });
    await Promise.all([read(t.ticket), read(t.ticket)]);
    await settle();
    await read(t.ticket);
    expect(await balance(t.owner)).toBe(970);
    const entries = await ticketEntries(t.ticket);
    expect(entries.map((e) => [e.kind, e.amount, e.minutes])).toEqual([
      ["time", -15, 10],
      ["time", -15, 10],
    ]);
    const view = await read(t.ticket);
    expect(view.charges.map((c) => [c.chargeId, c.state])).toEqual([
      [String(written!.id), "logged_here"],
      [expect.any(String), "charged"],
    ]);
    expect(deskpro.chargesOn(t.ticket)).toHaveLength(2);
  });

  it("writes sidebar time once when Deskpro's answer is lost, finding its charge by the marker or, without comments, by its time", async () => {
    for (const dropComments of [false, true]) {
      const t = await ticketWith(1000);
      await linked(t.ticket);
      deskpro.dropChargeComments = dropComments;
      deskpro.loseChargeAnswers = 1;
      await h.call("POST", `/v1/wallets/${t.owner}/debits`, { body: { kind: "time", minutes: 15, ticketId: String(t.ticket) } });
      const during = await h.drain();
      expect(during.retrying).toBe(1);
      // The charge is in Deskpro but the ledger doesn't know its id yet: a read must not count it.
      expect(deskpro.chargesOn(t.ticket)).toHaveLength(1);
      await read(t.ticket);
      expect(await balance(t.owner)).toBe(985);
      h.clock.advance(MINUTE);
      await settle();
      await read(t.ticket);
      expect(deskpro.chargesOn(t.ticket)).toHaveLength(1);
      expect(deskpro.requests.filter((r) => r.route === "postCharge" && r.ticketId === t.ticket)).toHaveLength(1);
      expect(await balance(t.owner)).toBe(985);
      expect((await read(t.ticket)).charges).toMatchObject([{ chargeId: String(deskpro.chargesOn(t.ticket)[0]!.id), state: "logged_here" }]);
    }
  });

  it("takes a refunded sidebar entry's charge out of Deskpro's Billing tab", async () => {
    const t = await ticketWith(1000);
    await linked(t.ticket);
    const logged = await h.call("POST", `/v1/wallets/${t.owner}/debits`, { body: { kind: "time", minutes: 30, ticketId: String(t.ticket) } });
    await settle();
    expect(deskpro.chargesOn(t.ticket)).toHaveLength(1);
    const refund = await h.call("POST", `/v1/entries/${logged.body.entry.id}/reversal`, { body: { reason: "logged on the wrong ticket" } });
    expect(refund.status).toBe(201);
    await settle();
    expect(deskpro.chargesOn(t.ticket)).toEqual([]);
    expect(await balance(t.owner)).toBe(1000);
    expect((await read(t.ticket)).charges).toEqual([]);

    // Refunded before it was ever written: nothing reaches Deskpro.
    const quick = await h.call("POST", `/v1/wallets/${t.owner}/debits`, { body: { kind: "time", minutes: 5, ticketId: String(t.ticket) } });
    await h.call("POST", `/v1/entries/${quick.body.entry.id}/reversal`, { body: { reason: "mistake" } });
    await settle();
    expect(deskpro.chargesOn(t.ticket)).toEqual([]);
    expect((await outbox()).filter((row) => row.kind.startsWith("deskpro.time_log")).every((row) => row.state === "done")).toBe(true);
  });

  it("leaves money charges alone unless an admin maps money to credits, and a rate taken away later undoes nothing", async () => {
    const t = await ticketWith(1000);
    await linked(t.ticket);
    const money = deskpro.addCharge(t.ticket, { amount: 6.5 });
    expect((await read(t.ticket)).charges).toMatchObject([{ chargeId: String(money.id), part: "money", state: "money_not_counted", amount: "6.50" }]);
    expect(await balance(t.owner)).toBe(1000);

    const saved = await h.call("PUT", "/v1/integrations/deskpro/billing", { body: { creditsPerCurrencyUnit: 10 } });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ mode: "both_ways", settings: { fromDeskpro: true, toDeskpro: true, creditsPerCurrencyUnit: 10 } });
    await read(t.ticket);
    expect(await balance(t.owner)).toBe(935);
    expect((await ticketEntries(t.ticket)).at(-1)).toMatchObject({
      kind: "manual",
      amount: -65,
      reason: `Deskpro billing: charge #${money.id}, 6.50 at 10 credits per 1.00`,
    });

    await h.call("PUT", "/v1/integrations/deskpro/billing", { body: { creditsPerCurrencyUnit: null } });
    await read(t.ticket);
    expect(await balance(t.owner)).toBe(935);
    expect((await h.call("PUT", "/v1/integrations/deskpro/billing", { body: { creditsPerCurrencyUnit: 0.5 } })).status).toBe(400);
  });

  it("waits for credits: a charge the bank can't pay is charged once when it can", async () => {
    const t = await ticketWith(10);
    await linked(t.ticket);
    deskpro.addCharge(t.ticket, { seconds: 3600 });
    expect((await read(t.ticket)).charges).toMatchObject([{ state: "unpaid" }]);
    expect(await balance(t.owner)).toBe(10);
    expect((await status()).unpaid).toBe(1);
    await h.call("POST", `/v1/wallets/${t.owner}/grants`, { body: { amount: 100, reason: "top-up" } });
    await Promise.all([read(t.ticket), read(t.ticket)]);
    expect(await balance(t.owner)).toBe(50);
    expect((await status()).unpaid).toBe(0);
  });

  it("reads on web hooks only once the link has started, and stops counting when Deskpro → bank is off", async () => {
    const t = await ticketWith(1000);
    expect((await h.hook("ticket-updated", t.ticket)).status).toBe(202);
    expect((await outbox()).filter((row) => row.kind === "deskpro.billing_read")).toEqual([]);
    await linked(t.ticket);

    await h.call("PUT", "/v1/integrations/deskpro/billing", { body: { fromDeskpro: false } });
    deskpro.addCharge(t.ticket, { seconds: 600 });
    await h.hook("ticket-updated", t.ticket);
    await settle();
    const off = await read(t.ticket);
    expect(off.mode).toBe("to_deskpro");
    expect(off.charges).toEqual([]);
    expect(await balance(t.owner)).toBe(1000);

    // Back on: only charges made from now on count.
    h.clock.advance(MINUTE);
    const on = DeskproBillingStatus.parse((await h.call("PUT", "/v1/integrations/deskpro/billing", { body: { fromDeskpro: true } })).body);
    expect(on.linkedFrom).toBe(h.clock.now().toISOString());
    h.clock.advance(MINUTE);
    deskpro.addCharge(t.ticket, { seconds: 900 });
    await h.hook("ticket-updated", t.ticket);
    await settle();
    expect(await balance(t.owner)).toBe(985);
    expect((await read(t.ticket)).charges.map((c) => c.state)).toEqual(["before_link", "charged"]);

    // Neither way: the sidebar's time stays in the ledger.
    await h.call("PUT", "/v1/integrations/deskpro/billing", { body: { fromDeskpro: false, toDeskpro: false } });
    await h.call("POST", `/v1/wallets/${t.owner}/debits`, { body: { kind: "time", minutes: 5, ticketId: String(t.ticket) } });
    await settle();
    expect(deskpro.chargesOn(t.ticket)).toHaveLength(2);
    expect((await read(t.ticket)).mode).toBe("off");
  });

  it("answers 502 when Deskpro fails, changes nothing and says so on the settings page", async () => {
    const t = await ticketWith(1000);
    await linked(t.ticket);
    deskpro.addCharge(t.ticket, { seconds: 600 });
    deskpro.fail("listCharges", 503, 3);
    const r = await h.call("POST", `/v1/tickets/${t.ticket}/deskpro-billing/read`, { body: {} });
    expect(r.status).toBe(502);
    expect(r.body.code).toBe("deskpro_unavailable");
    expect(await balance(t.owner)).toBe(1000);
    expect((await status()).lastRead).toMatchObject({ ticketId: String(t.ticket), error: expect.stringContaining("503") });
    await read(t.ticket);
    expect(await balance(t.owner)).toBe(985);
    expect((await status()).lastRead!.error).toBeNull();
  });

  it("reads tickets with recent charges again in the sweep, so a delete in Deskpro is counted without a hook", async () => {
    const t = await ticketWith(1000);
    await linked(t.ticket);
    const charge = deskpro.addCharge(t.ticket, { seconds: 900 });
    await read(t.ticket);
    expect(await balance(t.owner)).toBe(985);
    deskpro.charges.delete(charge.id);
    expect((await h.call("POST", "/v1/cron/allocate", { body: {} })).status).toBe(200);
    await settle();
    expect(await balance(t.owner)).toBe(1000);
  });

  /** The ticket's rows of Deskpro charges as stored: a read that changes nothing leaves them byte for byte. */
  const chargeRows = async (ticketId: number) =>
    h.db.query("SELECT * FROM deskpro_charges WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY charge_id, part", [h.tenantId, String(ticketId)]);

  it("takes a charge listed twice as one charge, and reading an unchanged answer again writes nothing", async () => {
    const t = await ticketWith(1000);
    await linked(t.ticket);
    const charge = deskpro.addCharge(t.ticket, { seconds: 600 });
    // Deskpro lists it a second time with another time (a page that shifted while it was read): the later listing is taken.
    deskpro.chargePage = (page) => [...page, { ...page[0]!, charge_time: 1200 }];
    const first = await read(t.ticket);
    expect(first.charges).toMatchObject([{ chargeId: String(charge.id), part: "time", state: "charged", seconds: 1200 }]);
    expect(first.charges).toHaveLength(1);
    const entries = await ticketEntries(t.ticket);
    expect(entries.map((e) => [e.kind, e.minutes, e.amount])).toEqual([["time", 20, -30]]);
    const rows = await chargeRows(t.ticket);
    for (let i = 0; i < 3; i++) expect((await read(t.ticket)).changed).toBe(false);
    expect(await ticketEntries(t.ticket)).toEqual(entries);
    expect(await chargeRows(t.ticket)).toEqual(rows);
    expect(await balance(t.owner)).toBe(970);
  });

  it("refuses a charge it can't take, says why, and still counts the ticket's other charges", async () => {
    const t = await ticketWith(1000);
    await linked(t.ticket);
    await h.call("PUT", "/v1/integrations/deskpro/billing", { body: { creditsPerCurrencyUnit: 1_000_000 } });
    const fine = deskpro.addCharge(t.ticket, { seconds: 600 });
    const outOfRange = deskpro.addCharge(t.ticket, { seconds: 2 ** 53 });
    const tooLong = deskpro.addCharge(t.ticket, { seconds: 1e9 }); // 16,666,667 minutes in one charge
    const tooDear = deskpro.addCharge(t.ticket, { amount: 2000 }); // 2,000,000,000 credits at this rate
    const view = await read(t.ticket);
    expect(view.charges.map((c) => [c.chargeId, c.part, c.state, c.refusal?.reason ?? null])).toEqual([
      [String(fine.id), "time", "charged", null],
      [String(outOfRange.id), "time", "refused", "out_of_range"],
      [String(tooLong.id), "time", "refused", "over_write_limit"],
      [String(tooDear.id), "money", "refused", "over_credit_limit"],
    ]);
    expect(view.charges[2]!.refusal!.detail).toMatch(/16,666,667 minutes.*100,000/);
    expect(view.charges[3]!.refusal!.detail).toMatch(/2,000,000,000 credits.*1,000,000,000/);
    // Only the charge it could take was counted; nothing else was written.
    expect((await ticketEntries(t.ticket)).map((e) => [e.kind, e.minutes, e.amount])).toEqual([["time", 10, -15]]);
    expect(await balance(t.owner)).toBe(985);
    // The same answer again changes nothing.
    const rows = await chargeRows(t.ticket);
    expect((await read(t.ticket)).changed).toBe(false);
    expect(await chargeRows(t.ticket)).toEqual(rows);
    // The settings page lists them, with the ticket and why.
    const refused = (await status()).refused;
    expect(refused.count).toBe(3);
    expect(refused.latest.map((c) => [c.chargeId, c.ticketId, c.refusal?.reason])).toEqual(
      expect.arrayContaining([[String(tooLong.id), String(t.ticket), "over_write_limit"]]),
    );
    // Corrected in Deskpro, a refused charge counts: 10 + 50 minutes on the ticket bill as 60.
    deskpro.charges.get(tooLong.id)!.charge_time = 3000;
    expect((await read(t.ticket)).charges.find((c) => c.chargeId === String(tooLong.id))).toMatchObject({ state: "charged", refusal: null });
    expect(await balance(t.owner)).toBe(940);
    expect((await status()).refused.count).toBe(2);
  });

  it("reads each item of Deskpro's list on its own: an unreadable one is left out and is never taken for a deleted charge", async () => {
    const t = await ticketWith(1000);
    await linked(t.ticket);
    const kept = deskpro.addCharge(t.ticket, { seconds: 600 });
    await read(t.ticket);
    expect(await balance(t.owner)).toBe(985);
    const added = deskpro.addCharge(t.ticket, { seconds: 900 });
    // The known charge comes back without a usable id, beside items that are not charges at all.
    deskpro.chargePage = (page) => [...page.map((c) => (c.id === kept.id ? { ...c, id: "seven hundred" } : c)), null, "charge", { id: -1 }];
    const view = await read(t.ticket);
    expect(view.unreadable).toBe(4);
    expect(view.charges.map((c) => [c.chargeId, c.state])).toEqual([
      [String(kept.id), "charged"],
      [String(added.id), "charged"],
    ]);
    expect(await balance(t.owner)).toBe(970);
    // Once the list reads whole again, a charge that is really gone is reversed.
    deskpro.chargePage = null;
    deskpro.charges.delete(kept.id);
    await read(t.ticket);
    expect(await balance(t.owner)).toBe(985);
  });

  it("refuses a read whole when Deskpro answers more than the ledger reads, writing nothing and saying why", async () => {
    const t = await ticketWith(1000);
    await linked(t.ticket);
    const first = deskpro.addCharge(t.ticket, { seconds: 600 });
    await read(t.ticket);
    expect(await balance(t.owner)).toBe(985);
    deskpro.addCharge(t.ticket, { seconds: 900 });
    const refusedRead = async (limit: string) => {
      const r = await h.call("POST", `/v1/tickets/${t.ticket}/deskpro-billing/read`, { body: {} });
      expect(r.status, r.text).toBe(502);
      expect(r.body).toMatchObject({ code: "deskpro_over_limit", limit });
      return r.body.detail as string;
    };
    // A page of 1 MiB and more (comments of 2 MB each, which Deskpro keeps to 255 characters).
    deskpro.chargePage = (page) => page.map((c) => ({ ...c, comment: "x".repeat(2 * 1024 * 1024) }));
    expect(await refusedRead("answer_bytes")).toMatch(/is larger than 1 MiB, the most the ledger reads there\. Nothing was changed\.$/);
    expect((await status()).lastRead).toMatchObject({ ticketId: String(t.ticket), error: expect.stringContaining("larger than 1 MiB") });
    // More charges than one read takes (5,000): refused, never read as a list cut short whose missing charges look deleted.
    deskpro.chargePage = null;
    for (let i = 0; i < 5_000; i++) deskpro.addCharge(t.ticket, { seconds: 60 });
    expect(await refusedRead("pages")).toMatch(/more than 5,000 charges/);
    expect(deskpro.requests.filter((r) => r.route === "listCharges" && r.ticketId === t.ticket && /page=51/.test(r.query ?? ""))).toEqual([]);
    // Nothing was written: the first charge is still counted once, nothing else is.
    expect(await balance(t.owner)).toBe(985);
    expect((await ticketEntries(t.ticket)).map((e) => e.reason)).toEqual([`Deskpro time log: charge #${first.id}, 10 min`]);
    for (const c of deskpro.chargesOn(t.ticket)) if (c.id !== first.id) deskpro.charges.delete(c.id);
    expect((await read(t.ticket)).charges).toMatchObject([{ chargeId: String(first.id), state: "charged" }]);
  });

  it("refuses a ticket id that isn't numeric, and needs the tenant's key", async () => {
    expect((await h.call("POST", "/v1/tickets/abc/deskpro-billing/read", { body: {} })).status).toBe(400);
    expect((await h.call("POST", "/v1/tickets/1/deskpro-billing/read", { body: {}, key: null })).status).toBe(401);
    expect((await h.call("GET", "/v1/integrations/deskpro/billing", { key: null })).status).toBe(401);
  });
});

describe("a statement of a bank paying for Deskpro's time", () => {
  it("says where each entry came from", async () => {
    const h = await createPortalHarness("pglite");
    deskpro.clock = h.clock.now;
    deskpro.addTicket({ id: 9901, person: 9902, organization: 9903 });
    await h.call("POST", "/v1/wallets/org:9903/grants", { body: { amount: 100, reason: "top-up" } });
    await h.call("POST", "/v1/tickets/9901/deskpro-billing/read", { body: {} });
    h.clock.advance(MINUTE);
    const charge = deskpro.addCharge(9901, { seconds: 300 });
    await h.call("POST", "/v1/tickets/9901/deskpro-billing/read", { body: {} });
    const statement = EntryPage.parse((await h.call("GET", "/v1/wallets/org:9903/entries")).body).entries;
    expect(statement[0]!.reason).toBe(`Deskpro time log: charge #${charge.id}, 5 min`);
    const csv = await h.call("GET", "/v1/wallets/org:9903/entries", { headers: { accept: "text/csv" } });
    expect(csv.text).toContain(`Deskpro time log: charge #${charge.id}`);
    await h.close();
  });
});
