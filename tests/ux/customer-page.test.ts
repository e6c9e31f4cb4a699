/** The customer balance page names the bank and the helpdesk as Deskpro does, and says what expiry really takes. */
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CustomerLink } from "../../src/contract/index.js";
import { backends } from "../helpers/ledger.js";
import { FakeDeskpro } from "../portal/fake-deskpro.js";
import { createPortalHarness, type PortalHarness } from "../portal/harness.js";

const deskpro = new FakeDeskpro();
const server = setupServer(...deskpro.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

describe.each(backends())("the customer page on %s", (backend) => {
  let h: PortalHarness;
  afterEach(() => h.close());

  const page = async (owner: string) => {
    const link = CustomerLink.parse((await h.call("POST", `/v1/wallets/${owner}/customer-links`, { body: {} })).body);
    const response = await h.call("GET", new URL(link.url).pathname, { key: null });
    expect(response.status).toBe(200);
    return response.text;
  };

  describe("with a Deskpro connection", () => {
    beforeEach(async () => {
      h = await createPortalHarness(backend);
    });

    it("shows the organisation's and the helpdesk's names, read from Deskpro once and kept", async () => {
      deskpro.organizations.set(4301, { id: 4301, name: "Difference & Co", fields: {} });
      await h.call("POST", "/v1/wallets/org:4301/grants", { body: { amount: 600, reason: "Opening balance" } });
      const html = await page("org:4301");
      expect(html).toContain("<title>Support credits — Difference &#38; Co</title>");
      expect(html).toMatch(/data-testid="bank-name">Difference &#38; Co · from helpdesk\.example\.test</);
      expect(html).not.toMatch(/Organisation 4301|org:4301/);
      const reads = deskpro.requests.filter((r) => r.route === "getOrganization").length;
      await page("org:4301");
      expect(deskpro.requests.filter((r) => r.route === "getOrganization").length).toBe(reads);
    });

    it("falls back to 'your organisation' when Deskpro doesn't know it", async () => {
      const html = await page("org:4399");
      expect(html).toContain("Your organisation · from helpdesk.example.test");
      expect(html).not.toContain("4399");
    });
  });

  it("says 'your account' and no helpdesk without a Deskpro connection, and what expiry takes and what rolls over", async () => {
    h = await createPortalHarness(backend, { configure: false });
    await h.call("PUT", "/v1/config", {
      body: { plans: [{ key: "business", name: "Business", creditsPerPeriod: 1000, rollover: { type: "percent", max: 50 } }] },
    });
    expect((await h.call("PUT", "/v1/wallets/person:88/plan", { body: { plan: "business" }, headers: { "idempotency-key": "plan-88" } })).status).toBe(200);
    await h.call("POST", "/v1/wallets/person:88/debits", { body: { kind: "manual", amount: 200, reason: "Consulting" } });
    const html = await page("person:88");
    expect(html).toContain("<title>Your support credits</title>");
    expect(html).toContain("Your account · Business plan</p>");
    expect(html).toMatch(/800 of 1,000<\/td><td>300 expire \d+ \w+ \d{4}, 500 roll over<\/td>/);
    expect(html).not.toContain("88");
  });
});
