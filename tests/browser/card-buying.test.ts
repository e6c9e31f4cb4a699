/**
 * Card buying walked locally, in Chromium at 300 px: the development host's demo customer page
 * lists the demo's packs, Buy goes to the local Stripe simulation's Checkout page, Pay sends the
 * signed events to the ledger, and the customer comes back to a bank that moved once, with the
 * purchase's receipt and invoice listed. A replayed event moves nothing.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerLink, PurchasePage, StripeConnection, StripeHookResult, Wallet } from "../../src/contract/index.js";
import { startDevHost, type DevHost } from "../../src/devhost/devhost.js";
import { appFrame, ARTIFACTS, chromiumMissing, launchChromium, readLedger } from "./chromium.js";
import { axeViolations } from "./axe.js";
import { layoutProblems } from "./layout.js";

const DOCS = resolve(import.meta.dirname, "../../docs/screenshots");
const WIDTH = 300;
const OWNER = "org:43";

describe.skipIf(chromiumMissing)("buying a pack by card on the local customer page (Chromium)", () => {
  let host: DevHost;
  let browser: Browser;
  let page: Page;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "devhost-card-"));
    host = await startDevHost({ dataDir, hostPort: 0, ledgerPort: 0, stripePort: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: WIDTH, height: 700 } });
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const balance = async () => (await readLedger(host, `/v1/wallets/${OWNER}`, Wallet)).balance;
  const shoot = async (name: string) => {
    const file = join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, join(DOCS, `${name}.png`));
  };

  it("lists the demo's two packs, pays through the simulated Checkout, and moves the bank once", async () => {
    const response = await fetch(`${host.ledgerUrl}/v1/wallets/${OWNER}/customer-links`, {
      method: "POST",
      headers: { authorization: `Bearer ${host.apiKey}`, "content-type": "application/json" },
      body: "{}",
    });
    const link = CustomerLink.parse(await response.json());
    const before = await balance();

    await page.goto(link.url);
    expect(await page.getByRole("button", { name: /^Buy / }).allTextContents()).toEqual(["Buy 500 credits", "Buy 2,000 credits"]);
    expect(await page.textContent("body")).not.toContain("not available here");
    expect(await layoutProblems(page)).toEqual([]);

    await page.getByRole("button", { name: "Buy 500 credits" }).click();
    await page.waitForURL(new RegExp(`^${host.stripe.url}/c/pay/cs_test_`));
    expect(await page.getByTestId("checkout-total").textContent()).toBe("$250.00");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("500 credits of support");
    await page.getByLabel("Email (your receipt goes here)").fill("ada@example.com");
    await page.getByLabel("Country").selectOption("DE");
    await page.getByLabel("Address").fill("Unter den Linden 1");
    await page.getByLabel("City").fill("Berlin");
    await page.getByLabel("Postal code").fill("10117");
    await page.getByLabel(/VAT or tax ID/).fill("DE123456789");
    expect(await layoutProblems(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await shoot("stripe-checkout");
    await page.getByRole("button", { name: "Pay $250.00" }).click();

    await page.waitForURL((url) => url.href.startsWith(link.url) && url.search === "?checkout=success");
    expect(await page.getByTestId("balance").textContent()).toContain((before + 500).toLocaleString("en"));
    expect(await balance()).toBe(before + 500);
    const row = page.getByTestId("purchase").first();
    expect(await row.textContent()).toContain("500 credits");
    expect(await row.getByRole("link", { name: "Receipt" }).getAttribute("href")).toMatch(new RegExp(`^${host.stripe.url}/receipts/ch_`));
    expect(await row.getByRole("link", { name: "Invoice" }).getAttribute("href")).toMatch(new RegExp(`^${host.stripe.url}/invoices/in_`));
    expect(await layoutProblems(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    await shoot("customer-page-bought");

    // Every event was signed with the endpoint's secret and accepted.
    expect(host.stripe.deliveries.map((d) => [d.type, d.status])).toEqual([
      ["charge.succeeded", 200],
      ["checkout.session.completed", 200],
      ["invoice.finalized", 200],
      ["invoice.paid", 200],
    ]);
    // Stripe delivers an event again when it saw no answer: the pack is not granted twice.
    const completed = host.stripe.deliveries.find((d) => d.type === "checkout.session.completed")!;
    const again = await host.stripe.resend(completed.eventId);
    expect(StripeHookResult.parse(JSON.parse(again.body)).outcome).toBe("already_granted");
    expect(await balance()).toBe(before + 500);
    await page.reload();
    expect(await page.getByTestId("balance").textContent()).toContain((before + 500).toLocaleString("en"));

    const connection = await readLedger(host, "/v1/integrations/stripe", StripeConnection);
    expect(connection.lastEvent).toMatchObject({ id: completed.eventId, type: "checkout.session.completed", outcome: "already_granted" });
  });

  it("takes back a refund made on the simulated receipt, and says so on the customer page", async () => {
    const [purchase] = (await readLedger(host, `/v1/wallets/${OWNER}/purchases`, PurchasePage)).purchases;
    const before = await balance();
    await page.goto(purchase!.receiptUrl!);
    await page.getByLabel(/^Amount/).fill("5000");
    await page.getByRole("button", { name: "Refund" }).click();
    await page.waitForURL(purchase!.receiptUrl!);
    expect(host.stripe.deliveries.at(-1)).toMatchObject({ type: "charge.refunded", status: 200 });
    expect(await balance()).toBe(before - 100);
    const link = CustomerLink.parse(
      await (
        await fetch(`${host.ledgerUrl}/v1/wallets/${OWNER}/customer-links`, {
          method: "POST",
          headers: { authorization: `Bearer ${host.apiKey}`, "content-type": "application/json" },
          body: "{}",
        })
      ).json(),
    );
    await page.goto(link.url);
    expect(await page.getByTestId("purchase").first().textContent()).toContain("$50.00 refunded; 100 credits taken back");
  });

  it("shows on the settings page, at 300 px, that card payments work and the last event received", async () => {
    await page.setViewportSize({ width: 1100, height: 1400 });
    await page.goto(host.hostUrl);
    await page.getByRole("button", { name: "Admin: app settings", exact: true }).click();
    let f = await appFrame(page);
    await expect
      .poll(
        async () => {
          await page.evaluate((w) => document.querySelectorAll<HTMLIFrameElement>("iframe.app").forEach((el) => (el.style.width = `${w}px`)), WIDTH);
          f = await appFrame(page);
          return f.evaluate(() => document.documentElement.clientWidth);
        },
        { timeout: 15_000 },
      )
      .toBe(WIDTH);
    const status = f.getByTestId("card-payments-status");
    await status.waitFor({ timeout: 15_000 });
    expect(await status.textContent()).toContain("Card payments work (test mode)");
    const section = f.locator("section", { has: f.getByRole("heading", { name: "Card payments" }) });
    expect(await section.textContent()).toMatch(/Last event\s*charge\.refunded, .*: refund taken back/);
    expect(await layoutProblems(f)).toEqual([]);
    const file = join(ARTIFACTS, "card-payments-settings.png");
    await section.screenshot({ path: file });
    copyFileSync(file, join(DOCS, "card-payments-settings.png"));
  });
});
