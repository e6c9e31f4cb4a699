/**
 * The "Connect this helpdesk" setting page and the settings page's pickers, in jsdom with the real
 * SDK client and msw playing Deskpro's admin proxy.
 */
import { act, cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { DeskproLookups } from "../../src/contract/index.js";
import { config, problem, renderApp, type Forwarded, proxyForThisFile } from "./harness.js";

const proxy = proxyForThisFile();

const signup = {
  tenantId: "tnt_0000000000abcdefghjkmnpqrs",
  apiKey: "sck_new-key",
  helpdeskUrl: "https://acme.deskpro.test",
  created: true,
  adminName: "Ada Admin",
};

/** The Connect page, its parent storing the key as Deskpro does: the whole form comes back with it. */
async function openConnect(settings: Record<string, unknown>, options: { withoutParentMethods?: string[] } = {}) {
  const app = await renderApp({ type: "admin_settings", settings: {} }, { hash: "#/connect", ...options });
  act(() => app.changeAdminSettings(settings));
  app.parent._setAdminSetting.mockImplementation((value: string) => app.changeAdminSettings({ ...settings, ledger_api_key: value }));
  return app;
}

describe("Connect this helpdesk", () => {
  it("signs the helpdesk up with the Deskpro key, without a ledger key, and stores the answered key in its own backend-only setting", async () => {
    proxy.on("GET", /^\/v1\/integrations\/deskpro$/, { status: 401, body: problem(401, "unauthorized", "no key") });
    proxy.on("POST", /^\/v1\/signup$/, { body: signup });
    const app = await openConnect({ ledger_url: "https://credits.example.com" });
    fireEvent.change(await screen.findByLabelText("This helpdesk's address"), { target: { value: "https://acme.deskpro.test" } });
    fireEvent.change(screen.getByLabelText("Deskpro API key"), { target: { value: "12:AbCdEfGh1234" } });
    fireEvent.click(screen.getByRole("button", { name: "Connect this helpdesk" }));
    expect(await screen.findByText(/Connected as Ada Admin\. Press Save/)).toBeTruthy();
    const [sent] = proxy.requests("POST", /^\/v1\/signup$/);
    expect(sent).toMatchObject({ proxy: "admin", body: { helpdeskUrl: "https://acme.deskpro.test", deskproApiKey: "12:AbCdEfGh1234" } });
    expect(sent!.rawHeaders.Authorization).toBeUndefined();
    expect(app.parent._setAdminSetting).toHaveBeenCalledWith("sck_new-key");
    // Whose name customers see, said where the key is chosen and again once connected.
    expect(screen.getByText(/Customers will see messages from Ada Admin\./)).toBeTruthy();
    // The key is never shown on the page when Deskpro stored it.
    expect(document.body.textContent).not.toContain("sck_new-key");
  });

  it("shows the key once with a copy button, naming the field to paste it into, when Deskpro won't store it", async () => {
    proxy.on("GET", /^\/v1\/integrations\/deskpro$/, { status: 401, body: problem(401, "unauthorized", "no key") });
    proxy.on("POST", /^\/v1\/signup$/, { body: signup });
    const app = await openConnect({ ledger_url: "https://credits.example.com" });
    app.parent._setAdminSetting.mockImplementation(() => {
      throw new Error("not here");
    });
    fireEvent.change(screen.getByLabelText("Deskpro API key"), { target: { value: "12:AbCdEfGh1234" } });
    fireEvent.click(screen.getByRole("button", { name: "Connect this helpdesk" }));
    expect(await screen.findByText(/paste it into “Ledger API key \(self-hosted, or when asked to paste it\)”/)).toBeTruthy();
    expect(screen.getByTestId("pasted-key")).toHaveTextContent("sck_new-key");
    expect(screen.getByRole("button", { name: "Copy Ledger API key" })).toBeTruthy();
  });

  it("shows the key to paste when the parent has no _setAdminSetting (SDK 6 then does nothing) or never sends the key back", async () => {
    proxy.on("GET", /^\/v1\/integrations\/deskpro$/, { status: 401, body: problem(401, "unauthorized", "no key") });
    proxy.on("POST", /^\/v1\/signup$/, { body: signup });
    const app = await openConnect({ ledger_url: "https://credits.example.com" }, { withoutParentMethods: ["_setAdminSetting"] });
    fireEvent.change(screen.getByLabelText("Deskpro API key"), { target: { value: "12:AbCdEfGh1234" } });
    fireEvent.click(screen.getByRole("button", { name: "Connect this helpdesk" }));
    expect(await screen.findByTestId("pasted-key", {}, { timeout: 5_000 })).toHaveTextContent("sck_new-key");
    expect(screen.queryByText(/Press Save at the bottom/)).toBeNull();
    expect(app.parent._setAdminSetting).not.toHaveBeenCalled();
    cleanup();

    // A parent that takes the value but never sends the form back with it: not stored either.
    const silent = await openConnect({ ledger_url: "https://credits.example.com" });
    silent.parent._setAdminSetting.mockImplementation(() => undefined);
    fireEvent.change(screen.getByLabelText("Deskpro API key"), { target: { value: "12:AbCdEfGh1234" } });
    fireEvent.click(screen.getByRole("button", { name: "Connect this helpdesk" }));
    expect(await screen.findByTestId("pasted-key", {}, { timeout: 5_000 })).toHaveTextContent("sck_new-key");
    expect(silent.parent._setAdminSetting).toHaveBeenCalledWith("sck_new-key");
  });

  it("recommends a dedicated agent for the connection: whose name customers see, whose time the Billing reports count", async () => {
    proxy.on("GET", /^\/v1\/integrations\/deskpro$/, { status: 401, body: problem(401, "unauthorized", "no key") });
    await openConnect({ ledger_url: "https://credits.example.com" });
    const help = await screen.findByTestId("connection-identity");
    expect(help.textContent).toMatch(/dedicated admin agent, such as “Support Credits”/);
    expect(help.textContent).toMatch(/messages to customers \(low balance, a declined tier\) are posted under that agent's name/);
    expect(help.textContent).toMatch(/Billing tab counts as that agent's in Deskpro's per-agent reports/);
  });

  it("says why it didn't connect: a key that isn't an admin's, sign-up turned off", async () => {
    proxy.on("GET", /^\/v1\/integrations\/deskpro$/, { status: 401, body: problem(401, "unauthorized", "no key") });
    proxy.on("POST", /^\/v1\/signup$/, { status: 403, body: problem(403, "not_helpdesk_admin", "The Deskpro API key acts as Bob who is not an admin.") });
    await openConnect({ ledger_url: "https://credits.example.com" });
    fireEvent.change(screen.getByLabelText("Deskpro API key"), { target: { value: "12:AbCdEfGh1234" } });
    fireEvent.click(screen.getByRole("button", { name: "Connect this helpdesk" }));
    expect(await screen.findByText(/Not connected\..*not an admin/)).toBeTruthy();
    proxy.on("POST", /^\/v1\/signup$/, { status: 403, body: problem(403, "signup_disabled", "This ledger does not take sign-ups.") });
    fireEvent.click(screen.getByRole("button", { name: "Connect this helpdesk" }));
    expect(await screen.findByText(/does not take sign-ups\. Paste it into/)).toBeTruthy();
  });

  it("says an installed app is connected, from the saved key, and refuses a malformed Deskpro key", async () => {
    proxy.on("GET", /^\/v1\/integrations\/deskpro$/, {
      body: { url: "https://acme.deskpro.test", apiKeySet: true, apiKeyId: "12", webhookSecretSet: false, updatedAt: null },
    });
    await openConnect({ ledger_url: "https://credits.example.com" });
    expect(await screen.findByText(/Connected to https:\/\/acme\.deskpro\.test/)).toBeTruthy();
    const [read] = proxy.requests("GET", /^\/v1\/integrations\/deskpro$/);
    expect(read!.rawHeaders).toMatchObject({ Authorization: "Bearer __ledger_api_key__", "X-Credits-Key": "__ledger_api_key_pasted__" });
    const keyField = screen.getByLabelText("Deskpro API key");
    fireEvent.change(keyField, { target: { value: "not a key" } });
    // The message is the field's own description, announced as it appears.
    expect(keyField.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(keyField.getAttribute("aria-describedby")!)?.textContent).toBe("Deskpro's API keys look like 12:AbCdEf…");
    expect(screen.getByRole("button", { name: "Connect this helpdesk" })).toBeDisabled();
  });
});

describe("pickers on the settings page", () => {
  const lookups: DeskproLookups = {
    ticketFields: [],
    personFields: [{ id: 21, title: "Support choice", alias: "support_choice", choices: [{ id: 212, title: "Priority support" }] }],
    organizationFields: [],
    slas: [{ id: 1, title: "First response within a business day" }],
    priorities: [
      { id: 3, title: "High" },
      { id: 4, title: "Urgent" },
    ],
    unavailable: [],
  };

  it("picks a person field, its option and a priority from Deskpro's lists and saves their titles with the rule", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("GET", /^\/v1\/integrations\/deskpro\/lookups$/, { body: lookups });
    proxy.on("PUT", /^\/v1\/config$/, (req: Forwarded) => ({ body: { ...config, config: req.body, version: 4 } }));
    const app = await renderApp({ type: "admin_settings", settings: {} }, { hash: "#/admin" });
    act(() => app.changeAdminSettings({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" }));
    const priorities = await screen.findAllByLabelText("Deskpro priority");
    fireEvent.change(priorities[2] as HTMLElement, { target: { value: "4" } });
    fireEvent.click(screen.getByRole("button", { name: "Add rule" }));
    const rules = screen.getByRole("group", { name: "Rule 1" });
    fireEvent.change(within(rules).getByLabelText("When"), { target: { value: "person_field" } });
    fireEvent.change(within(rules).getByLabelText("Person field"), { target: { value: "21" } });
    fireEvent.change(within(rules).getByLabelText("Is"), { target: { value: "212" } });
    fireEvent.change(within(rules).getByLabelText("Plan"), { target: { value: config.config.plans[0]!.key } });
    await waitFor(() => expect(screen.getByRole("button", { name: "Save configuration" })).not.toBeDisabled());
    fireEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    expect(await screen.findByText("Saved.")).toBeTruthy();
    const [put] = proxy.requests("PUT", /^\/v1\/config$/);
    const body = put!.body as { planRules: unknown[]; tiers: Array<{ deskproPriorityId: number | null }> };
    expect(body.planRules).toEqual([
      { type: "person_field", fieldId: "21", value: "212", plan: config.config.plans[0]!.key, fieldTitle: "Support choice", valueTitle: "Priority support" },
    ]);
    expect(body.tiers[2]!.deskproPriorityId).toBe(4);
  });
});
