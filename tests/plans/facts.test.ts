/**
 * Plan rules fed by what Deskpro knows: the ledger reads organisation and person custom fields
 * and the SLAs on a bank's tickets through Deskpro's REST API (msw playing Deskpro), on a new
 * portal ticket and when a sidebar asks, and the bank lands on the plan the first matching rule
 * gives it.
 */
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WalletProfileRefresh, LedgerConfig, Wallet } from "../../src/contract/index.js";
import { profileFields } from "../../src/ledger/features/wallet-facts.js";
import { resolvePlan } from "../../src/ledger/domain/plans.js";
import { choice } from "../portal/fake-deskpro.js";
import { createPortalHarness, OPTION, portalHelpdesk, TEST_CONFIG, TIER_FIELD, type PortalHarness } from "../portal/harness.js";

const MEMBERSHIP_FIELD = 12; // organisation field: option 31 = "Gold"
const REGISTRATION_FIELD = 21; // person field chosen at registration
const PRIORITY_SLA = 9;

const RULES_CONFIG = {
  ...TEST_CONFIG,
  plans: [
    { key: "gold", name: "Gold membership", creditsPerPeriod: 1000 },
    { key: "sla-plan", name: "Enterprise SLA", creditsPerPeriod: 3000 },
    { key: "priority", name: "Priority support with credits", creditsPerPeriod: 200 },
  ],
  planRules: [
    { type: "org_field", fieldId: String(MEMBERSHIP_FIELD), value: "31", plan: "gold" },
    { type: "org_field", fieldId: "membership", value: "Platinum", plan: "sla-plan" },
    { type: "sla", slaId: String(PRIORITY_SLA), plan: "sla-plan" },
    { type: "person_field", fieldId: String(REGISTRATION_FIELD), value: "Priority support with credits", plan: "priority" },
  ],
};

describe("reading Deskpro's facts", () => {
  it("keeps every value of a field, one per line, under its id and its aliases", () => {
    expect(
      profileFields({
        "12": { aliases: ["membership"], value: [31] },
        field13: { value: [{ id: 4, title: "Monthly" }] },
        "14": { aliases: [], value: "  Priority   support " },
        "15": { aliases: [], value: null },
        "bad key!": { value: "x" },
      }),
    ).toEqual({ "12": "31", membership: "31", "13": "4\nMonthly", "14": "Priority support" });
    expect(profileFields([{ id: 12, value: [31, 32] }])).toEqual({ "12": "31\n32" });
    expect(profileFields(null)).toEqual({});
  });

  it("matches a rule on any of a field's values, ignoring case", () => {
    const config = LedgerConfig.parse(RULES_CONFIG);
    const facts = (orgFields: Record<string, string>) => ({ orgFields, personFields: {}, slaIds: [] });
    expect(resolvePlan(config, null, facts({ "12": "31\nGold" })).plan?.key).toBe("gold");
    expect(resolvePlan(config, null, facts({ membership: "platinum" })).plan?.key).toBe("sla-plan");
    expect(resolvePlan(config, null, facts({ "12": "32\nSilver" })).plan).toBeNull();
  });
});

const deskpro = portalHelpdesk();
const server = setupServer(...deskpro.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

describe("plans from Deskpro facts through the ledger (PGlite)", () => {
  let h: PortalHarness;
  let seq = 0;
  beforeEach(async () => {
    h = await createPortalHarness("pglite");
    expect((await h.call("PUT", "/v1/config", { body: RULES_CONFIG })).status).toBe(200);
  });
  afterEach(() => h.close());

  const ids = () => {
    seq++;
    return { org: 5000 + seq, person: 6000 + seq, ticket: 8000 + seq };
  };
  const wallet = async (owner: string) => Wallet.parse((await h.call("GET", `/v1/wallets/${owner}`)).body);
  const portalTicket = async (ticket: { id: number; person: number; organization: number | null; slas?: Array<{ sla: number }> }) => {
    deskpro.addTicket({ ...ticket, fields: { [String(TIER_FIELD)]: choice(OPTION.oneHour) } });
    expect((await h.hook("ticket-created", ticket.id)).status).toBe(202);
    await h.drain();
  };

  it("puts an organisation on the plan its membership field gives, on its first portal ticket, and charges the tier from it", async () => {
    const { org, person, ticket } = ids();
    deskpro.organizations.set(org, { id: org, name: "Gold Org", fields: { [String(MEMBERSHIP_FIELD)]: { aliases: [], value: [31] } } });
    await portalTicket({ id: ticket, person, organization: org });
    const bank = await wallet(`org:${org}`);
    expect(bank.plan?.key).toBe("gold");
    expect(bank.planSource).toBe("org_field");
    expect(bank.planRule).toBe(`organisation field ${MEMBERSHIP_FIELD} is "31"`);
    // The period's 1,000 credits arrived before the 1-hour tier's 250 were taken.
    expect(bank.balance).toBe(750);
    // The person matched no rule, so no bank was opened for them.
    expect((await wallet(`person:${person}`)).updatedAt).toBeNull();
  });

  it("gives a person who chose priority support at registration their own plan, which then pays", async () => {
    const { person, ticket } = ids();
    deskpro.people.set(person, {
      id: person,
      first_name: "Rosalind",
      last_name: "Franklin",
      name: "Rosalind Franklin",
      primary_email: `p${person}@example.test`,
      organization: null,
      fields: { [String(REGISTRATION_FIELD)]: { aliases: [], value: "Priority support with credits" } },
    });
    await portalTicket({ id: ticket, person, organization: null });
    const bank = await wallet(`person:${person}`);
    expect(bank.plan?.key).toBe("priority");
    expect(bank.planSource).toBe("person_field");
    expect(bank.balance).toBe(200); // 200 can't pay the 250 fee, so it isn't charged
    const charges = (await h.call("GET", `/v1/tickets/${ticket}/entries`)).body as { entries: unknown[] };
    expect(charges.entries).toHaveLength(0);
  });

  it("reads the SLA Deskpro put on an organisation's ticket from the ticket's SLA links", async () => {
    const { org, person, ticket } = ids();
    deskpro.organizations.set(org, { id: org, name: "SLA Org", fields: {} });
    await portalTicket({ id: ticket, person, organization: org, slas: [{ sla: PRIORITY_SLA }] });
    // The ticket lists the link's id, not the SLA's: the SLA is read from /tickets/{id}/ticket_slas.
    expect(deskpro.tickets.get(ticket)!.ticket_slas).not.toContain(PRIORITY_SLA);
    expect(deskpro.requests.filter((r) => r.route === "getTicketSlas" && r.ticketId === ticket)).toHaveLength(1);
    const bank = await wallet(`org:${org}`);
    expect(bank.plan?.key).toBe("sla-plan");
    expect(bank.planRule).toBe(`SLA ${PRIORITY_SLA}`);
    expect(bank.balance).toBe(3000 - 250);
  });

  it("takes SLAs only from tickets, never from a person or organisation record, and asks nothing when the ticket has none", async () => {
    const { org, person, ticket } = ids();
    // Deskpro's people and organisations have no SLA field; a stray one must not give a plan.
    deskpro.organizations.set(org, { id: org, name: "No SLA Org", fields: {}, slas: [PRIORITY_SLA] } as never);
    await portalTicket({ id: ticket, person, organization: org });
    expect((await wallet(`org:${org}`)).plan).toBeNull();
    expect(deskpro.requests.filter((r) => r.route === "getTicketSlas" && r.ticketId === ticket)).toHaveLength(0);
  });

  it("refreshes on request from a sidebar: a changed field moves the bank to another plan, unchanged facts write nothing", async () => {
    const { org } = ids();
    deskpro.organizations.set(org, { id: org, name: "Moving Org", fields: { [String(MEMBERSHIP_FIELD)]: { aliases: [], value: [31] } } });
    const first = WalletProfileRefresh.parse((await h.call("POST", `/v1/wallets/org:${org}/profile/refresh`, { body: {} })).body);
    expect(first).toMatchObject({ read: true, changed: true });
    expect(first.wallet.plan?.key).toBe("gold");
    expect(first.wallet.balance).toBe(1000);

    const again = WalletProfileRefresh.parse((await h.call("POST", `/v1/wallets/org:${org}/profile/refresh`, { body: {} })).body);
    expect(again).toMatchObject({ read: true, changed: false });

    deskpro.organizations.set(org, { id: org, name: "Moving Org", fields: { [String(MEMBERSHIP_FIELD)]: { aliases: ["membership"], value: ["Platinum"] } } });
    const moved = WalletProfileRefresh.parse((await h.call("POST", `/v1/wallets/org:${org}/profile/refresh`, { body: {} })).body);
    expect(moved.changed).toBe(true);
    expect(moved.wallet.plan?.key).toBe("sla-plan");
    // This period was allocated on the old plan; the new one allocates from the next period.
    expect(moved.wallet.balance).toBe(1000);
    h.clock.set("2026-02-01T00:00:00.000Z");
    // January's allocation lapsed at the month's end (no rollover on either plan); February brings the new plan's.
    expect((await wallet(`org:${org}`)).balance).toBe(3000);
  });

  it("asks Deskpro nothing when no rule reads that kind of bank, and says so", async () => {
    const { person } = ids();
    expect(
      (await h.call("PUT", "/v1/config", { body: { ...RULES_CONFIG, planRules: RULES_CONFIG.planRules.filter((r) => r.type === "org_field") } })).status,
    ).toBe(200);
    const before = deskpro.requests.length;
    const result = WalletProfileRefresh.parse((await h.call("POST", `/v1/wallets/person:${person}/profile/refresh`, { body: {} })).body);
    expect(result).toMatchObject({ read: false, changed: false });
    expect(deskpro.requests.length).toBe(before);
  });

  it("answers 409 without a Deskpro connection and 502 when Deskpro fails, changing nothing", async () => {
    const { org } = ids();
    deskpro.organizations.set(org, { id: org, name: "Gold Org", fields: { [String(MEMBERSHIP_FIELD)]: { aliases: [], value: [31] } } });
    deskpro.fail("getOrganization", 503, 3);
    const failed = await h.call("POST", `/v1/wallets/org:${org}/profile/refresh`, { body: {} });
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ code: "deskpro_unavailable" });
    expect((await wallet(`org:${org}`)).plan).toBeNull();

    const bare = await createPortalHarness("pglite", { configure: false });
    try {
      expect((await bare.call("PUT", "/v1/config", { body: RULES_CONFIG })).status).toBe(200);
      const unconnected = await bare.call("POST", `/v1/wallets/org:${org}/profile/refresh`, { body: {} });
      expect(unconnected.status).toBe(409);
      expect(unconnected.body).toMatchObject({ code: "deskpro_not_connected" });
    } finally {
      await bare.close();
    }
  });
});
