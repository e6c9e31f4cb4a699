import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Problem, TicketEntries, TicketPayer, TicketSidebar } from "../../src/contract/index.js";
import { backends, createTestLedger, type TestLedger } from "../helpers/ledger.js";

let seq = 0;
const newPerson = () => String(710000 + ++seq);
const newOrg = () => String(810000 + ++seq);
const newTicket = () => String(610000 + ++seq);

describe.each(backends())("the ticket sidebar's one read on %s", (backend) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await createTestLedger(backend);
  });
  afterAll(() => ledger.close());

  /** The sidebar's answer, then what the payer and entries routes answer apart for the same ticket. */
  const readBoth = async (ticketId: string, query: string, key = ledger.apiKey) => {
    const sidebar = await ledger.call("GET", `/v1/tickets/${ticketId}/sidebar?${query}`, { key });
    expect(sidebar.status, sidebar.text).toBe(200);
    const payer = await ledger.call("GET", `/v1/tickets/${ticketId}/payer?${query}`, { key });
    const entries = await ledger.call("GET", `/v1/tickets/${ticketId}/entries`, { key });
    return { sidebar: TicketSidebar.parse(sidebar.body), apart: { payer: TicketPayer.parse(payer.body), charges: TicketEntries.parse(entries.body) } };
  };

  it("answers what the payer and entries routes answer apart: before any charge, after charges, and after the payer changed", async () => {
    const person = newPerson();
    const org = newOrg();
    const ticketId = newTicket();
    const query = `person=${person}&org=${org}`;

    const fresh = await readBoth(ticketId, query);
    expect(fresh.sidebar).toEqual(fresh.apart);
    expect(fresh.sidebar.payer).toMatchObject({ owner: `org:${org}`, reason: "organisation", wallet: { balance: 0 } });
    expect(fresh.sidebar.charges.entries).toEqual([]);

    await ledger.call("POST", `/v1/wallets/org:${org}/grants`, { body: { amount: 500, reason: "top-up" } });
    expect((await ledger.call("POST", `/v1/wallets/org:${org}/debits`, { body: { kind: "time", minutes: 30, ticketId } })).status).toBe(201);
    expect((await ledger.call("POST", `/v1/wallets/org:${org}/debits`, { body: { kind: "manual", amount: 7, reason: "call", ticketId } })).status).toBe(201);
    const charged = await readBoth(ticketId, query);
    expect(charged.sidebar).toEqual(charged.apart);
    expect(charged.sidebar.charges.entries).toHaveLength(2);
    expect(charged.sidebar.payer.pin).toMatchObject({ owner: `org:${org}`, how: "first_charge" });
    expect(charged.sidebar.payer.wallet.balance).toBe(500 - charged.sidebar.charges.totals.net);

    // An agent moves the ticket to the person's own bank; the earlier charges stay with the organisation.
    await ledger.call("POST", `/v1/wallets/person:${person}/grants`, { body: { amount: 40, reason: "own credits" } });
    expect((await ledger.call("PUT", `/v1/tickets/${ticketId}/payer`, { body: { owner: `person:${person}`, reason: "asked to" } })).status).toBe(200);
    expect((await ledger.call("POST", `/v1/wallets/person:${person}/debits`, { body: { kind: "manual", amount: 5, reason: "call", ticketId } })).status).toBe(
      201,
    );
    const moved = await readBoth(ticketId, query);
    expect(moved.sidebar).toEqual(moved.apart);
    expect(moved.sidebar.payer).toMatchObject({ owner: `person:${person}`, wallet: { balance: 35 }, pin: { how: "agent" } });
    expect(new Set(moved.sidebar.charges.entries.map((e) => e.owner))).toEqual(new Set([`org:${org}`, `person:${person}`]));
  });

  it("shows a tenant only its own banks and charges, for the same ticket and people", async () => {
    const person = newPerson();
    const org = newOrg();
    const ticketId = newTicket();
    const query = `person=${person}&org=${org}`;
    await ledger.call("POST", `/v1/wallets/org:${org}/grants`, { body: { amount: 300, reason: "top-up" } });
    await ledger.call("POST", `/v1/wallets/org:${org}/debits`, { body: { kind: "manual", amount: 20, reason: "call", ticketId } });

    const other = await ledger.newTenant();
    const theirs = await readBoth(ticketId, query, other.apiKey);
    expect(theirs.sidebar).toEqual(theirs.apart);
    expect(theirs.sidebar.payer).toMatchObject({ owner: `org:${org}`, wallet: { balance: 0 }, pin: null });
    expect(theirs.sidebar.charges).toMatchObject({ entries: [], totals: { net: 0 } });

    const ours = await readBoth(ticketId, query);
    expect(ours.sidebar.payer.wallet.balance).toBe(280);
    expect(ours.sidebar.charges.totals.net).toBe(20);
  });

  it("refuses a bad ticket, person or organisation id with the fields named, and a missing key, writing nothing", async () => {
    const person = newPerson();
    const org = newOrg();
    for (const [path, field] of [
      [`/v1/tickets/not-a-ticket/sidebar?person=${person}`, "ticketId"],
      [`/v1/tickets/${newTicket()}/sidebar`, "person"],
      [`/v1/tickets/${newTicket()}/sidebar?person=ada`, "person"],
      [`/v1/tickets/${newTicket()}/sidebar?person=${person}&org=-4`, "org"],
    ] as const) {
      const refused = await ledger.call("GET", path);
      expect(refused.status, path).toBe(400);
      const body = Problem.parse(refused.body);
      expect(body.code).toBe("invalid_request");
      expect(JSON.stringify(body.errors), path).toContain(field);
    }
    const keyless = await ledger.call("GET", `/v1/tickets/${newTicket()}/sidebar?person=${person}&org=${org}`, { key: null });
    expect(keyless.status).toBe(401);
    // Nothing was made for the banks named in the refused reads.
    const wallets = await ledger.call("GET", `/v1/wallets?type=person`);
    expect(JSON.stringify(wallets.body)).not.toContain(`person:${person}`);
  });
});
