/**
 * One name per thing: the customer page uses the words the sidebars use (src/contract/words.ts and
 * docs/app.md, "Words"), and customers read one date style.
 */
import { describe, expect, it } from "vitest";
import { Credits, formatCustomerDate, type Entry, type Wallet, type WalletGrant } from "../../src/contract/index.js";
import { customerPage } from "../../src/ledger/http/customer-page.js";

const grant = (over: Partial<WalletGrant>): WalletGrant => ({
  id: `grt_${"0".repeat(25)}${over.source?.length ?? 0}`,
  amount: 100,
  remaining: 100,
  source: "manual",
  paid: false,
  startsAt: "2026-11-01T00:00:00.000Z",
  expiresAt: null,
  atExpiry: null,
  ...over,
});

const entry = (over: Partial<Entry>): Entry => ({
  id: "ent_00000000000000000000000001",
  owner: "org:42",
  kind: "time",
  amount: -30,
  balanceAfter: 100,
  reason: null,
  ticketId: "1042",
  agent: "Grace Hopper",
  minutes: 27,
  tier: null,
  grantId: null,
  reversesEntryId: null,
  draws: [],
  createdAt: "2026-12-05T10:00:00.000Z",
  ...over,
});

const wallet: Wallet = {
  owner: "org:42",
  balance: 600,
  plan: null,
  planSource: "none",
  planRule: null,
  nextTopUpAt: null,
  overdraftLimit: 0,
  grants: [
    grant({ source: "rollover", expiresAt: "2027-01-01T00:00:00.000Z", atExpiry: { lost: 100, rollsOver: 0 } }),
    grant({ source: "allocation" }),
    grant({ source: "purchase", paid: true }),
    grant({ source: "promo" }),
  ],
  lowBalance: { threshold: null, state: "ok", levels: [], levelsFrom: "helpdesk" },
  updatedAt: null,
};

function render(entries: Entry[]): string {
  return customerPage({
    names: { bank: "Analytical Engines Ltd", known: true, helpdesk: "helpdesk.example.test" },
    wallet,
    entries,
    purchases: [],
    packs: [],
    paymentsEnabled: false,
    checkoutAction: "/pay/x/checkout",
    checkout: null,
    expiresAt: "2027-01-01T00:00:00.000Z",
  });
}

describe("the customer page's words", () => {
  it("names grants as the sidebar does: a rolled-over grant is 'Rolled over', not 'Granted'", () => {
    const html = render([]);
    expect(html).toContain("<td>Rolled over</td>");
    expect(html).toContain("<td>Plan allocation</td>");
    expect(html).toContain("<td>Bought</td>");
    expect(html).toContain("<td>Promotion</td>");
    expect(html).not.toContain("Granted");
  });

  it("names entries as the sidebar does, and dates them in the customers' one style", () => {
    const html = render([
      entry({ kind: "priority", amount: -250, minutes: null, tier: "1-hour" }),
      entry({ kind: "unbilled", amount: 0 }),
      entry({ kind: "void", amount: -50, ticketId: null }),
    ]);
    expect(html).toContain("<td>5 Dec 2026</td><td>Response tier · ticket #1042</td>");
    expect(html).toContain("<td>Unbilled time · ticket #1042</td>");
    expect(html).toContain("<td>Credits taken back</td>");
    expect(html).toContain("expires 1 Jan 2027");
    expect(html).not.toMatch(/Time worked, not charged|December/);
  });

  it("formats customers' dates one way, in the ledger's day (UTC)", () => {
    expect(formatCustomerDate("2026-12-05T23:30:00.000Z")).toBe("5 Dec 2026");
    expect(formatCustomerDate(new Date("2027-01-01T00:00:00.000Z"))).toBe("1 Jan 2027");
  });

  it("says the largest write in grouped digits", () => {
    const tooMany = Credits.safeParse(1_000_000_001);
    expect(tooMany.success).toBe(false);
    expect(tooMany.error?.issues[0]?.message).toBe("must be at most 1,000,000,000 credits");
  });
});
