/**
 * The guided portal setup that replaces the terminal: the tier field made through Deskpro's API
 * and mapped to the tiers, a webhook secret shown once, the web hook actions with every value, the
 * pickers' lists, and a checklist that turns green as the ledger sees each piece working.
 */
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DeskproLookups, PortalSettingsResponse, PortalSetup, TierFieldCreated } from "../../src/contract/index.js";
import { backends } from "../helpers/ledger.js";
import { choice, DESKPRO_API_KEY, DESKPRO_URL, FakeDeskpro } from "../portal/fake-deskpro.js";
import { createPortalHarness, TEST_CONFIG, type PortalHarness } from "../portal/harness.js";

const deskpro = new FakeDeskpro();
deskpro.personFields = [
  {
    id: 21,
    title: "Support choice",
    alias: "support_choice",
    choices: [
      { id: 211, title: "Standard support" },
      { id: 212, title: "Priority support" },
    ],
  },
];
deskpro.organizationFields = [{ id: 31, title: "Membership level", alias: null, choices: [{ id: 311, title: "Gold" }] }];
const server = setupServer(...deskpro.handlers());
// Fields a test made are gone before the next one: the ledger finds a field by its title.
const fieldsAtStart = new Set(deskpro.customFields.keys());
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  for (const id of deskpro.customFields.keys()) if (!fieldsAtStart.has(id)) deskpro.customFields.delete(id);
  deskpro.recover();
  server.resetHandlers();
});
afterAll(() => server.close());

let ticketSeq = 7000;

describe.each(backends())("guided portal setup on %s", (backend) => {
  let h: PortalHarness;
  beforeEach(async () => {
    h = await createPortalHarness(backend, { configure: false });
    expect((await h.call("PUT", "/v1/config", { body: TEST_CONFIG })).status).toBe(200);
    expect((await h.call("PUT", "/v1/integrations/deskpro", { body: { url: DESKPRO_URL, apiKey: DESKPRO_API_KEY } })).status).toBe(200);
  });
  afterEach(() => h.close());
  const setup = async () => PortalSetup.parse((await h.call("GET", "/v1/portal/setup")).body);

  it("creates the tier field with one option per tier titled with its price, maps them, and creates it once", async () => {
    const before = deskpro.count("postCustomField");
    const created = TierFieldCreated.parse((await h.call("POST", "/v1/portal/tier-field", { body: {} })).body);
    expect(deskpro.count("postCustomField")).toBe(before + 1);
    const field = deskpro.customFields.get(created.fieldId)!;
    expect(field.title).toBe("Response time");
    expect(field.choices.map((c) => c.title)).toEqual(["Standard response (free)", "4-hour response — 150 credits", "1-hour response — 250 credits"]);
    expect(created.options.map((o) => [o.tier, o.optionId])).toEqual(field.choices.map((c, i) => [TEST_CONFIG.tiers[i]!.key, c.id]));
    const settings = PortalSettingsResponse.parse((await h.call("GET", "/v1/portal/settings")).body).settings;
    expect(settings.tierFieldId).toBe(created.fieldId);
    expect(settings.tierOptions.map((o) => o.optionId)).toEqual(field.choices.map((c) => c.id));
    // Pressed again: the same field, nothing created.
    const again = TierFieldCreated.parse((await h.call("POST", "/v1/portal/tier-field", { body: {} })).body);
    expect(again.fieldId).toBe(created.fieldId);
    expect(deskpro.count("postCustomField")).toBe(before + 1);
    expect((await setup()).checklist.fieldFound).toMatchObject({ done: true, detail: "Response time: 2 of 2 paid tiers have an option" });
  });

  it("finds the field by its title when Deskpro answers the create with no body, and a second press makes no second field", async () => {
    deskpro.createFieldWithoutBody = true;
    try {
      const before = deskpro.count("postCustomField");
      const answer = await h.call("POST", "/v1/portal/tier-field", { body: {} });
      expect(answer.status).toBe(200);
      const created = TierFieldCreated.parse(answer.body);
      const field = deskpro.customFields.get(created.fieldId)!;
      expect(field.title).toBe("Response time");
      expect(created.options.map((o) => o.optionId)).toEqual(field.choices.map((c) => c.id));
      // The settings forgot the field (another helpdesk's import, a reset): the title still finds it.
      const { settings } = PortalSettingsResponse.parse((await h.call("GET", "/v1/portal/settings")).body);
      expect((await h.call("PUT", "/v1/portal/settings", { body: { ...settings, tierFieldId: null, tierOptions: [] } })).status).toBe(200);
      const again = TierFieldCreated.parse((await h.call("POST", "/v1/portal/tier-field", { body: {} })).body);
      expect(again.fieldId).toBe(created.fieldId);
      expect(deskpro.count("postCustomField")).toBe(before + 1);
      expect([...deskpro.customFields.values()].filter((f) => f.title === "Response time")).toHaveLength(1);
    } finally {
      deskpro.createFieldWithoutBody = false;
    }
  });

  it("after a tier is added, names the tier with no option and the title it needs, lists it in the option titles, and finds the option once made", async () => {
    const created = TierFieldCreated.parse((await h.call("POST", "/v1/portal/tier-field", { body: {} })).body);
    const withTwoHour = {
      tiers: [...TEST_CONFIG.tiers, { key: "2-hour", label: "2-hour response", responseMinutes: 120, price: 200, deskproPriorityId: null }],
    };
    expect((await h.call("PUT", "/v1/config", { body: withTwoHour })).status).toBe(200);

    const pending = await setup();
    expect(pending.tierFieldId).toBe(created.fieldId);
    expect(pending.checklist.fieldFound).toMatchObject({
      done: false,
      detail:
        "Response time: no option yet for 2-hour response (add one titled “2-hour response — 200 credits”). Add it in Admin → Tickets → Fields, then press Find the new options.",
    });
    const labels = (await h.call("GET", "/v1/portal/tier-labels")).body as {
      allMatch: boolean;
      options: Array<{ tier: string; optionId: number | null; matches: boolean }>;
    };
    expect(labels.allMatch).toBe(false);
    expect(labels.options.find((o) => o.tier === "2-hour")).toMatchObject({ optionId: null, matches: false });

    // The admin adds the option in Deskpro with the title named; the same button finds it, and makes no second field.
    const field = deskpro.customFields.get(created.fieldId)!;
    field.choices.push({ id: 9_901, title: "2-hour response — 200 credits" });
    const before = deskpro.count("postCustomField");
    const again = TierFieldCreated.parse((await h.call("POST", "/v1/portal/tier-field", { body: {} })).body);
    expect(again.fieldId).toBe(created.fieldId);
    expect(deskpro.count("postCustomField")).toBe(before);
    expect((await setup()).checklist.fieldFound).toMatchObject({ done: true, detail: "Response time: 3 of 3 paid tiers have an option" });
    expect(((await h.call("GET", "/v1/portal/tier-labels")).body as { allMatch: boolean }).allMatch).toBe(true);
  });

  it("gives paid tiers that set no priority one from Deskpro's list when it makes the field (fastest tier, most urgent), keeping one an admin chose", async () => {
    const tiers = TEST_CONFIG.tiers.map((t) => (t.key === "standard" ? t : { ...t, deskproPriorityId: null }));
    expect((await h.call("PUT", "/v1/config", { body: { tiers } })).status).toBe(200);
    const created = TierFieldCreated.parse((await h.call("POST", "/v1/portal/tier-field", { body: {} })).body);
    // The fake helpdesk lists P1…P4, P4 the most urgent.
    expect(created.prioritiesSet).toEqual([
      { tier: "4-hour", priorityId: 3, title: "P3" },
      { tier: "1-hour", priorityId: 4, title: "P4" },
    ]);
    const saved = (await h.call("GET", "/v1/config")).body as { config: { tiers: Array<{ key: string; deskproPriorityId: number | null }> } };
    expect(saved.config.tiers.map((t) => [t.key, t.deskproPriorityId])).toEqual([
      ["standard", TEST_CONFIG.tiers[0]!.deskproPriorityId],
      ["4-hour", 3],
      ["1-hour", 4],
    ]);
    // Pressed again, nothing is changed: every paid tier sets one now.
    expect(TierFieldCreated.parse((await h.call("POST", "/v1/portal/tier-field", { body: {} })).body).prioritiesSet).toEqual([]);
  });

  it("keeps a priority an admin chose for a paid tier when it gives the others one", async () => {
    const tiers = TEST_CONFIG.tiers.map((t) => (t.key === "4-hour" ? { ...t, deskproPriorityId: null } : t));
    expect((await h.call("PUT", "/v1/config", { body: { tiers } })).status).toBe(200);
    const created = TierFieldCreated.parse((await h.call("POST", "/v1/portal/tier-field", { body: {} })).body);
    expect(created.prioritiesSet.map((p) => p.tier)).toEqual(["4-hour"]);
    const saved = (await h.call("GET", "/v1/config")).body as { config: { tiers: Array<{ key: string; deskproPriorityId: number | null }> } };
    expect(saved.config.tiers.find((t) => t.key === "1-hour")?.deskproPriorityId).toBe(TEST_CONFIG.tiers[2]!.deskproPriorityId);
  });

  it("says so when Deskpro refuses to create the field, and saves nothing", async () => {
    deskpro.fail("postCustomField", 403);
    const answer = await h.call("POST", "/v1/portal/tier-field", { body: { title: "Response time" } });
    expect(answer.status).toBe(502);
    expect(answer.body.detail).toMatch(/refused to create the field \(403\).*Pick an existing field/);
    expect(PortalSettingsResponse.parse((await h.call("GET", "/v1/portal/settings")).body).settings.tierFieldId).toBeNull();
  });

  it("lists fields with their options, SLAs and priorities for the pickers, and names a list Deskpro refuses", async () => {
    const lookups = DeskproLookups.parse((await h.call("GET", "/v1/integrations/deskpro/lookups")).body);
    expect(lookups.personFields).toEqual([
      {
        id: 21,
        title: "Support choice",
        alias: "support_choice",
        choices: [
          { id: 211, title: "Standard support" },
          { id: 212, title: "Priority support" },
        ],
      },
    ]);
    expect(lookups.organizationFields[0]).toMatchObject({ id: 31, title: "Membership level" });
    expect(lookups.slas.map((s) => s.title)).toEqual(["First response within a business day", "Resolution within a week"]);
    expect(lookups.priorities).toHaveLength(4);
    expect(lookups.unavailable).toEqual([]);
    deskpro.fail("listCustomFields", 403);
    const partial = DeskproLookups.parse((await h.call("GET", "/v1/integrations/deskpro/lookups")).body);
    expect(partial.unavailable).toHaveLength(1);
  });

  it("reads each list item by item, leaving out an item that doesn't read, and names a list larger than the ledger reads", async () => {
    const list = (data: unknown[]) => HttpResponse.json({ data, meta: { pagination: { total: data.length, total_pages: 1 } }, linked: {} });
    server.use(
      // One field that is not a field among good ones: the good ones stand.
      http.get(`${DESKPRO_URL}/api/v2/ticket_custom_fields`, () =>
        list([{ id: 41, title: "Product", choices: [{ id: 411, title: "App" }] }, { id: "forty-two", title: 7 }, null, { id: 43, title: "Region" }]),
      ),
      // 200 fields of 12 kB each: more than the 2 MiB a list of definitions may be.
      http.get(`${DESKPRO_URL}/api/v2/person_custom_fields`, () =>
        list(Array.from({ length: 200 }, (_, i) => ({ id: i + 1, title: "t".repeat(12_000), choices: [] }))),
      ),
    );
    const lookups = DeskproLookups.parse((await h.call("GET", "/v1/integrations/deskpro/lookups")).body);
    expect(lookups.ticketFields.map((f) => [f.id, f.title])).toEqual([
      [41, "Product"],
      [43, "Region"],
    ]);
    expect(lookups.personFields).toEqual([]);
    expect(lookups.unavailable).toEqual(["personFields"]);
    expect(lookups.organizationFields[0]).toMatchObject({ id: 31, title: "Membership level" });
  });

  it("gives the web hook actions with every value, a secret shown once that the hooks then need, and a checklist that turns green", async () => {
    const first = await setup();
    expect(first.checklist.connected.done).toBe(true);
    expect(first.checklist.fieldFound.done).toBe(false);
    expect(first.checklist.webhookReceived.done).toBe(false);
    expect(first.webhookSecretSet).toBe(false);
    expect(first.actions.map((a) => a.url)).toEqual(
      ["ticket-created", "ticket-updated", "sla-failed"].map((e) => `http://ledger.test/hooks/deskpro/${h.tenantId}/${e}`),
    );
    expect(first.actions[0]!.headers).toEqual([
      { name: "X-Credits-Webhook-Secret", value: null },
      { name: "X-Deskpro-Ticket-Id", value: "{{ ticket.id }}" },
    ]);

    const issued = await h.call("POST", "/v1/integrations/deskpro/webhook-secret", { body: {} });
    expect(issued.status).toBe(200);
    const secret = issued.body.webhookSecret as string;
    expect(secret.length).toBeGreaterThanOrEqual(40);
    expect((await setup()).webhookSecretSet).toBe(true);
    expect(JSON.stringify((await setup()).actions)).not.toContain(secret);

    const created = TierFieldCreated.parse((await h.call("POST", "/v1/portal/tier-field", { body: {} })).body);
    const oneHour = created.options.find((o) => o.tier === "1-hour")!;
    const ticketId = ++ticketSeq;
    const org = 8000 + ticketSeq;
    expect((await h.call("POST", `/v1/wallets/org:${org}/grants`, { body: { amount: 500, reason: "top-up" } })).status).toBe(201);
    deskpro.addTicket({ id: ticketId, person: 9000 + ticketSeq, organization: org, fields: { [String(created.fieldId)]: choice(oneHour.optionId) } });

    // The old harness secret is not this tenant's; the new one is.
    expect((await h.hook("ticket-created", ticketId, { secret: "not-the-secret-at-all-000000" })).status).toBe(401);
    expect((await h.hook("ticket-created", ticketId, { secret })).status).toBe(202);
    const seen = await setup();
    expect(seen.checklist.webhookReceived).toMatchObject({ done: true, ticketId: String(ticketId), detail: "Ticket created" });
    expect(seen.checklist.priorityWritten.done).toBe(false);
    await h.drain();
    const written = await setup();
    expect(written.checklist.priorityWritten).toMatchObject({ done: true, ticketId: String(ticketId) });
    expect(deskpro.tickets.get(ticketId)!.priority).toBe(TEST_CONFIG.tiers[2]!.deskproPriorityId);
  });

  it("needs a helpdesk connection for a webhook secret", async () => {
    const bare = await createPortalHarness(backend, { configure: false });
    try {
      const answer = await bare.call("POST", "/v1/integrations/deskpro/webhook-secret", { body: {} });
      expect(answer.status).toBe(409);
      expect(answer.body.code).toBe("deskpro_not_connected");
    } finally {
      await bare.close();
    }
  });
});
