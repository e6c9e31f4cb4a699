import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { checkLedgerUrl } from "../../src/app/admin/AdminPage.js";
import { formatDateTime } from "../../src/app/format.js";
import type { Forwarded } from "./harness.js";
import { config, entry, problem, renderApp, SECRET_KEY, proxyForThisFile } from "./harness.js";

const proxy = proxyForThisFile();

async function openAdmin(settings: Record<string, unknown>) {
  const app = await renderApp({ type: "admin_settings", settings: {} }, { hash: "#/admin" });
  act(() => app.changeAdminSettings(settings));
  return app;
}

describe("admin settings page", () => {
  it("verifies the connection with the values being typed, through the admin generic proxy", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    expect(await screen.findByText(/^Connected\. Settings last saved/)).toBeTruthy();
    const [req] = proxy.forwarded;
    expect(req?.proxy).toBe("admin");
    expect(req?.rawUrl).toBe("https://credits.example.com/v1/config");
    expect(req?.rawHeaders.Authorization).toBe("Bearer typed-key");
    expect((await screen.findAllByLabelText("Price (credits)")).length).toBe(3);
  });

  it("says what each pack's price comes to in its own currency's unit (whole yen, thousandths of a dinar)", async () => {
    const packs = [
      { id: "pack-yen", label: "500 credits", credits: 500, price: 5_000, currency: "jpy" },
      { id: "pack-usd", label: "500 credits", credits: 500, price: 25_000, currency: "usd" },
      { id: "pack-kwd", label: "500 credits", credits: 500, price: 25_000, currency: "kwd" },
    ];
    proxy.on("GET", /^\/v1\/config$/, { body: { ...config, config: { ...config.config, packs } } });
    await openAdmin({ ledger_url: "https://credits.example.com" });
    expect(await screen.findByText("Customers pay ¥5,000")).toBeTruthy();
    expect(screen.getByText("Customers pay $250.00")).toBeTruthy();
    expect(screen.getByText(/^Customers pay KWD\s25\.000$/)).toBeTruthy();
    // The line is read with the field.
    const field = screen.getAllByLabelText("Price (smallest unit)")[0]!;
    const described = (field.getAttribute("aria-describedby") ?? "").split(" ").map((id) => document.getElementById(id)?.textContent ?? "");
    expect(described).toContain("Customers pay ¥5,000");
  });

  it("after a reload (the saved key is not sent back) verifies at once with the saved key through the admin proxy, and works", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    const app = await openAdmin({ ledger_url: "https://credits.example.com" });
    expect(await screen.findByText(/^Connected\. Settings last saved/)).toBeTruthy();
    const [req] = proxy.forwarded;
    expect(req).toMatchObject({ proxy: "admin", rawUrl: "https://credits.example.com/v1/config" });
    expect(req?.rawHeaders.Authorization).toBe("Bearer __ledger_api_key__");
    expect(req?.headers.Authorization).toBe(`Bearer ${SECRET_KEY}`);
    expect((await screen.findAllByLabelText("Price (credits)")).length).toBe(3);
    await waitFor(() => expect(app.parent._setAdminSetting).toHaveBeenLastCalledWith(JSON.stringify({ configVersion: 3 })));
    expect(app.parent._setAdminSettingInvalid).not.toHaveBeenCalledWith("Enter the ledger API key.", undefined);
    // Verify again by hand, still with the saved key.
    fireEvent.click(screen.getByRole("button", { name: "Verify connection" }));
    await waitFor(() => expect(proxy.requests("GET", /^\/v1\/config$/)).toHaveLength(2));
  });

  it("asks for the key again when the saved one is refused, and keeps Deskpro's Save blocked", async () => {
    proxy.on("GET", /^\/v1\/config$/, { status: 401, body: problem(401, "unauthorized", "no") });
    const app = await openAdmin({ ledger_url: "https://credits.example.com" });
    expect(await screen.findByText(/the ledger refused the saved key: press Connect this helpdesk above/)).toBeTruthy();
    await waitFor(() => expect(app.parent._setAdminSettingInvalid).toHaveBeenLastCalledWith(expect.stringMatching(/refused the saved key/), undefined));
    expect(screen.getByRole("button", { name: "Verify connection" })).not.toBeDisabled();
  });

  it("says the account is suspended, rather than that the saved key was refused", async () => {
    proxy.on("GET", /^\/v1\/config$/, { status: 403, body: problem(403, "tenant_suspended", "This tenant is suspended by the ledger's operator.") });
    await openAdmin({ ledger_url: "https://credits.example.com" });
    expect(await screen.findByText(/The ledger's operator has suspended this helpdesk's account: nothing was changed/)).toBeTruthy();
    expect(screen.queryByText(/refused the saved key/)).toBeNull();
  });

  it("blocks Deskpro's Save while the URL is not https", async () => {
    const app = await openAdmin({ ledger_url: "http://credits.example.com", ledger_api_key: "k" });
    await waitFor(() => expect(app.parent._setAdminSettingInvalid).toHaveBeenLastCalledWith("The ledger URL must start with https://", undefined));
    expect(screen.getByRole("button", { name: "Verify connection" })).toBeDisabled();
  });

  it("reports a refused key in plain words", async () => {
    proxy.on("GET", /^\/v1\/config$/, { status: 401, body: { type: "about:blank", title: "Unauthorized", status: 401, detail: "no", code: "unauthorized" } });
    const app = await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "wrong" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    expect(await screen.findByText(/The ledger refused the API key/)).toBeTruthy();
    await waitFor(() => expect(app.parent._setAdminSettingInvalid).toHaveBeenLastCalledWith(expect.stringMatching(/refused the API key/), undefined));
  });

  it("shows field messages for invalid input and marks the setting invalid; saves valid changes with If-Match", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("PUT", /^\/v1\/config$/, (req: Forwarded) => ({ body: { ...config, config: req.body, version: 4 } }));
    const app = await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    const prices = await screen.findAllByLabelText("Price (credits)");
    fireEvent.change(prices[2] as HTMLElement, { target: { value: "2.5" } });
    await waitFor(() => expect(app.parent._setAdminSettingInvalid).toHaveBeenLastCalledWith("Tier 3: Use a whole number, e.g. 60.", undefined));
    // The field's message waits until the admin leaves the field.
    expect(screen.queryByText("Use a whole number, e.g. 60.")).toBeNull();
    fireEvent.blur(prices[2] as HTMLElement);
    expect(await screen.findByText("Use a whole number, e.g. 60.")).toBeTruthy();
    expect(prices[2]!.getAttribute("aria-invalid")).toBe("true");
    // Save with something wrong sends nothing and points at the field.
    fireEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    expect(await screen.findByText("Fix the fields marked above to save.")).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(prices[2]));
    expect(proxy.requests("PUT", /^\/v1\/config$/)).toHaveLength(0);

    fireEvent.change(prices[2] as HTMLElement, { target: { value: "300" } });
    await waitFor(() => expect(app.parent._setAdminSettingInvalid).toHaveBeenLastCalledWith("Save or discard the credits configuration first.", undefined));
    fireEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    expect(await screen.findByText("Saved.")).toBeTruthy();
    const [put] = proxy.requests("PUT", /^\/v1\/config$/);
    expect(put?.rawHeaders["If-Match"]).toBe('"3"');
    expect((put?.body as typeof config.config).tiers[2]?.price).toBe(300);
    await waitFor(() => expect(app.parent._setAdminSetting).toHaveBeenLastCalledWith(JSON.stringify({ configVersion: 4 })));
  });

  it("jumps to each part of the page by name, moving focus there", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    const nav = await screen.findByRole("navigation", { name: "Jump to" });
    const parts = within(nav)
      .getAllByRole("button")
      .map((b) => b.textContent);
    expect(parts).toEqual(["Connection", "Portal tiers", "Plans and rules", "Time log", "Card payments", "Alerts", "Bulk grants", "Finance report"]);
    await screen.findAllByText(/^Tiers offered/);
    fireEvent.click(within(nav).getByRole("button", { name: "Plans and rules" }));
    expect(document.activeElement?.id).toBe("settings-plans");
    expect(document.activeElement?.textContent).toMatch(/^Plans/);
    fireEvent.click(within(nav).getByRole("button", { name: "Card payments" }));
    expect(document.activeElement?.textContent).toMatch(/^Credit packs/);
  });

  it("opens a new plan without messages: a field's shows once the admin leaves it, all of them once Save is pressed", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    fireEvent.click(await screen.findByRole("button", { name: "Add plan" }));
    const plan = screen.getAllByRole("group").find((g) => g.querySelector("legend")?.textContent === `Plan ${config.config.plans.length + 1}`)!;
    expect(plan).toBeTruthy();
    expect(plan.textContent).not.toMatch(/Required|Must not be empty/);
    expect(plan.querySelectorAll('[aria-invalid="true"]')).toHaveLength(0);
    const [first, second] = [...plan.querySelectorAll("input")];
    fireEvent.blur(first!);
    await waitFor(() => expect(first!.getAttribute("aria-invalid")).toBe("true"));
    expect(second!.getAttribute("aria-invalid")).toBe("false");
    fireEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    await waitFor(() => expect(second!.getAttribute("aria-invalid")).toBe("true"));
    expect(proxy.requests("PUT", /^\/v1\/config$/)).toHaveLength(0);
  });

  it("gives a tier added on the page its short name from its label until the admin types one, and never renames a saved tier's", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("PUT", /^\/v1\/config$/, (req: Forwarded) => ({ body: { ...config, config: req.body, version: 4 } }));
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    fireEvent.click(await screen.findByRole("button", { name: "Add tier" }));
    const tier = screen.getAllByRole("group").find((g) => g.querySelector("legend")?.textContent === `Tier ${config.config.tiers.length + 1}`)!;
    const shortName = within(tier).getByLabelText("Short name (used in reports)") as HTMLInputElement;
    fireEvent.change(within(tier).getByLabelText("Label (shown to customers)"), { target: { value: "2-hour Réponse  (VIP)" } });
    expect(shortName.value).toBe("2-hour-reponse-vip");
    // Typed by the admin, the short name stays as typed when the label changes again.
    fireEvent.change(shortName, { target: { value: "two-hour" } });
    fireEvent.change(within(tier).getByLabelText("Label (shown to customers)"), { target: { value: "2-hour response" } });
    expect(shortName.value).toBe("two-hour");
    // A saved tier keeps its short name whatever its label becomes.
    const [firstLabel] = screen.getAllByLabelText("Label (shown to customers)");
    fireEvent.change(firstLabel!, { target: { value: "Something else" } });
    expect((screen.getAllByLabelText("Short name (used in reports)")[0] as HTMLInputElement).value).toBe(config.config.tiers[0]!.key);
    fireEvent.change(within(tier).getByLabelText("Price (credits)"), { target: { value: "200" } });
    fireEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    expect(await screen.findByText("Saved.")).toBeTruthy();
    const [put] = proxy.requests("PUT", /^\/v1\/config$/);
    expect((put?.body as typeof config.config).tiers.map((t) => t.key)).toEqual([...config.config.tiers.map((t) => t.key), "two-hour"]);
  });

  it("picks a plan's tiers from the tiers' names, and lists a name no tier has any more to untick", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("PUT", /^\/v1\/config$/, (req: Forwarded) => ({ body: { ...config, config: req.body, version: 4 } }));
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    await screen.findAllByText(/^Tiers offered/);
    expect(screen.queryByLabelText(/keys, comma-separated/)).toBeNull();
    const groups = () => screen.getAllByRole("group").filter((g) => /^Tiers offered/.test(g.querySelector(":scope > legend")?.textContent ?? ""));
    // Gold offers every tier: all ticked. Untick the 1-hour tier.
    const goldBoxes = within(groups()[0]!).getAllByRole("checkbox") as HTMLInputElement[];
    expect(goldBoxes.map((b) => b.checked)).toEqual([true, true, true]);
    fireEvent.click(within(groups()[0]!).getByLabelText("1-hour response"));
    // Silver offers the 4-hour tier; its short name changes: the old name is listed, ticked, and Save says why it can't save.
    const shortNames = screen.getAllByLabelText("Short name (used in reports)");
    fireEvent.change(shortNames[1] as HTMLElement, { target: { value: "four-hour" } });
    const goneBox = within(groups()[1]!).getByLabelText("4-hour (no tier has this name now)") as HTMLInputElement;
    expect(goneBox.checked).toBe(true);
    fireEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    expect(await screen.findAllByText(/No tier has the key "4-hour"/)).not.toHaveLength(0);
    expect(proxy.requests("PUT", /^\/v1\/config$/)).toHaveLength(0);
    fireEvent.click(within(groups()[1]!).getByLabelText("4-hour response"));
    fireEvent.click(within(groups()[1]!).getByLabelText("4-hour (no tier has this name now)"));
    fireEvent.click(within(groups()[0]!).getByLabelText("4-hour (no tier has this name now)"));
    fireEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    expect(await screen.findByText("Saved.")).toBeTruthy();
    const [put] = proxy.requests("PUT", /^\/v1\/config$/);
    expect((put?.body as typeof config.config).plans.map((p) => p.tiers)).toEqual([["standard"], ["four-hour"]]);
  });
});

describe("the portal setup guide", () => {
  const check = { done: false, detail: null, at: null, ticketId: null };
  const setup = {
    tenantId: "tnt_1",
    webhookSecretSet: true,
    actions: [],
    checklist: { connected: { ...check, done: true }, fieldFound: { ...check, done: true }, webhookReceived: { ...check, done: true }, priorityWritten: check },
  };

  it("names the paid tiers that set no Deskpro priority beside 'A priority written back', and says where to pick one", async () => {
    proxy.on("GET", /^\/v1\//, { status: 404, body: problem(404, "not_found", "not in this test") });
    const tiers = config.config.tiers.map((t) => (t.key === "1-hour" ? { ...t, deskproPriorityId: null } : t));
    proxy.on("GET", /^\/v1\/config$/, { body: { ...config, config: { ...config.config, tiers } } });
    proxy.on("GET", /^\/v1\/portal\/setup$/, { body: setup });
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    const hint = await screen.findByTestId("priority-hint");
    expect(hint.textContent).toBe(
      "1-hour response sets no Deskpro priority, so nothing is written back for it: pick a priority under Response tiers and save.",
    );
    expect(screen.getByTestId("check-priorityWritten").contains(hint)).toBe(true);
  });

  it("reads the option titles again once the field is made (no reload), and after a tier is added names the next step and finds the new option", async () => {
    proxy.on("GET", /^\/v1\//, { status: 404, body: problem(404, "not_found", "not in this test") });
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    let state: "none" | "missing" | "done" = "none";
    const missing =
      "Response time: no option yet for 1-hour response (add one titled “1-hour response — 250 credits”). Add it in Admin → Tickets → Fields, then press Find the new options.";
    proxy.on("GET", /^\/v1\/portal\/setup$/, () => ({
      body: {
        ...setup,
        tierFieldId: state === "none" ? null : 7,
        checklist: {
          ...setup.checklist,
          fieldFound:
            state === "done"
              ? { ...check, done: true, detail: "Response time: 2 of 2 paid tiers have an option" }
              : state === "missing"
                ? { ...check, detail: missing }
                : check,
        },
      },
    }));
    const option = (tier: string, optionId: number | null) => ({
      tier,
      optionId,
      label: `${tier} label`,
      deskproTitle: optionId ? `${tier} label` : null,
      matches: optionId !== null,
    });
    proxy.on("GET", /^\/v1\/portal\/tier-labels$/, () => ({
      body:
        state === "none"
          ? { fieldId: null, fieldTitle: null, options: [], allMatch: true }
          : {
              fieldId: 7,
              fieldTitle: "Response time",
              options: [option("4-hour", 71), option("1-hour", state === "done" ? 72 : null)],
              allMatch: state === "done",
            },
    }));
    proxy.on("POST", /^\/v1\/portal\/tier-field$/, () => {
      state = state === "none" ? "missing" : "done";
      return { status: 201, body: { fieldId: 7, options: [] } };
    });
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    expect(await screen.findByText(/The portal flow is off/)).toBeTruthy();

    // The field is made: the option titles are read again at once, and say an option is missing.
    fireEvent.click(await screen.findByRole("button", { name: "Create the Response time field in Deskpro" }));
    await waitFor(() => expect(screen.queryByText(/The portal flow is off/)).toBeNull());
    expect(await screen.findByText(/Some options show another price/)).toBeTruthy();
    expect(screen.queryByText(/Every option of/)).toBeNull();
    expect(screen.getByTestId("label-1-hour").textContent).toMatch(/No option yet \(1-hour\)/);
    // The guide names the next step instead of offering to create a field that exists.
    expect((await screen.findByTestId("field-next-step")).textContent).toBe(missing);
    expect(screen.queryByRole("button", { name: "Create the Response time field in Deskpro" })).toBeNull();

    // The option made in Deskpro is found by the same step; everything reads done.
    fireEvent.click(screen.getByRole("button", { name: "Find the new options" }));
    await waitFor(() => expect(screen.getByTestId("check-fieldFound").getAttribute("data-done")).toBe("true"));
    expect(await screen.findByText(/Every option of “Response time” shows its tier's current price/)).toBeTruthy();
  });

  it("says which priorities making the field gave the paid tiers, and shows them in Response tiers at once", async () => {
    proxy.on("GET", /^\/v1\//, { status: 404, body: problem(404, "not_found", "not in this test") });
    const without = { ...config, version: 3, config: { ...config.config, tiers: config.config.tiers.map((t) => ({ ...t, deskproPriorityId: null })) } };
    let current: unknown = without;
    proxy.on("GET", /^\/v1\/config$/, () => ({ body: current }));
    proxy.on("GET", /^\/v1\/portal\/setup$/, { body: { ...setup, checklist: { ...setup.checklist, fieldFound: check } } });
    proxy.on("GET", /^\/v1\/portal\/tier-labels$/, { body: { fieldId: null, fieldTitle: null, options: [], allMatch: true } });
    proxy.on("POST", /^\/v1\/portal\/tier-field$/, () => {
      const given = { "4-hour": 3, "1-hour": 4 } as Record<string, number>;
      current = {
        ...without,
        version: 4,
        config: { ...without.config, tiers: without.config.tiers.map((t) => ({ ...t, deskproPriorityId: given[t.key] ?? null })) },
      };
      return {
        status: 201,
        body: {
          fieldId: 7,
          options: [],
          prioritiesSet: [
            { tier: "4-hour", priorityId: 3, title: "High" },
            { tier: "1-hour", priorityId: 4, title: "Urgent" },
          ],
        },
      };
    });
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    expect(await screen.findByTestId("priority-hint")).toBeTruthy();
    fireEvent.click(await screen.findByRole("button", { name: "Create the Response time field in Deskpro" }));
    expect(await screen.findByText(/Paid tiers now set a Deskpro priority: 4-hour response → High, 1-hour response → Urgent\./)).toBeTruthy();
    await waitFor(() => expect((screen.getAllByLabelText("Deskpro priority id") as HTMLInputElement[]).map((i) => i.value)).toEqual(["", "3", "4"]));
    await waitFor(() => expect(screen.queryByTestId("priority-hint")).toBeNull());
  });

  it("gives no such hint when every paid tier sets a priority", async () => {
    proxy.on("GET", /^\/v1\//, { status: 404, body: problem(404, "not_found", "not in this test") });
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("GET", /^\/v1\/portal\/setup$/, { body: setup });
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    await screen.findByTestId("check-priorityWritten");
    expect(screen.queryByTestId("priority-hint")).toBeNull();
  });
});

describe("the portal form's option titles", () => {
  const labels = (price: number, deskproTitle: string) => ({
    fieldId: 7,
    fieldTitle: "Response time",
    allMatch: deskproTitle === `1-hour response — ${price} credits`,
    options: [
      { tier: "4-hour", optionId: 71, label: "4-hour response — 150 credits", deskproTitle: "4-hour response — 150 credits", matches: true },
      {
        tier: "1-hour",
        optionId: 72,
        label: `1-hour response — ${price} credits`,
        deskproTitle,
        matches: deskproTitle === `1-hour response — ${price} credits`,
      },
    ],
  });

  it("shows the title each option needs and warns until Deskpro's match, reading them again after a price is saved", async () => {
    let price = 250;
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("PUT", /^\/v1\/config$/, (req: Forwarded) => {
      price = (req.body as typeof config.config).tiers[2]!.price;
      return { body: { ...config, config: req.body, version: 4 } };
    });
    proxy.on("GET", /^\/v1\/portal\/tier-labels$/, () => ({ body: labels(price, "1-hour response — 250 credits") }));
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    expect(await screen.findByText(/Every option of “Response time” shows its tier's current price/)).toBeTruthy();

    const prices = await screen.findAllByLabelText("Price (credits)");
    fireEvent.change(prices[2] as HTMLElement, { target: { value: "300" } });
    fireEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    expect(await screen.findByText(/Some options show another price than their tier's/)).toBeTruthy();
    const row = screen.getByTestId("label-1-hour");
    expect(row).toHaveTextContent("1-hour response — 300 credits");
    expect(row).toHaveTextContent("Deskpro shows: 1-hour response — 250 credits");
    expect(proxy.requests("GET", /^\/v1\/portal\/tier-labels$/)).toHaveLength(2);
  });
});

describe("plan rules on the settings page", () => {
  it("keeps the rules it loaded, adds one, and refuses a rule without a plan", async () => {
    const loaded = { ...config, config: { ...config.config, planRules: [{ type: "sla", slaId: "9", plan: config.config.plans[0]!.key }] } };
    proxy.on("GET", /^\/v1\/config$/, { body: loaded });
    proxy.on("PUT", /^\/v1\/config$/, (req: Forwarded) => ({ body: { ...loaded, config: req.body, version: 4 } }));
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    expect(((await screen.findByLabelText("SLA id")) as HTMLInputElement).value).toBe("9");

    fireEvent.click(screen.getByRole("button", { name: "Add rule" }));
    fireEvent.change(screen.getByLabelText("Field id or alias"), { target: { value: "membership" } });
    fireEvent.change(screen.getByLabelText("Value"), { target: { value: "Gold" } });
    // No plan chosen yet: the rule is invalid; Save sends nothing and says what is missing.
    const planSelects = screen.getAllByLabelText("Plan");
    const rulePlan = planSelects[planSelects.length - 1] as HTMLElement;
    expect(rulePlan.getAttribute("aria-invalid")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    await waitFor(() => expect(rulePlan!.getAttribute("aria-invalid")).toBe("true"));
    expect(proxy.requests("PUT", /^\/v1\/config$/)).toHaveLength(0);
    fireEvent.change(rulePlan, { target: { value: config.config.plans[0]!.key } });
    await waitFor(() => expect(rulePlan.getAttribute("aria-invalid")).toBeNull());
    fireEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    expect(await screen.findByText("Saved.")).toBeTruthy();
    const [put] = proxy.requests("PUT", /^\/v1\/config$/);
    expect((put?.body as { planRules: unknown[] }).planRules).toEqual([
      { type: "sla", slaId: "9", plan: config.config.plans[0]!.key, slaTitle: null },
      { type: "org_field", fieldId: "membership", value: "Gold", plan: config.config.plans[0]!.key, fieldTitle: null, valueTitle: null },
    ]);
  });
});

describe("the helpdesk connection for portal tiers", () => {
  it("sends the address, API key and webhook secret to the ledger, and shows only whether they are set", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("GET", /^\/v1\/integrations\/deskpro$/, { body: { url: null, apiKeySet: false, apiKeyId: null, webhookSecretSet: false, updatedAt: null } });
    proxy.on("PUT", /^\/v1\/integrations\/deskpro$/, (req: Forwarded) => ({
      body: { url: (req.body as { url: string }).url, apiKeySet: true, apiKeyId: "12", webhookSecretSet: true, updatedAt: "2026-11-25T00:00:00.000Z" },
    }));
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    fireEvent.change(await screen.findByLabelText("Helpdesk address"), { target: { value: "https://support.example.com" } });
    fireEvent.change(screen.getByLabelText(/Deskpro API key/), { target: { value: "not a key" } });
    expect(await screen.findByText("use Deskpro's API key as <id>:<code>")).toBeTruthy();
    // The message is the field's own description, and the field says it is invalid.
    const keyField = screen.getByLabelText(/Deskpro API key/);
    expect(keyField.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(keyField.getAttribute("aria-describedby")!)?.textContent).toBe("use Deskpro's API key as <id>:<code>");
    expect(screen.getByRole("button", { name: "Save helpdesk connection" })).toBeDisabled();
    fireEvent.change(screen.getByLabelText(/Deskpro API key/), { target: { value: "12:Zx8v2Kq9LmN4pR7s" } });
    fireEvent.change(screen.getByLabelText(/Webhook secret/), { target: { value: "a-long-random-secret-of-32-chars!!" } });
    fireEvent.click(screen.getByRole("button", { name: "Save helpdesk connection" }));
    expect(await screen.findByText(/stored sealed/)).toBeTruthy();
    const [put] = proxy.requests("PUT", /^\/v1\/integrations\/deskpro$/);
    expect(put?.proxy).toBe("admin");
    expect(put?.body).toEqual({ url: "https://support.example.com", apiKey: "12:Zx8v2Kq9LmN4pR7s", webhookSecret: "a-long-random-secret-of-32-chars!!" });
    expect((screen.getByLabelText(/Deskpro API key/) as HTMLInputElement).value).toBe("");
    expect(screen.getByText(/set, id 12/)).toBeTruthy();
  });
});

describe("alert messages and webhooks on the settings page", () => {
  const settings = {
    lowMessage: "Hello {name}, {balance} left. {link}",
    depletedMessage: "Hello {name}, none left. {link}",
    expiringMessage: "Hello {name}, {credits} expire on {date}. {link}",
    agentNote: "Credits {event}: {balance}",
    messageCustomers: true,
    webhooks: [{ id: "ops", url: "https://ops.example.com/hooks", secretSet: true }],
  };

  it("saves wording without resending a kept secret, tests a saved endpoint and shows the delivery log", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("GET", /^\/v1\/integrations\/deskpro$/, { body: { url: null, apiKeySet: false, apiKeyId: null, webhookSecretSet: false, updatedAt: null } });
    proxy.on("GET", /^\/v1\/alerts\/settings$/, { body: settings });
    proxy.on("PUT", /^\/v1\/alerts\/settings$/, (req: Forwarded) => ({ body: { ...settings, ...(req.body as object), webhooks: settings.webhooks } }));
    proxy.on("POST", /^\/v1\/alerts\/webhooks\/ops\/test$/, { body: { delivered: false, status: 500, detail: "The endpoint answered 500." } });
    proxy.on("GET", /^\/v1\/outbox$/, (req: Forwarded) => ({
      body: {
        items:
          req.url.searchParams.get("kind") === "alert"
            ? [
                {
                  id: "obx_1",
                  kind: "alert.webhook",
                  state: "pending",
                  attempts: 2,
                  lastError: "the endpoint answered 503",
                  nextAttemptAt: "2026-11-25T10:00:00.000Z",
                  createdAt: "2026-11-25T09:00:00.000Z",
                  doneAt: null,
                  summary: "balance.low · org:42 · to ops",
                },
                {
                  id: "obx_2",
                  kind: "alert.deskpro",
                  state: "done",
                  attempts: 1,
                  lastError: null,
                  nextAttemptAt: null,
                  createdAt: "2026-11-25T09:00:00.000Z",
                  doneAt: "2026-11-25T09:00:01.000Z",
                  summary: "balance.low · org:42 · ticket 1042",
                },
              ]
            : [],
      },
    }));
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));

    const log = await screen.findByTestId("alert-deliveries");
    expect(log).toHaveTextContent("Webhook: balance.low · org:42 · to ops");
    expect(log).toHaveTextContent("retrying (2)");
    expect(log).toHaveTextContent("Helpdesk: balance.low · org:42 · ticket 1042");

    expect(screen.getByRole("button", { name: "Save alert settings" })).toBeDisabled();
    fireEvent.change(screen.getByLabelText(/when credits run low/), { target: { value: "Hi {name}: only {balance} credits left. {link}" } });
    const startTicket = screen.getByLabelText(/When they have no open ticket, start one to them/) as HTMLInputElement;
    expect(startTicket.checked).toBe(true);
    fireEvent.click(startTicket);
    // Unsaved changes: the test goes to the saved endpoint, so it waits for Save.
    expect(screen.getByRole("button", { name: "Send test event" })).toBeDisabled();
    fireEvent.click(screen.getByRole("button", { name: "Save alert settings" }));
    expect(await screen.findByText(/Alert settings saved/)).toBeTruthy();
    const [put] = proxy.requests("PUT", /^\/v1\/alerts\/settings$/);
    expect(put?.proxy).toBe("admin");
    expect(put?.body).toMatchObject({
      lowMessage: "Hi {name}: only {balance} credits left. {link}",
      startTicketWhenNoneOpen: false,
      webhooks: [{ id: "ops", url: "https://ops.example.com/hooks" }],
    });
    expect((put?.body as { webhooks: object[] }).webhooks[0]).not.toHaveProperty("secret");

    fireEvent.click(screen.getByRole("button", { name: "Send test event" }));
    expect(await screen.findByText("The endpoint answered 500.")).toBeTruthy();
    expect(proxy.requests("POST", /\/webhooks\/ops\/test$/)).toHaveLength(1);
  });

  it("shows beside the delivery log that the helpdesk's deliveries are paused by the circuit breaker, and that webhooks are failing", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("GET", /^\/v1\/integrations\/deskpro$/, { body: { url: null, apiKeySet: false, apiKeyId: null, webhookSecretSet: false, updatedAt: null } });
    proxy.on("GET", /^\/v1\/alerts\/settings$/, { body: settings });
    proxy.on("GET", /^\/v1\/outbox$/, {
      body: {
        items: [],
        breakers: [
          {
            target: "helpdesk",
            state: "open",
            failures: 4,
            openedAt: "2026-11-25T09:00:00.000Z",
            nextTryAt: "2026-11-25T09:01:00.000Z",
            lastError: "no answer within 15 s (the delivery's deadline); tried again later",
          },
          { target: "webhooks", state: "closed", failures: 1, openedAt: null, nextTryAt: null, lastError: "the endpoint answered 503" },
        ],
      },
    });
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    const helpdesk = await screen.findByTestId("breaker-helpdesk");
    expect(helpdesk).toHaveTextContent("Deliveries to this helpdesk are paused: 4 deliveries in a row to this helpdesk failed");
    expect(helpdesk).toHaveTextContent(`Next try ${formatDateTime("2026-11-25T09:01:00.000Z")}; nothing is lost meanwhile.`);
    expect(helpdesk).toHaveTextContent("Last error: no answer within 15 s");
    expect(screen.getByTestId("breaker-webhooks")).toHaveTextContent(
      "1 delivery in a row to your webhook endpoints failed (no answer, or a server error); they are being retried.",
    );
  });

  it("shows no breaker notice while deliveries are going through", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("GET", /^\/v1\/integrations\/deskpro$/, { body: { url: null, apiKeySet: false, apiKeyId: null, webhookSecretSet: false, updatedAt: null } });
    proxy.on("GET", /^\/v1\/alerts\/settings$/, { body: settings });
    proxy.on("GET", /^\/v1\/outbox$/, { body: { items: [] } });
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    expect(await screen.findByText("No alerts have been sent yet.")).toBeTruthy();
    expect(screen.queryByTestId("breaker-helpdesk")).toBeNull();
  });

  it("makes a new endpoint carry a signing secret, and refuses one without", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("GET", /^\/v1\/alerts\/settings$/, { body: { ...settings, webhooks: [] } });
    proxy.on("GET", /^\/v1\/outbox$/, { body: { items: [] } });
    proxy.on("PUT", /^\/v1\/alerts\/settings$/, (req: Forwarded) => ({
      body: {
        ...settings,
        webhooks: (req.body as { webhooks: Array<{ id: string; url: string }> }).webhooks.map((w) => ({ id: w.id, url: w.url, secretSet: true })),
      },
    }));
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    fireEvent.click(await screen.findByRole("button", { name: "Add webhook endpoint" }));
    fireEvent.change(screen.getByLabelText("Endpoint name"), { target: { value: "billing" } });
    fireEvent.change(screen.getByLabelText("Endpoint URL"), { target: { value: "https://billing.example.com/in" } });
    const secret = (screen.getByLabelText(/Signing secret/) as HTMLInputElement).value;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    fireEvent.change(screen.getByLabelText(/Signing secret/), { target: { value: "" } });
    const missing = await screen.findByText(/Give this endpoint a signing secret/);
    // The message is tied to the field, which is marked invalid.
    expect(screen.getByLabelText(/Signing secret/).getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByLabelText(/Signing secret/).getAttribute("aria-describedby")).toBe(missing.id);
    expect(screen.getByRole("button", { name: "Save alert settings" })).toBeDisabled();
    fireEvent.click(screen.getByRole("button", { name: "Generate secret" }));
    fireEvent.click(screen.getByRole("button", { name: "Save alert settings" }));
    expect(await screen.findByText(/Alert settings saved/)).toBeTruthy();
    const [put] = proxy.requests("PUT", /^\/v1\/alerts\/settings$/);
    expect((put?.body as { webhooks: Array<{ secret: string }> }).webhooks[0]?.secret).toMatch(/^whsec_/);
    // Saved: the secret is not shown again.
    expect((screen.getByLabelText(/Signing secret/) as HTMLInputElement).value).toBe("");
  });
});

describe("ledger URL check", () => {
  it.each([
    ["https://credits.example.com", null],
    ["http://127.0.0.1:8787", null],
    ["https://credits.example.com/", "Leave out the trailing slash."],
    ["ftp://x", "The ledger URL must start with https://"],
    ["nope", "That isn't a URL. It looks like https://credits.example.com"],
  ])("%s", (url, message) => expect(checkLedgerUrl(url)).toBe(message));
});

describe("granting credits to many banks from the settings page", () => {
  it("previews the banks on a plan, writes one idempotent grant per bank, and retries only the failed ones with their own keys", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("GET", /^\/v1\/wallets$/, (req: Forwarded) => ({
      body: {
        wallets: req.url.searchParams.get("plan")
          ? [
              { owner: "org:42", name: "Analytical Engines Ltd", balance: 1240, plan: "gold" },
              { owner: "org:43", name: "Difference & Co", balance: 60, plan: "gold" },
            ]
          : [],
        truncated: false,
      },
    }));
    let failOnce = true;
    proxy.on("POST", /\/grants$/, (req: Forwarded) => {
      if (req.url.pathname.includes("org%3A43") && failOnce) {
        failOnce = false;
        return { status: 503, body: problem(503, "service_unavailable", "The database is unavailable.") };
      }
      return { status: 201, body: { entry: entry({ kind: "grant", amount: 100 }), balance: 1340 } };
    });
    await openAdmin({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" });
    fireEvent.change(await screen.findByLabelText("Credits for each bank"), { target: { value: "100" } });
    fireEvent.change(screen.getByLabelText("Reason (on every statement)"), { target: { value: "Thanks for renewing" } });
    fireEvent.click(screen.getByRole("button", { name: "Preview" }));
    const list = await screen.findByRole("list", { name: "Banks to grant to" });
    expect(list.textContent).toContain("Analytical Engines Ltd");
    expect(list.textContent).toContain("Difference & Co");
    fireEvent.click(screen.getByRole("button", { name: "Grant 100 credits to 2 banks" }));
    expect(await screen.findByText(/Granted to 1 of 2 banks; 1 failed/, {}, { timeout: 5000 })).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Try the failed ones again" }));
    expect(await screen.findByText(/Granted to 2 of 2 banks\./, {}, { timeout: 5000 })).toBeTruthy();
    const writes = proxy.requests("POST", /\/grants$/);
    const keys = writes.map((w) => [w.url.pathname, w.rawHeaders["Idempotency-Key"]]);
    const for43 = keys.filter(([path]) => path?.includes("org%3A43")).map(([, key]) => key);
    // org:43 failed (503) and was retried by hand: both writes carry the same key.
    expect(new Set(for43).size).toBe(1);
    expect(keys.filter(([path]) => path?.includes("org%3A42"))).toHaveLength(1);
    expect(writes[0]?.body).toEqual({ amount: 100, reason: "Thanks for renewing", source: "manual" });
  });
});
