/**
 * The app inside the development host, in real Chromium: `npm start`'s servers (ledger on
 * PGlite, host, app built for that ledger) started by the test in a fresh data folder. Its proxy
 * checks the whitelist before filling placeholders in (the order npm start does not use by
 * default), so the app is seen working under both orders between this and the proxy tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, FrameLocator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertSettings, OutboxPage, PortalTicket, TicketEntries, Wallet } from "../../src/contract/index.js";
import { startDevHost, type DevHost } from "../../src/devhost/devhost.js";
import { axeInBothThemes } from "./axe.js";
import { appFrame, ARTIFACTS, chromiumMissing, launchChromium, readLedger } from "./chromium.js";

describe.skipIf(chromiumMissing)("the app in the development host (Chromium)", () => {
  let host: DevHost;
  let browser: Browser;
  let page: Page;
  let dataDir: string;

  const ledger = <T>(path: string, schema: { parse(v: unknown): T }): Promise<T> => readLedger(host, path, schema);
  const app = (): FrameLocator => page.frameLocator("iframe.app");
  const open = async (label: string) => {
    await page.getByRole("button", { name: label, exact: true }).click();
    await app()
      .getByTestId("balance")
      .or(app().getByRole("button", { name: "Verify connection" }))
      .first()
      .waitFor();
  };

  /** axe's WCAG 2.1 AA rules in the app's document as it is now, light and dark: no serious or critical violation. */
  const expectAccessible = async () => expect(await axeInBothThemes(page, await appFrame(page))).toEqual([]);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "devhost-test-"));
    host = await startDevHost({ dataDir, hostPort: 0, ledgerPort: 0, proxyOrder: "match-then-substitute" });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(host.hostUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("seeds the demo on first start and shows the paying bank's balance in the title", async () => {
    expect(host.seeded).toBe(true);
    await open("Ticket #1042");
    const wallet = await ledger("/v1/wallets/org:42", Wallet);
    const shown = `Credits: ${wallet.balance.toLocaleString("en-US")}`;
    await expect.poll(() => page.getByTestId("app-title").textContent()).toBe(shown);
    // Paid by … because …: the ledger's one rule, from the ticket's own organisation in Deskpro's context.
    expect(await app().getByTestId("payer").textContent()).toBe(
      "Analytical Engines Ltd's bank — The ticket's organisation. Ada Lovelace has no plan or credits of their own.",
    );
    await page.screenshot({ path: join(ARTIFACTS, "ticket-sidebar.png"), fullPage: true });
  });

  it("logs 27 minutes with a preview, changes the balance once even on a double click", async () => {
    await open("Ticket #1042");
    const before = (await ledger("/v1/wallets/org:42", Wallet)).balance;
    await app().getByLabel("Minutes worked").fill("27");
    const expected = `27 min → 30 credits · balance after ${(before - 30).toLocaleString("en-US")}`;
    await expect.poll(() => app().getByTestId("time-preview").textContent()).toContain(expected);

    await app().getByRole("button", { name: "Log 27 min" }).dblclick();
    await expect.poll(() => app().getByTestId("balance").first().textContent()).toBe((before - 30).toLocaleString("en-US"));

    const charges = await ledger("/v1/tickets/1042/entries", TicketEntries);
    expect(charges.entries.filter((e) => e.kind === "time")).toHaveLength(1);
    expect(charges.entries[0]!.amount).toBe(-30);
    expect((await ledger("/v1/wallets/org:42", Wallet)).balance).toBe(before - 30);
    // The statement on the ticket shows the charge.
    await expect.poll(() => app().locator("body").textContent()).toContain("30");
  });

  it("shows the low-balance banner and badge when a debit crosses the level, and refuses to overdraw", async () => {
    await open("Ticket #1043");
    const before = await ledger("/v1/wallets/org:43", Wallet);
    expect(before.lowBalance.state).toBe("ok");
    expect(before.lowBalance.threshold).not.toBeNull();
    // Enough minutes to land just under the alert level.
    const minutes = Math.ceil((before.balance - before.lowBalance.threshold! + 1) / 15) * 15;
    await app().getByLabel("Minutes worked").fill(String(minutes));
    await app()
      .getByRole("button", { name: new RegExp(`^Log `) })
      .click();
    await app().getByTestId("low-balance-banner").waitFor();
    await expect.poll(() => page.getByTestId("app-badge").textContent()).toBe("1");
    expect(await page.getByTestId("app-badge").isVisible()).toBe(true);
    const low = await ledger("/v1/wallets/org:43", Wallet);
    expect(low.balance).toBe(before.balance - minutes);
    expect(low.lowBalance.state).toBe("low");
    await page.screenshot({ path: join(ARTIFACTS, "ticket-sidebar-low.png"), fullPage: true });

    // More than the bank holds: a clear warning, the button stays off, nothing is written.
    await app().getByLabel("Minutes worked").fill("600");
    await expect
      .poll(() => app().locator("body").textContent())
      .toContain(`This would overdraw the bank: it has ${low.balance.toLocaleString("en-US")} credits`);
    expect(await app().getByRole("button", { name: "Log 600 min · 10 h" }).isDisabled()).toBe(true);
    await expectAccessible();
    await app().getByLabel("Minutes worked").press("Enter");
    const after = await ledger("/v1/wallets/org:43", Wallet);
    expect(after.balance).toBe(low.balance);
    const charges = await ledger("/v1/tickets/1043/entries", TicketEntries);
    expect(charges.entries).toHaveLength(1);
  });

  it("shows the person's and the organisation's bank", async () => {
    await open("Ada Lovelace");
    await expect.poll(() => app().locator("body").textContent()).toMatch(/plan|credits/i);
    await page.screenshot({ path: join(ARTIFACTS, "user-sidebar.png"), fullPage: true });

    await open("Analytical Engines Ltd");
    const wallet = await ledger("/v1/wallets/org:42", Wallet);
    await expect.poll(() => app().getByTestId("balance").first().textContent()).toBe(wallet.balance.toLocaleString("en-US"));
    await expect.poll(() => app().locator("body").textContent()).toContain("Business");
    await page.screenshot({ path: join(ARTIFACTS, "organisation-sidebar.png"), fullPage: true });
  });

  it("puts a person on the plan their registration choice gives, read from the helpdesk when their sidebar opens", async () => {
    await open("Mary Somerville");
    await expect.poll(() => app().locator("body").textContent(), { timeout: 15_000 }).toContain("Priority support");
    await expect.poll(() => app().locator("body").textContent()).toContain("Support choice: Priority support with credits");
    const wallet = await ledger("/v1/wallets/person:79", Wallet);
    expect(wallet.plan?.key).toBe("priority");
    expect(wallet.planSource).toBe("person_field");
    // The 100 welcome credits and this month's 300 from the plan.
    await expect.poll(() => app().getByTestId("balance").first().textContent()).toBe(wallet.balance.toLocaleString("en-US"));
    expect(wallet.balance).toBe(400);
    await page.screenshot({ path: join(ARTIFACTS, "plan-from-registration.png"), fullPage: true });
  });

  it("takes a paid tier from the portal form: the trigger charges the fee, sets the priority and leaves a note", async () => {
    await page.getByRole("button", { name: "Portal: new ticket", exact: true }).click();
    await page.getByLabel("You are").selectOption({ label: "Ada Lovelace" });
    await page.getByLabel("Subject").fill("Payroll export is empty");
    await page.getByLabel(/1-hour response/).check();
    await page.screenshot({ path: join(ARTIFACTS, "portal-form.png"), fullPage: true });
    const before = (await ledger("/v1/wallets/org:42", Wallet)).balance;
    await page.getByRole("button", { name: "Submit ticket" }).click();

    await page.getByTestId("note").first().waitFor({ timeout: 20_000 });
    const note = await page.getByTestId("note").first().textContent();
    expect(note).toMatch(/1-hour response: \d+ credits charged, balance [\d,]+/);
    await expect.poll(() => page.getByTestId("ticket-priority").textContent(), { timeout: 10_000 }).toBe("Urgent");
    const subject = await page.getByTestId("ticket-subject").textContent();
    const ticketId = /#(\d+)/.exec((await page.locator("p.muted").first().textContent()) ?? "")?.[1];
    expect(subject).toContain("Payroll export is empty");
    const charges = await ledger(`/v1/tickets/${ticketId}/entries`, TicketEntries);
    expect(charges.entries.map((e) => e.kind)).toEqual(["priority"]);
    expect((await ledger("/v1/wallets/org:42", Wallet)).balance).toBe(before + charges.entries[0]!.amount);
    await app().getByTestId("balance").first().waitFor();
    await expectAccessible();
    await page.screenshot({ path: join(ARTIFACTS, "portal-ticket.png"), fullPage: true });
    // The stand-in answered as Deskpro does (the priority's PUT with 204): every write-back went through at the first attempt.
    const rows = (await ledger("/v1/outbox?limit=200", OutboxPage)).items;
    expect(rows.filter((row) => row.kind.startsWith("deskpro.") || row.kind === "portal.job").length).toBeGreaterThanOrEqual(3);
    for (const row of rows) expect(row, row.kind).toMatchObject({ state: "done", attempts: 1, lastError: null });

    // An agent deletes the ticket: Deskpro reads it back as hidden.deleted, and the fee comes back once.
    await page.getByRole("button", { name: "Delete ticket" }).click();
    // The host page re-reads the open ticket every 1.5 s.
    await expect.poll(() => page.getByTestId("ticket-status").textContent(), { timeout: 10_000 }).toBe("hidden.deleted");
    await expect.poll(async () => (await ledger(`/v1/portal/tickets/${ticketId}`, PortalTicket)).outcome, { timeout: 10_000 }).toBe("cancelled");
    expect((await ledger("/v1/wallets/org:42", Wallet)).balance).toBe(before);
    // The trigger fires again (another update of the deleted ticket): nothing more comes back.
    await page.getByRole("button", { name: "Delete ticket" }).click();
    await page
      .getByText(/the Ticket Updated trigger's web hook got 202/)
      .first()
      .waitFor();
    const settled = async () => (await ledger("/v1/outbox?limit=200", OutboxPage)).items.every((row) => row.state === "done");
    await expect.poll(settled, { timeout: 10_000 }).toBe(true);
    expect((await ledger(`/v1/tickets/${ticketId}/entries`, TicketEntries)).entries.filter((e) => e.kind === "refund")).toHaveLength(1);
    await expect.poll(() => page.getByTestId("note").count()).toBe(2); // the charge's note and the refund's
    expect(await page.getByTestId("note").nth(1).textContent()).toContain("refunded (ticket cancelled)");
  });

  it("sends a buy link into the reply box, and the customer page opens on a phone", async () => {
    // The demo tenant's card buying is connected to the host's Stripe simulation, so the page offers its packs.
    await open("Ticket #1042");
    await app().getByRole("button", { name: "Send buy link" }).click();
    await expect.poll(() => page.getByTestId("reply-box").inputValue()).toMatch(/\/pay\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/);
    const url = /(http:\/\/\S+\/pay\/\S+)/.exec(await page.getByTestId("reply-box").inputValue())![1]!;

    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await phone.goto(url);
    const wallet = await ledger("/v1/wallets/org:42", Wallet);
    expect(await phone.getByTestId("balance").textContent()).toContain(wallet.balance.toLocaleString("en-US"));
    expect(await phone.getByRole("button", { name: "Buy 500 credits" }).isVisible()).toBe(true);
    expect(await phone.getByRole("button", { name: "Buy 2,000 credits" }).isVisible()).toBe(true);
    expect(await phone.getByRole("meter").count()).toBe(1);
    expect(await phone.getByRole("heading", { name: "Recent usage" }).isVisible()).toBe(true);
    // Nothing on the page is wider than the phone.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // With its packs and buy buttons, in both themes.
    expect(await axeInBothThemes(phone, phone)).toEqual([]);
    await phone.screenshot({ path: join(ARTIFACTS, "customer-page.png"), fullPage: true });

    const dot = url.lastIndexOf(".");
    const tampered = `${url.slice(0, dot + 1)}${url[dot + 1] === "A" ? "B" : "A"}${url.slice(dot + 2)}`;
    const refused = await phone.goto(tampered);
    expect(refused?.status()).toBe(404);
    expect(await phone.getByRole("heading").first().textContent()).toBe("This link is not valid");
    expect(await axeInBothThemes(phone, phone)).toEqual([]);
    await phone.close();
  });

  it("changes a tier's price on the admin page (with the saved key, not typed again), and the ticket sidebar offers the new price", async () => {
    // The saved key is not sent back to the page: its field is empty, and the page connects with the saved key.
    await open("Admin: app settings");
    expect(await page.getByLabel("Ledger API key").inputValue()).toBe("");
    await app()
      .getByText(/^Connected\./)
      .waitFor();
    await app()
      .getByText(/Every option of “Response time” shows its tier's current price/)
      .waitFor();
    const price = app().getByLabel("Price (credits)").nth(2);
    await price.waitFor();
    expect(await price.inputValue()).toBe("250");
    await price.fill("300");
    await app().getByRole("button", { name: "Save configuration" }).click();
    await expect
      .poll(async () => {
        const response = await fetch(`${host.ledgerUrl}/v1/config`, { headers: { authorization: `Bearer ${host.apiKey}` } });
        const body = (await response.json()) as { config: { tiers: Array<{ key: string; price: number }> } };
        return body.config.tiers.find((t) => t.key === "1-hour")?.price;
      })
      .toBe(300);
    await page.screenshot({ path: join(ARTIFACTS, "admin-settings.png"), fullPage: true });
    // The portal form still says 250: the page gives the title to paste, and warns until Deskpro has it.
    await app()
      .getByText(/Some options show another price than their tier's/)
      .waitFor();
    expect(await app().getByTestId("label-1-hour").textContent()).toContain("1-hour response — 300 credits");
    expect(await app().getByTestId("label-1-hour").textContent()).toContain("Deskpro shows: 1-hour response — 250 credits");
    await expectAccessible();
    await app().getByTestId("label-1-hour").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, "admin-option-titles.png"), fullPage: true });

    await open("Ticket #1042");
    await expect.poll(() => app().getByRole("combobox", { name: "Response tier" }).textContent()).toContain("1-hour response — 300 credits");
  });

  it("charges a portal customer the price the form showed them until the option's title is changed", async () => {
    const submit = async () => {
      await page.getByRole("button", { name: "Portal: new ticket", exact: true }).click();
      await page.getByLabel("You are").selectOption({ label: "Ada Lovelace" });
      await page.getByLabel(/1-hour response/).check();
      await page.getByRole("button", { name: "Submit ticket" }).click();
      await page.getByTestId("note").first().waitFor({ timeout: 20_000 });
      const ticketId = /#(\d+)/.exec((await page.locator("p.muted").first().textContent()) ?? "")?.[1];
      return (await ledger(`/v1/tickets/${ticketId}/entries`, TicketEntries)).entries.find((e) => e.kind === "priority")!;
    };
    // The form still reads "1-hour response — 250 credits" while the tier costs 300.
    expect((await submit()).amount).toBe(-250);
    expect(await page.getByTestId("note").first().textContent()).toContain("The portal form showed 250 credits; the tier costs 300 now.");

    // The helpdesk admin pastes the title the settings page gave; from then on the form shows 300 and 300 is charged.
    await page.getByRole("button", { name: "Portal: new ticket", exact: true }).click();
    await page.getByLabel("Option 72", { exact: true }).fill("1-hour response — 300 credits");
    await page.getByRole("button", { name: "Save field" }).click();
    await page.getByLabel(/1-hour response — 300 credits/).waitFor();
    expect((await submit()).amount).toBe(-300);
    await open("Admin: app settings");
    await app()
      .getByText(/Every option of “Response time” shows its tier's current price/)
      .waitFor();
  });

  it("edits the alert wording on the admin page and keeps a webhook's secret out of the page once saved", async () => {
    await open("Admin: app settings");
    await page.getByLabel("Ledger API key (self-hosted, or when asked to paste it)").fill(host.apiKey!);
    await app().getByRole("button", { name: "Verify connection" }).click();
    const low = app().getByLabel(/when credits run low/);
    await low.waitFor();
    await low.fill("Hi {name}, {balance} credits left. Top up: {link}");
    await app().getByRole("button", { name: "Add webhook endpoint" }).click();
    await app().getByLabel("Endpoint name").fill("ops");
    await app().getByLabel("Endpoint URL").fill("https://ops.example.com/hooks/credits");
    const secret = await app()
      .getByLabel(/Signing secret/)
      .inputValue();
    expect(secret).toMatch(/^whsec_/);
    await app().getByRole("button", { name: "Save alert settings" }).click();
    await app()
      .getByText(/Alert settings saved/)
      .waitFor();
    const saved = await ledger("/v1/alerts/settings", AlertSettings);
    expect(saved.lowMessage).toBe("Hi {name}, {balance} credits left. Top up: {link}");
    expect(saved.webhooks).toEqual([{ id: "ops", url: "https://ops.example.com/hooks/credits", secretSet: true }]);
    expect(
      await app()
        .getByLabel(/Signing secret/)
        .inputValue(),
    ).toBe("");
    expect(await app().locator("body").textContent()).not.toContain(secret.slice(6));
    await expectAccessible();
    await app()
      .getByRole("heading", { name: "Alert messages and webhooks" })
      .or(app().getByText("Alert messages and webhooks"))
      .first()
      .scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, "alert-settings.png"), fullPage: true });
  });

  it("counts time logged on the ticket's Billing tab once, adjusts it when edited or deleted, and puts sidebar time there without counting it back", async () => {
    type HostTicket = { charges: Array<{ id: number; charge_time: number | null; comment: string }> };
    const hostTicket = async () => (await (await fetch(`${host.hostUrl}/host/api/tickets/1042`)).json()) as HostTicket;
    const fromDeskpro = async (chargeId: number) =>
      (await ledger("/v1/tickets/1042/entries", TicketEntries)).entries.filter((e) => e.reason?.startsWith(`Deskpro time log: charge #${chargeId}`));
    /** The agent presses the sidebar's refresh button; the ledger's answer to the read it asks for is awaited. */
    const refresh = async () => {
      const read = page.waitForResponse((r) => (r.request().headers()["x-proxy-url"] ?? "").endsWith("/deskpro-billing/read"));
      await page.locator("#app-refresh").click();
      expect((await read).status()).toBe(200);
    };
    await open("Ticket #1042");
    await app().getByTestId("deskpro-time-log").waitFor();
    const before = (await ledger("/v1/wallets/org:42", Wallet)).balance;
    // Earlier tests' sidebar time is on the tab already (written there by the ledger).
    const earlier = new Set((await hostTicket()).charges.map((c) => c.id));
    const added = async () => (await hostTicket()).charges.filter((c) => !earlier.has(c.id));

    // An agent logs 25 minutes on Deskpro's Billing tab, then refreshes the sidebar.
    await page.getByRole("tab", { name: "Billing & Time Log" }).click();
    await page.getByLabel("Time (minutes)").fill("25");
    await page.getByLabel("Comment", { exact: true }).fill("Phone call about the fire");
    await page.getByRole("button", { name: "Add Charge" }).click();
    await expect.poll(async () => (await added()).length).toBe(1);
    const [charge] = await added();
    expect(charge!.charge_time).toBe(1500);
    await refresh();
    await app().getByText(`From Deskpro's time log #${charge!.id}`).waitFor();
    const [counted] = await fromDeskpro(charge!.id);
    expect(counted).toMatchObject({ kind: "time", minutes: 25 });
    await expect.poll(() => app().getByTestId("balance").first().textContent()).toBe((before + counted!.amount).toLocaleString("en-US"));
    await page.screenshot({ path: join(ARTIFACTS, "billing-tab.png"), fullPage: true });
    await page.locator("#sidebar").screenshot({ path: join(ARTIFACTS, "billing-tab-sidebar.png") });
    // Read again and again: counted once.
    await refresh();
    await refresh();
    expect(await fromDeskpro(charge!.id)).toHaveLength(1);
    expect((await ledger("/v1/wallets/org:42", Wallet)).balance).toBe(before + counted!.amount);

    // Edited to 40 minutes: the 25 come back and 40 are charged.
    await page.getByRole("button", { name: `Edit charge #${charge!.id}` }).click();
    await page.getByLabel("Edit time (minutes)").fill("40");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expect.poll(async () => (await added())[0]?.charge_time).toBe(2400);
    await refresh();
    const edited = await fromDeskpro(charge!.id);
    expect(edited.map((e) => [e.kind, e.minutes])).toEqual([
      ["time", 25],
      ["refund", -25],
      ["time", 40],
    ]);
    expect(edited[1]!.reversesEntryId).toBe(counted!.id);
    expect((await ledger("/v1/wallets/org:42", Wallet)).balance).toBe(before + edited[2]!.amount);

    // Deleted in Deskpro: the 40 come back too.
    await page.getByRole("button", { name: `Delete charge #${charge!.id}` }).click();
    await expect.poll(async () => (await added()).length).toBe(0);
    await refresh();
    expect((await fromDeskpro(charge!.id)).map((e) => e.kind)).toEqual(["time", "refund", "time", "refund"]);
    await expect.poll(() => app().getByTestId("balance").first().textContent()).toBe(before.toLocaleString("en-US"));

    // Time logged in the sidebar goes into the Billing tab, and reading the tab doesn't count it again.
    await app().getByLabel("Minutes worked").fill("10");
    await app().getByRole("button", { name: "Log 10 min" }).click();
    await app()
      .getByText(/It goes into Deskpro's time log too\./)
      .waitFor();
    const afterSidebar = (await ledger("/v1/wallets/org:42", Wallet)).balance;
    await expect.poll(async () => (await added()).map((c) => c.charge_time), { timeout: 10_000 }).toEqual([600]);
    await page.getByTestId("billing-charge").filter({ hasText: "10 min logged in Support Credits by Grace Hopper" }).waitFor();
    await refresh();
    await refresh();
    expect((await ledger("/v1/wallets/org:42", Wallet)).balance).toBe(afterSidebar);
    const [written] = await added();
    await app().getByText(`#${written!.id} · 00:10:00 · logged here, not counted again`).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "billing-tab-from-sidebar.png"), fullPage: true });

    // The settings page says which mode is in use and which Deskpro charge the ledger saw last.
    await open("Admin: app settings");
    await app().getByTestId("billing-mode").waitFor();
    expect(await app().getByTestId("billing-mode").textContent()).toContain("In use: Both ways");
    await app().getByText(`#${charge!.id} on ticket #1042 · 00:40:00`).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, "billing-settings.png"), fullPage: true });
  });

  it("keeps the timer in user state across a reload of the sidebar and a restart of the host", async () => {
    await open("Ticket #1042");
    await app().getByRole("button", { name: "Timer" }).click();
    await app().getByRole("button", { name: "Start" }).click();
    await expect.poll(() => app().getByRole("button", { name: "Pause" }).count()).toBe(1);
    await expectAccessible();
    await page.reload();
    await open("Ticket #1042");
    await app().getByRole("button", { name: "Timer" }).click();
    await expect.poll(() => app().getByRole("button", { name: "Pause" }).count()).toBe(1);

    // The same data folder after a restart: same tenant, no second seed, the timer still there.
    const { tenantId } = host;
    await host.close();
    host = await startDevHost({ dataDir, hostPort: 0, ledgerPort: 0 });
    expect(host.seeded).toBe(false);
    expect(host.tenantId).toBe(tenantId);
    await page.goto(host.hostUrl);
    await open("Ticket #1042");
    await app().getByRole("button", { name: "Timer" }).click();
    await expect.poll(() => app().getByRole("button", { name: "Pause" }).count()).toBe(1);
  });
});
