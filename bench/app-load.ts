/**
 * Time from the sidebar iframe starting to load to the balance being on screen, in Debian's
 * Chromium against the development host (ledger on PGlite, warm). Measured inside the iframe:
 * its own clock starts at its navigation, and a MutationObserver notes when the balance appears.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startDevHost } from "../src/devhost/devhost.js";

export interface AppLoadResult {
  loads: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  samplesMs: number[];
}

const CHROMIUM = "/usr/bin/chromium";

// Runs in every frame before its scripts: remembers when the balance first shows.
const OBSERVE_BALANCE = `
  (() => {
    const seen = () => document.querySelector('[data-testid="balance"]');
    const observer = new MutationObserver(() => {
      if (seen()) { window.__balanceShownAt = performance.now(); observer.disconnect(); }
    });
    document.addEventListener("DOMContentLoaded", () => observer.observe(document.body, { childList: true, subtree: true }));
  })();`;

export async function benchAppLoad(options: { loads?: number; warmup?: number } = {}): Promise<AppLoadResult> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const loads = options.loads ?? 15;
  const warmup = options.warmup ?? 3;
  const dataDir = mkdtempSync(join(tmpdir(), "bench-app-load-"));
  const host = await startDevHost({ dataDir, hostPort: 0, ledgerPort: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript(OBSERVE_BALANCE);
    await page.goto(`${host.hostUrl}/#/ticket:1042`);
    const samples: number[] = [];
    for (let i = 0; i < warmup + loads; i++) {
      await page.getByRole("button", { name: "Ticket #1042", exact: true }).click();
      const frame = page.frameLocator("iframe.app");
      await frame.getByTestId("balance").first().waitFor();
      const shownAt = await frame.locator("body").evaluate(() => (globalThis as unknown as { __balanceShownAt?: number }).__balanceShownAt ?? null);
      if (shownAt === null) throw new Error("the balance appeared before the observer was set up");
      if (i >= warmup) samples.push(shownAt);
    }
    const sorted = [...samples].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return { loads, medianMs: round(median), minMs: round(sorted[0]!), maxMs: round(sorted.at(-1)!), samplesMs: samples.map(round) };
  } finally {
    await browser.close();
    await host.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
