/**
 * Debian's Chromium, driven by playwright-core; never a downloaded browser. Without it the
 * browser tests are skipped with a loud warning locally, and fail under CI=true.
 */
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { chromium, type Browser, type Frame, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const ARTIFACTS = resolve(import.meta.dirname, "../artifacts");

const ci = process.env.CI === "true" || process.env.CI === "1";
export const chromiumMissing = !existsSync(CHROMIUM);

if (chromiumMissing) {
  const why = `${CHROMIUM} is not installed: the browser tests need Debian's chromium package (apt-get install -y chromium).`;
  if (ci) throw new Error(`${why} Under CI=true they must run, so the run fails.`);
  console.warn(`\n${"!".repeat(78)}\n${why}\nThe browser tests are SKIPPED.\n${"!".repeat(78)}\n`);
}

export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** The app's iframe in the development host once the view has replaced it (opening a view removes the old one). */
export async function appFrame(page: Page): Promise<Frame> {
  for (let i = 0; i < 100; i++) {
    const f = await (await page.$("iframe.app"))?.contentFrame();
    if (f && !f.isDetached() && f.url().includes("/app/index.html")) {
      if (
        (await f
          .locator("#root *")
          .count()
          .catch(() => 0)) > 0
      )
        return f;
    }
    await page.waitForTimeout(100);
  }
  throw new Error("the app's iframe did not load");
}

/** A read from the development host's ledger with its demo tenant's key, parsed with the contract's schema. */
export async function readLedger<T>(host: { ledgerUrl: string; apiKey: string | null }, path: string, schema: { parse(v: unknown): T }): Promise<T> {
  const response = await fetch(`${host.ledgerUrl}${path}`, { headers: { authorization: `Bearer ${host.apiKey}` } });
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
  return schema.parse(await response.json());
}
