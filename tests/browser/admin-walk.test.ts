/**
 * From a freshly installed, unconfigured app to a customer's first paid ticket, in Chromium, with
 * no terminal and no curl: the admin connects the helpdesk from the settings page, makes the tier
 * field and the webhook secret there, picks priorities from Deskpro's list, copies the web hook
 * values into the helpdesk's triggers, gives a customer credits from a sidebar, and a portal
 * ticket with a paid tier is charged. The screenshots illustrate docs/admin-guide.md.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, Frame, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevHost, type DevHost } from "../../src/devhost/devhost.js";
import { axeInBothThemes, danglingReferences } from "./axe.js";
import { ARTIFACTS, chromiumMissing, launchChromium } from "./chromium.js";

const DOCS = resolve(import.meta.dirname, "../../docs/screenshots");
const WIDTH = 300;

describe.skipIf(chromiumMissing)("from a fresh install to the first paid ticket (Chromium)", () => {
  let host: DevHost;
  let browser: Browser;
  let page: Page;
  let dataDir: string;

  const frameOf = async (selector: string): Promise<Frame> => {
    for (let i = 0; i < 150; i++) {
      const f = await (await page.$(selector))?.contentFrame();
      if (
        f &&
        !f.isDetached() &&
        (await f
          .locator("#root *")
          .count()
          .catch(() => 0)) > 0
      )
        return f;
      await page.waitForTimeout(100);
    }
    throw new Error(`${selector} did not load`);
  };
  const view = async (label: string) => {
    await page.getByRole("button", { name: label, exact: true }).click();
    await page.waitForTimeout(300);
  };
  /** The settings iframes at exactly the sidebar's width, then a picture of the one named (or of one section in it). */
  const shoot = async (name: string, selector: string, section?: string) => {
    await page.evaluate(
      (w) => document.querySelectorAll<HTMLIFrameElement>("iframe.app, iframe.app-setting").forEach((f) => (f.style.width = `${w}px`)),
      WIDTH,
    );
    await page.evaluate(() => document.querySelector("#toasts")?.replaceChildren());
    await page.waitForTimeout(400);
    const file = join(ARTIFACTS, `${name}.png`);
    if (section) {
      const f = await frameOf(selector);
      await f.locator("section", { has: f.getByRole("heading", { name: section }) }).screenshot({ path: file });
    } else await page.locator(selector).screenshot({ path: file });
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(file, join(DOCS, `${name}.png`));
  };

  /** WCAG 2.1 AA in both themes (no serious or critical axe violation) and no ARIA reference to a missing element. */
  const expectAccessible = async (f: Frame) => {
    expect(await danglingReferences(f)).toEqual([]);
    expect(await axeInBothThemes(page, f)).toEqual([]);
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "devhost-fresh-"));
    host = await startDevHost({ dataDir, hostPort: 0, ledgerPort: 0, fresh: true });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    await page.goto(host.hostUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("connects, sets up the portal tiers and charges a customer's paid-tier ticket, from the pages alone", async () => {
    expect(host.tenantId).toBeNull();
    await view("Admin: API keys and triggers");
    const deskproKey = (await page.getByTestId("helpdesk-api-key").textContent())!.trim();

    // 1. Connect this helpdesk.
    await view("Admin: app settings");
    let connect = await frameOf("iframe.app-setting");
    await connect.getByLabel("Deskpro API key").fill(deskproKey);
    await shoot("connect-helpdesk", "iframe.app-setting");
    await expectAccessible(connect);
    await connect.getByRole("button", { name: "Connect this helpdesk" }).click();
    await connect
      .getByText(/Connected as Grace Hopper\. Press Save/)
      .waitFor({ timeout: 15_000 })
      .catch(async (e: unknown) => {
        throw new Error(`${String(e)}\n${await connect.locator("body").textContent()}`);
      });
    let config = await frameOf("iframe.app");
    await config.getByText(/^Connected\./).waitFor({ timeout: 15_000 });
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Settings saved").waitFor();

    // 2. The tier field, made in Deskpro; it gives the paid tiers Deskpro's priorities (fastest tier, most
    // urgent), shown at once in Response tiers; the webhook secret, shown once.
    await config.getByRole("button", { name: "Create the Response time field in Deskpro" }).click();
    await expect.poll(() => config.getByTestId("check-fieldFound").getAttribute("data-done")).toBe("true");
    await config.getByText(/Paid tiers now set a Deskpro priority: 4-hour response → High, 1-hour response → Urgent\./).waitFor();
    const priorities = config.getByLabel("Deskpro priority");
    await expect.poll(async () => [await priorities.nth(1).inputValue(), await priorities.nth(2).inputValue()]).toEqual(["3", "4"]);
    await config.getByRole("button", { name: "Make the webhook secret" }).click();
    const secret = (await config.getByTestId("webhook-secret").textContent())!.trim();
    const urls = Object.fromEntries(
      await Promise.all(
        ["ticket-created", "ticket-updated", "sla-failed"].map(async (e) => [e, (await config.getByTestId(`hook-url-${e}`).textContent())!.trim()] as const),
      ),
    );
    expect(urls["ticket-created"]).toMatch(new RegExp(`^${host.ledgerUrl}/hooks/deskpro/tnt_[0-9a-z]{26}/ticket-created$`));
    expect(await config.getByTestId("hook-header-ticket-created-x-credits-webhook-secret").textContent()).toBe(secret);
    await shoot("portal-setup", "iframe.app", "Paid tiers on the portal: setup");
    await expectAccessible(config);

    // 3. In the helpdesk: the web hook actions, with the values copied from the settings page.
    await view("Admin: API keys and triggers");
    for (const [event, url] of Object.entries(urls)) {
      await page.locator(`input[name="${event}.url"]`).fill(url);
      await page.locator(`input[name="${event}.secret"]`).fill(secret);
    }
    await page.getByRole("button", { name: "Save triggers" }).click();
    await page.getByText("Triggers saved").waitFor();

    // 4. The customer's organisation gets credits from its sidebar.
    await view("Analytical Engines Ltd");
    const org = await frameOf("iframe.app");
    await org.getByLabel("Credits", { exact: true }).fill("500");
    await org.getByLabel("Reason (required)").fill("Welcome credits");
    await org.getByRole("button", { name: "Add credits" }).click();
    await org.getByText(/Added 500 credits\. Balance now 500/).waitFor();

    // 5. The customer picks the paid tier on the portal.
    await view("Portal: new ticket");
    await page.locator('select[name="person"]').selectOption({ label: "Ada Lovelace" });
    await page.getByLabel(/1-hour response — 250 credits/).check();
    await page.getByRole("button", { name: "Submit ticket" }).click();
    await page.getByText(/the trigger's webhook got 202 from the ledger/).waitFor();
    await expect.poll(() => page.getByTestId("ticket-priority").textContent(), { timeout: 20_000 }).toBe("Urgent");
    await expect.poll(() => page.getByTestId("note").first().textContent()).toContain("250 credits charged, balance 250");

    // 6. The checklist is green, with the last web hook's ticket.
    await view("Admin: app settings");
    config = await frameOf("iframe.app");
    for (const check of ["connected", "fieldFound", "webhookReceived", "priorityWritten"]) {
      await expect.poll(() => config.getByTestId(`check-${check}`).getAttribute("data-done"), { timeout: 15_000 }).toBe("true");
    }
    await shoot("portal-setup-done", "iframe.app", "Paid tiers on the portal: setup");
    await expectAccessible(config);
    connect = await frameOf("iframe.app-setting");
    await connect.getByText(/^Connected to http:\/\/127\.0\.0\.1/).waitFor();
    await expectAccessible(connect);
  });
});
