/**
 * The development host's own page in Chromium: a view clicked while the first one is still
 * connecting, and messages with long web addresses.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevHost, type DevHost } from "../../src/devhost/devhost.js";
import { appFrame, ARTIFACTS, chromiumMissing, launchChromium } from "./chromium.js";

describe.skipIf(chromiumMissing)("the development host's page (Chromium)", () => {
  let host: DevHost;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "devhost-page-"));
    host = await startDevHost({ dataDir, hostPort: 0, ledgerPort: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("opens the last view clicked, with no error, when a view is clicked while the first is still connecting", async () => {
    // Hold the first view's context until the second view's iframe is in place: the moment a click
    // within a second of loading lands in.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const contextAsked = new Promise<void>((resolve) => (asked = resolve));
    await page.route(/\/host\/api\/context\?view=ticket%3A1043$/, async (route) => {
      asked();
      await held;
      await route.continue();
    });
    await page.goto(`${host.hostUrl}/#/ticket:1043`);
    await contextAsked;
    await page.evaluate(() => document.querySelector("iframe.app")?.setAttribute("data-first-view", ""));
    await page.getByRole("button", { name: "Ticket #1042", exact: true }).click();
    await page.locator("iframe.app:not([data-first-view])").waitFor({ state: "attached" });
    release();
    const f = await appFrame(page);
    await f.getByTestId("balance").first().waitFor();
    await page.waitForTimeout(1500);
    await page.unroute(/\/host\/api\/context/);
    expect(await page.locator("#toasts").textContent()).toBe("");
    expect(pageErrors).toEqual([]);
    expect(await page.locator("iframe.app").count()).toBe(1);
    expect(await page.locator("nav#views button[aria-current=page]").textContent()).toBe("Ticket #1042");
  });

  it("wraps a long address in a message instead of widening the page, and makes it a link", async () => {
    const { apiKey } = (await (await fetch(`${host.hostUrl}/host/api/helpdesk-admin`)).json()) as { apiKey: string };
    const { ticket } = (await (await fetch(`${host.hostUrl}/host/api/tickets/1042`)).json()) as { ticket: { person: number } };
    const url = `https://credits.example.com/pay/${"a".repeat(300)}`;
    const created = await fetch(`${host.hostUrl}/api/v2/tickets`, {
      method: "POST",
      headers: { authorization: `key ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ person: ticket.person, subject: "A long link", message: { message: `Buy credits here: ${url}.` } }),
    });
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { id: number } };
    await page.goto(`${host.hostUrl}/#/ticket:${data.id}`);
    await page.reload();
    const link = page.getByTestId("message").getByRole("link", { name: url });
    await link.waitFor();
    expect(await link.getAttribute("href")).toBe(url);
    expect(await link.getAttribute("target")).toBe("_blank");
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    const entity = await page.locator("#entity").boundingBox();
    const sidebar = await page.locator("#sidebar").boundingBox();
    expect(entity!.x + entity!.width).toBeLessThanOrEqual(sidebar!.x);
    await page.screenshot({ path: join(ARTIFACTS, "devhost-long-link.png") });
  });
});
