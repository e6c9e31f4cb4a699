/**
 * The README's demo numbers are the demo's: its helpdesk, what its time rate makes of 27 minutes,
 * its tiers, plans and packs, and the balances its seed leaves (seeded afresh here, as `npm start` does).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { LedgerConfig } from "../../src/contract/index.js";
import { DEMO_CONFIG, seedDemo } from "../../src/devhost/demo.js";
import { demoHelpdesk } from "../../src/devhost/store.js";
import { SECRETS_KEY_ENV } from "../../src/ledger/core/secrets.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { creditsForMinutes } from "../../src/ledger/domain/pricing.js";
import { startLedgerServer } from "../../src/ledger/node.js";

const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8").replace(/\s+/g, " ");
const words = ["zero", "one", "two", "three", "four", "five", "six"];

describe("the README's demo", () => {
  it("describes the helpdesk the development host starts with", () => {
    const desk = demoHelpdesk(new Date());
    const claim = /a demo helpdesk \((\w+) tickets, (\w+) customers, (\w+) organisations\)/.exec(readme);
    expect(claim).not.toBeNull();
    expect(claim!.slice(1).map((w) => words.indexOf(w))).toEqual([
      desk.tickets.length,
      desk.people.filter((p) => !p.is_agent).length,
      desk.organizations.length,
    ]);
  });

  it("quotes the preview the demo's time rate gives, and no balance that changes with the date", () => {
    const [, minutes, credits] = /\("(\d+) min → (\d+) credits · balance after …"/.exec(readme) ?? [];
    expect(creditsForMinutes(Number(minutes), LedgerConfig.parse(DEMO_CONFIG).time)).toBe(Number(credits));
  });
});

/** "1,000" → 1000. */
const count = (figure: string) => Number(figure.replace(/,/g, ""));

describe("the README's demo figures", () => {
  const demo = LedgerConfig.parse(DEMO_CONFIG);
  const listed = (what: RegExp) => {
    const found = what.exec(readme);
    expect(found, `the README names ${String(what)}`).not.toBeNull();
    return { many: words.indexOf(found![1]!), items: found![2]!.split("; ") };
  };

  it("names the demo's tiers, plans and credit packs as the seed writes them", () => {
    const tiers = listed(/with (\w+) response tiers \(([^)]*)\)/);
    expect(tiers.many).toBe(demo.tiers.length);
    expect(tiers.items).toEqual(demo.tiers.map((t) => `${t.label}, ${t.price === 0 ? "free" : `${t.price.toLocaleString("en")} credits`}`));

    const plans = listed(/(\w+) plans \(([^)]*)\)/);
    expect(plans.many).toBe(demo.plans.length);
    expect(plans.items).toEqual(
      demo.plans.map((p) => `${p.name}, ${p.creditsPerPeriod === 0 ? "no credits" : `${p.creditsPerPeriod.toLocaleString("en")} credits a ${p.period}`}`),
    );

    const packs = listed(/(\w+) credit packs \(([^)]*)\)/);
    expect(packs.many).toBe(demo.packs.length);
    expect(packs.items).toEqual(demo.packs.map((p) => p.label));
  });

  it("quotes the balances the demo seed leaves, as `npm start` writes it today", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "readme-demo-"));
    process.env[SECRETS_KEY_ENV] ??= randomBytes(32).toString("base64");
    let pinned: Date | null = null;
    const now = new Date();
    const ledger = await startLedgerServer({ dataDir: dir, port: 0, clock: () => pinned ?? now, scheduler: false, log: () => undefined });
    try {
      const tenant = await createTenant(ledger.db, { name: "Demo Support Co" });
      await seedDemo({ url: ledger.url, apiKey: tenant.apiKey, setTime: (at) => (pinned = at) }, now);
      const wallet = async (owner: string) =>
        (await (await fetch(`${ledger.url}/v1/wallets/${owner}`, { headers: { authorization: `Bearer ${tenant.apiKey}` } })).json()) as {
          balance: number;
          plan: { key: string; name: string } | null;
        };
      const [engines, difference, mary] = [await wallet("org:42"), await wallet("org:43"), await wallet("person:79")];

      const [, enginesPlan, low, high] = /Analytical Engines Ltd, on (\w+), holds between ([\d,]+) and ([\d,]+) credits/.exec(readme) ?? [];
      expect(engines.plan?.name).toBe(enginesPlan);
      expect(engines.balance).toBeGreaterThanOrEqual(count(low!));
      expect(engines.balance).toBeLessThanOrEqual(count(high!));

      const [, differenceBalance, differencePlan] = /Difference & Co ([\d,]+) on ([\w ]+?), and/.exec(readme) ?? [];
      expect([difference.balance, difference.plan?.name]).toEqual([count(differenceBalance!), differencePlan]);

      // Her own credits at first; her registration's plan adds its period's credits once a sidebar has read it.
      const [, maryOwn, maryOnPlan, planName, perMonth] =
        /Mary Somerville ([\d,]+) of her own, ([\d,]+) once her sidebar has read her registration choice \((.+?)'s ([\d,]+) a month\)/.exec(readme) ?? [];
      expect(mary.balance).toBe(count(maryOwn!));
      const plan = demo.plans.find((p) => p.name === planName);
      expect(plan?.creditsPerPeriod).toBe(count(perMonth!));
      expect(count(maryOwn!) + plan!.creditsPerPeriod).toBe(count(maryOnPlan!));
    } finally {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
