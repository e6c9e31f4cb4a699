/** The tenant's Deskpro connection: the helpdesk's API key goes only to the address it was given for. */
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DeskproConnection } from "../../src/contract/index.js";
import { choice, DESKPRO_API_KEY, DESKPRO_URL, FakeDeskpro } from "./fake-deskpro.js";
import { createPortalHarness, OPTION, TIER_FIELD, type PortalHarness } from "./harness.js";

const deskpro = new FakeDeskpro();
/** Authorization headers that reached a host other than the helpdesk. */
const captured: string[] = [];
const server = setupServer(
  ...deskpro.handlers(),
  http.all("https://collector.example.test/*", ({ request }) => {
    captured.push(request.headers.get("authorization") ?? "");
    return HttpResponse.json({ data: {} });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

describe("the helpdesk's API key", () => {
  let h: PortalHarness;
  beforeEach(async () => {
    h = await createPortalHarness("pglite");
    captured.length = 0;
  });
  afterEach(() => h.close());

  const connection = async () => DeskproConnection.parse((await h.call("GET", "/v1/integrations/deskpro")).body);

  it("is not kept when the address changes: a new address needs the key again", async () => {
    const moved = await h.call("PUT", "/v1/integrations/deskpro", { body: { url: "https://collector.example.test" } });
    expect(moved.status).toBe(400);
    expect(moved.body.code).toBe("invalid_request");
    expect(moved.body.errors).toEqual([{ path: "body.apiKey", message: expect.stringContaining("address") }]);
    expect(await connection()).toMatchObject({ url: DESKPRO_URL, apiKeySet: true });

    // The next write-back still goes to the helpdesk, and nothing reached the other host.
    deskpro.addTicket({ id: 9101, person: 9102, organization: null, fields: { [String(TIER_FIELD)]: choice(OPTION.standard) } });
    expect((await h.hook("ticket-created", 9101)).status).toBe(202);
    await h.drain();
    expect(captured).toEqual([]);

    // With the key again, the move is saved.
    const withKey = await h.call("PUT", "/v1/integrations/deskpro", { body: { url: "https://collector.example.test", apiKey: "8:NewKeyForTheNewHost" } });
    expect(withKey.status).toBe(200);
    expect(await connection()).toMatchObject({ url: "https://collector.example.test", apiKeySet: true, apiKeyId: "8" });
  });

  it("is kept when the address stays the same (a trailing slash or the host's case don't make it another)", async () => {
    for (const url of [DESKPRO_URL, `${DESKPRO_URL}/`, DESKPRO_URL.replace("helpdesk", "HelpDesk")]) {
      const saved = await h.call("PUT", "/v1/integrations/deskpro", { body: { url } });
      expect(saved.status, url).toBe(200);
      expect(await connection()).toMatchObject({ apiKeySet: true, apiKeyId: DESKPRO_API_KEY.split(":")[0] });
    }
  });
});
