/**
 * The demo tenant's configuration and a few weeks of history, written on the first start of a
 * data folder through the ledger's public API only (the same calls an integration would make).
 * The ledger's clock is set back while the history is written, so statements, sparklines and
 * forecasts have something real to show.
 */
import { randomUUID } from "node:crypto";
import type { LedgerConfigInput } from "../contract/index.js";
import { PRIORITY_SUPPORT_OPTION, REGISTRATION_FIELD_ID } from "./store.js";

export const DEMO_CONFIG: LedgerConfigInput = {
  tiers: [
    { key: "standard", label: "Standard response", responseMinutes: null, price: 0, deskproPriorityId: 2 },
    { key: "4-hour", label: "4-hour response", responseMinutes: 240, price: 150, deskproPriorityId: 3 },
    { key: "1-hour", label: "1-hour response", responseMinutes: 60, price: 250, deskproPriorityId: 4 },
  ],
  plans: [
    { key: "standard", name: "Standard support", creditsPerPeriod: 0, tiers: ["standard"] },
    { key: "business", name: "Business", creditsPerPeriod: 1000, period: "month", rollover: { type: "percent", max: 50 } },
    { key: "enterprise", name: "Enterprise", creditsPerPeriod: 3000, period: "month", rollover: { type: "credits", max: 1000 }, overdraftLimit: 500 },
    { key: "priority", name: "Priority support", creditsPerPeriod: 300, period: "month", tiers: ["standard", "4-hour"] },
  ],
  // People who chose "Priority support with credits" when registering get their own plan.
  planRules: [
    {
      type: "person_field",
      fieldId: String(REGISTRATION_FIELD_ID),
      value: String(PRIORITY_SUPPORT_OPTION.id),
      plan: "priority",
      fieldTitle: "Support choice",
      valueTitle: PRIORITY_SUPPORT_OPTION.title,
    },
  ],
  defaultPlan: null,
  packs: [
    { id: "pack-500", label: "500 credits", credits: 500, price: 25_000, currency: "usd" },
    { id: "pack-2000", label: "2,000 credits", credits: 2000, price: 90_000, currency: "usd" },
  ],
  time: { credits: 1, perMinutes: 1, incrementMinutes: 15, minimumMinutes: 15 },
  alerts: {
    levels: [
      { type: "credits", value: 200 },
      { type: "credits", value: 0 },
    ],
  },
};

export interface DemoLedger {
  url: string;
  apiKey: string;
  /** Sets the ledger's clock while history is written; null returns it to real time. */
  setTime(at: Date | null): void;
}

const DAY = 86_400_000;

async function call(ledger: DemoLedger, method: "POST" | "PUT", path: string, body: unknown): Promise<void> {
  const response = await fetch(`${ledger.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ledger.apiKey}`, "content-type": "application/json", "idempotency-key": `demo-${randomUUID()}` },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`demo seed: ${method} ${path} answered ${response.status}: ${await response.text()}`);
}

/** A deterministic spread of work: ticket numbers and minutes vary, but every run seeds the same. */
function history(days: number): Array<{ daysAgo: number; ticketId: string; minutes: number; tier?: string }> {
  const out: Array<{ daysAgo: number; ticketId: string; minutes: number; tier?: string }> = [];
  for (let day = days; day >= 1; day -= 3) {
    const n = out.length;
    out.push({ daysAgo: day, ticketId: String(980 + n), minutes: 10 + ((n * 37) % 50), ...(n % 4 === 1 ? { tier: "4-hour" } : {}) });
  }
  return out;
}

export async function seedDemo(ledger: DemoLedger, now = new Date()): Promise<void> {
  const at = (daysAgo: number) => ledger.setTime(new Date(now.getTime() - daysAgo * DAY));
  try {
    at(45);
    await call(ledger, "PUT", "/v1/config", DEMO_CONFIG);
    await call(ledger, "PUT", "/v1/wallets/org:42/plan", { plan: "business", agent: "Grace Hopper" });
    await call(ledger, "PUT", "/v1/wallets/org:43/plan", { plan: "standard", agent: "Grace Hopper" });
    await call(ledger, "POST", "/v1/wallets/org:42/grants", {
      amount: 2000,
      reason: "Opening balance, invoice INV-2031",
      source: "manual",
      agent: "Grace Hopper",
    });
    await call(ledger, "POST", "/v1/wallets/org:43/grants", {
      amount: 600,
      reason: "Opening balance, invoice INV-2032",
      source: "manual",
      agent: "Grace Hopper",
    });
    await call(ledger, "POST", "/v1/wallets/person:79/grants", {
      amount: 100,
      reason: "Welcome credits",
      source: "promo",
      expiresAt: new Date(now.getTime() + 20 * DAY).toISOString(),
      agent: "Grace Hopper",
    });

    // The clock only moves forward, so the statement's order is the order of the days.
    let goodwillGiven = false;
    for (const item of history(42)) {
      if (!goodwillGiven && item.daysAgo <= 14) {
        at(14);
        await call(ledger, "POST", "/v1/wallets/org:42/grants", {
          amount: 250,
          reason: "Goodwill after the March outage",
          source: "promo",
          expiresAt: new Date(now.getTime() + 10 * DAY).toISOString(),
          agent: "Grace Hopper",
        });
        goodwillGiven = true;
      }
      at(item.daysAgo);
      await call(ledger, "POST", "/v1/wallets/org:42/debits", { kind: "time", minutes: item.minutes, ticketId: item.ticketId, agent: "Grace Hopper" });
      if (item.tier)
        await call(ledger, "POST", "/v1/wallets/org:42/debits", { kind: "priority", tier: item.tier, ticketId: item.ticketId, agent: "Grace Hopper" });
    }
    for (const [daysAgo, minutes, ticketId] of [
      [30, 95, "960"],
      [16, 120, "961"],
      [5, 110, "962"],
    ] as const) {
      at(daysAgo);
      await call(ledger, "POST", "/v1/wallets/org:43/debits", { kind: "time", minutes, ticketId, agent: "Grace Hopper" });
    }
  } finally {
    ledger.setTime(null);
  }
}
