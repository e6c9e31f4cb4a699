import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { AutoRecharge } from "../../src/contract/index.js";
import { config, organisationContext, renderApp, proxyForThisFile, wallet } from "./harness.js";

const proxy = proxyForThisFile();

const recharge = (over: Partial<AutoRecharge> = {}): AutoRecharge => ({
  owner: "org:42",
  cardSaved: true,
  cardSavedAt: "2026-03-01T10:00:00.000Z",
  enabled: true,
  packId: "pack-500",
  credits: 500,
  price: 25_000,
  threshold: 400,
  monthlyCap: 100_000,
  currency: "usd",
  usedThisMonth: 25_000,
  pending: false,
  failuresInRow: 0,
  lastFailure: null,
  switchedOffReason: null,
  ...over,
});

function ledgerWith(answer: AutoRecharge) {
  proxy.on("GET", /^\/v1\/wallets\/[^/]+$/, { body: wallet({ owner: "org:42" }) });
  proxy.on("GET", /^\/v1\/config$/, { body: config });
  proxy.on("GET", /\/entries$/, { body: { entries: [], nextCursor: null } });
  proxy.on("GET", /\/auto-recharge$/, { body: answer });
}

describe("auto-recharge in the bank's sidebar", () => {
  it("shows that it is on, its pack and threshold, and how much of the monthly cap this month used", async () => {
    ledgerWith(recharge());
    await renderApp(organisationContext());
    const section = await screen.findByTestId("auto-recharge");
    expect(within(section).getByText("On")).toBeTruthy();
    expect(section).toHaveTextContent("buys 500 credits for $250.00 when the balance falls below 400");
    expect(section).toHaveTextContent("$250.00 of the $1,000.00 monthly cap used this month");
    expect(proxy.requests("GET", /^\/v1\/wallets\/org%3A42\/auto-recharge$/)).toHaveLength(1);
  });

  it("shows that it switched itself off after failures, with the last failure", async () => {
    ledgerWith(
      recharge({
        enabled: false,
        failuresInRow: 3,
        switchedOffReason: "switched off after 3 failed charges in a row",
        lastFailure: { words: "the card was declined (insufficient funds)", at: "2026-03-09T10:00:00.000Z" },
      }),
    );
    await renderApp(organisationContext());
    const section = await screen.findByTestId("auto-recharge");
    expect(within(section).getByText("Off")).toBeTruthy();
    expect(section).toHaveTextContent("Off: switched off after 3 failed charges in a row.");
    expect(section).toHaveTextContent("the card was declined (insufficient funds)");
  });
});
