/**
 * The main jobs done with the keyboard alone, in Chromium against the development host: Tab,
 * Shift+Tab, Enter, Space and typing, from the host page's start (its view buttons, as Deskpro's
 * navigation) into the app's sidebar. Each job's effect is read back from the ledger, and focus is
 * checked after each action: it stays where the agent can carry on, never dropped to the page.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Frame, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigResponse, EntryPage, TicketEntries, Wallet } from "../../src/contract/index.js";
import { startDevHost, type DevHost } from "../../src/devhost/devhost.js";
import { appFrame, chromiumMissing, launchChromium, readLedger } from "./chromium.js";

interface Focused {
  tag: string;
  name: string;
  pressed: string | null;
  invalid: string | null;
}

/** Runs in the page or the frame: the focused element and its accessible name, or null when focus is on the page itself. */
function describeFocus(): Focused | null {
  const el = document.activeElement as HTMLElement | null;
  if (!el || el === document.body || el === document.documentElement) return null;
  const labelled = (el as HTMLInputElement).labels?.[0]?.textContent;
  const name = el.getAttribute("aria-label") ?? labelled ?? el.textContent ?? "";
  return {
    tag: el.tagName.toLowerCase(),
    name: name.replace(/\s+/g, " ").trim(),
    pressed: el.getAttribute("aria-pressed"),
    invalid: el.getAttribute("aria-invalid"),
  };
}

describe.skipIf(chromiumMissing)("the main jobs with the keyboard alone (Chromium)", () => {
  let host: DevHost;
  let browser: Browser;
  let page: Page;
  let dataDir: string;

  const ledger = <T>(path: string, schema: { parse(v: unknown): T }): Promise<T> => readLedger(host, path, schema);
  const focusIn = (target: Page | Frame) => target.evaluate(describeFocus);
  const matches = (focused: Focused | null, name: string | RegExp) =>
    focused !== null && (typeof name === "string" ? focused.name === name : name.test(focused.name));

  /** Presses Tab (Shift+Tab with `back`) until the control named `name` has focus; fails after `limit` presses. */
  const tabTo = async (target: Page | Frame, name: string | RegExp, { back = false, limit = 200 } = {}): Promise<Focused> => {
    for (let i = 0; i < limit; i++) {
      await page.keyboard.press(back ? "Shift+Tab" : "Tab");
      const focused = await focusIn(target);
      if (matches(focused, name)) return focused!;
    }
    throw new Error(`${limit} presses of ${back ? "Shift+Tab" : "Tab"} never reached ${String(name)}`);
  };

  /** From a fresh host page: Tab to the host's view button, Enter, and wait for the app to show. */
  const openWithKeyboard = async (view: string, ready: (f: Frame) => Promise<unknown>): Promise<Frame> => {
    await page.goto(host.hostUrl);
    await tabTo(page, view);
    await page.keyboard.press("Enter");
    const f = await appFrame(page);
    await ready(f);
    return f;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "devhost-keyboard-"));
    host = await startDevHost({ dataDir, hostPort: 0, ledgerPort: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("logs time on a ticket, then refunds it", async () => {
    const f = await openWithKeyboard("Ticket #1042", (f) => f.getByTestId("balance").first().waitFor());
    const before = await ledger("/v1/tickets/1042/entries", TicketEntries);

    // The mode toggles say which is on, and Space switches them.
    expect((await tabTo(f, "Timer")).pressed).toBe("false");
    await page.keyboard.press("Space");
    expect((await focusIn(f))?.pressed).toBe("true");
    await tabTo(f, "Manual");
    await page.keyboard.press("Space");
    expect((await focusIn(f))?.pressed).toBe("true");

    // Enter in the empty field says what is missing, marks the field and keeps focus there; nothing is written.
    await tabTo(f, "Minutes worked");
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await focusIn(f))?.invalid).toBe("true");
    expect((await focusIn(f))?.name).toBe("Minutes worked");
    expect(await f.getByText("Enter the minutes worked.").count()).toBe(1);

    await page.keyboard.type("20");
    await f
      .getByTestId("time-preview")
      .getByText(/^20 min →/)
      .waitFor();
    await page.keyboard.press("Enter");
    await f.getByText(/^Logged 20 min/).waitFor();
    const logged = (await ledger("/v1/tickets/1042/entries", TicketEntries)).entries.find(
      (e) => e.kind === "time" && e.minutes === 20 && !before.entries.some((b) => b.id === e.id),
    );
    expect(logged).toBeDefined();
    expect(await focusIn(f)).toMatchObject({ name: "Minutes worked", invalid: "false" });

    // Back up to the new charge's Refund… button; its form opens with focus in the reason.
    const credits = (-logged!.amount).toLocaleString("en-US");
    await tabTo(f, `Refund Time worked · 20 min, ${credits} credits`, { back: true });
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await focusIn(f))?.name).toBe("Reason for the refund");
    // Escape closes the form and returns to the button; Enter opens it again.
    await page.keyboard.press("Escape");
    await expect.poll(async () => (await focusIn(f))?.name).toBe(`Refund Time worked · 20 min, ${credits} credits`);
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await focusIn(f))?.name).toBe("Reason for the refund");
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await focusIn(f))?.invalid).toBe("true");
    await page.keyboard.type("Logged on the wrong ticket");
    await page.keyboard.press("Enter");
    // The form and its button are gone: focus moves to what happened.
    await expect.poll(async () => (await focusIn(f))?.name).toBe(`Refunded ${credits} credits to the bank.`);
    const refund = (await ledger("/v1/tickets/1042/entries", TicketEntries)).entries.find((e) => e.reversesEntryId === logged!.id);
    expect(refund).toMatchObject({ kind: "refund", amount: -logged!.amount, reason: "Logged on the wrong ticket" });
  });

  it("adds credits to an organisation's bank", async () => {
    const f = await openWithKeyboard("Analytical Engines Ltd", (f) => f.getByTestId("forecast").waitFor({ timeout: 15_000 }));
    const before = await ledger("/v1/wallets/org:42", Wallet);

    await tabTo(f, "Credits");
    await page.keyboard.type("40");
    await tabTo(f, "Reason (required)");
    await page.keyboard.type("Keyboard goodwill");
    await page.keyboard.press("Enter");
    await f.getByText("Added 40 credits.", { exact: false }).waitFor();
    expect((await ledger("/v1/wallets/org:42", Wallet)).balance).toBe(before.balance + 40);
    const statement = await ledger("/v1/wallets/org:42/entries?limit=5", EntryPage);
    expect(statement.entries[0]).toMatchObject({ kind: "grant", amount: 40, reason: "Keyboard goodwill" });
    // Focus stays in the form (the field Enter was pressed in), ready for another change.
    expect((await focusIn(f))?.name).toBe("Reason (required)");
  });

  it("changes a tier's price on the settings page", async () => {
    const f = await openWithKeyboard("Admin: app settings", (f) => f.getByText(/^Connected\./).waitFor({ timeout: 15_000 }));
    const before = await ledger("/v1/config", ConfigResponse);
    const index = before.config.tiers.findIndex((t) => t.key === "1-hour");

    // Tab through the tiers' price fields to the 1-hour tier's.
    for (let i = 0; i <= index; i++) await tabTo(f, "Price (credits)");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("275");
    await tabTo(f, "Save configuration");
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await ledger("/v1/config", ConfigResponse)).config.tiers.find((t) => t.key === "1-hour")?.price).toBe(275);
    // Save and Discard turn off once saved: focus moves to the outcome.
    await expect.poll(async () => (await focusIn(f))?.name).toMatch(/^Saved\.$/);
  });
});
