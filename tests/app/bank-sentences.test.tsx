import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Wallet } from "../../src/contract/index.js";
import { bankSentence, bankStateOf, type BankState } from "../../src/app/bank/sentences.js";
import type { Context } from "../../src/app/deskpro/sdk.js";
import { config, entry, grant, organisationContext, renderApp, ticketContext, proxyForThisFile, userContext, wallet } from "./harness.js";

const proxy = proxyForThisFile();

const NO_LOW_BALANCE: Wallet["lowBalance"] = { threshold: null, state: "ok", levels: [], levelsFrom: "helpdesk" };
const EMPTY_STATE: Wallet["lowBalance"] = { threshold: 100, state: "depleted", levels: [], levelsFrom: "helpdesk" };

/** The bank states the sidebars meet, as the ledger sends them. */
const banks = {
  /** Never had credits or a plan: what every bank is on a fresh install. */
  unfunded: (owner: string) => wallet({ owner, balance: 0, plan: null, planSource: "none", grants: [], nextTopUpAt: null, lowBalance: NO_LOW_BALANCE }),
  /** A plan set on the bank by hand, with credits. */
  ownPlan: (owner: string) => wallet({ owner }),
  /** Credits without a plan. */
  credits: (owner: string) =>
    wallet({ owner, balance: 300, plan: null, planSource: "none", nextTopUpAt: null, grants: [grant({ amount: 300, remaining: 300, source: "manual" })] }),
  /** Had credits, spent them all, no plan. */
  empty: (owner: string) =>
    wallet({
      owner,
      balance: 0,
      plan: null,
      planSource: "none",
      nextTopUpAt: null,
      grants: [grant({ amount: 300, remaining: 0, source: "manual" })],
      lowBalance: EMPTY_STATE,
    }),
  /** On the helpdesk's default plan (not one of their own) and at 0. */
  defaultPlanAtZero: (owner: string) => wallet({ owner, balance: 0, planSource: "default", grants: [], lowBalance: EMPTY_STATE }),
};

const state = (w: Wallet): BankState => bankStateOf(w);
const person = (organisation: { name: string | null } | null | "unknown") => ({ screen: "person" as const, personName: "Ada Lovelace", organisation });

describe("bankSentence", () => {
  it("sends a person without a plan or credits of their own to their organisation's bank, on a plan or not", () => {
    for (const w of [banks.unfunded("person:77"), banks.empty("person:77"), banks.defaultPlanAtZero("person:77")]) {
      expect(bankSentence(state(w), person({ name: "Analytical Engines Ltd" }))).toBe(
        "Ada Lovelace has no plan or credits of their own, so their tickets are charged to Analytical Engines Ltd's bank.",
      );
    }
    expect(bankSentence(state(banks.unfunded("person:77")), person({ name: null }))).toBe(
      "Ada Lovelace has no plan or credits of their own, so their tickets are charged to their organisation's bank.",
    );
  });

  it("says a person's own bank pays when it has their plan or credits", () => {
    expect(bankSentence(state(banks.ownPlan("person:77")), person({ name: "Analytical Engines Ltd" }))).toBe(
      "Ada Lovelace's tickets are charged to this bank: they have a plan of their own.",
    );
    expect(bankSentence(state(banks.credits("person:77")), person("unknown"))).toBe(
      "Ada Lovelace's tickets are charged to this bank: they have credits of their own.",
    );
  });

  it("promises no charges only where nothing can be charged", () => {
    expect(bankSentence(state(banks.unfunded("person:77")), person(null))).toBe(
      "This bank has no credits and no plan yet, so Ada Lovelace's tickets are handled as usual, with no charges.",
    );
    expect(bankSentence(state(banks.empty("person:77")), person(null))).toBe(
      "Ada Lovelace's tickets are charged to this bank: they belong to no organisation.",
    );
    expect(bankSentence(state(banks.unfunded("person:77")), person("unknown"))).toBe(
      "Ada Lovelace has no plan or credits of their own, so their tickets are charged to their organisation's bank, or handled as usual, with no charges if they belong to none.",
    );
    expect(bankSentence(state(banks.empty("person:77")), person("unknown"))).toBe(
      "Ada Lovelace has no plan or credits of their own, so their tickets are charged to their organisation's bank, or to this bank if they belong to none.",
    );
  });

  it("words an organisation's bank and a ticket's paying bank", () => {
    expect(bankSentence(state(banks.unfunded("org:42")), { screen: "organisation" })).toBe(
      "This bank has no credits and no plan yet, so this organisation's tickets are handled as usual, with no charges, except those of people with a plan or credits of their own.",
    );
    for (const w of [banks.ownPlan("org:42"), banks.empty("org:42"), banks.credits("org:42")]) {
      expect(bankSentence(state(w), { screen: "organisation" })).toBe(
        "This organisation's tickets are charged here, except those of people with a plan or credits of their own.",
      );
    }
    const ticket = { screen: "ticket" as const, bankName: "Analytical Engines Ltd's bank" };
    expect(bankSentence(state(banks.unfunded("org:42")), ticket)).toBe(
      "Analytical Engines Ltd's bank has no credits and no plan yet, so this ticket is handled as usual, with no charges.",
    );
    for (const w of [banks.ownPlan("org:42"), banks.empty("org:42"), banks.defaultPlanAtZero("org:42")]) expect(bankSentence(state(w), ticket)).toBeNull();
  });
});

// --- The sidebars, rendered against the fake ledger ---

function ledgerWith(bank: Wallet, payer?: { reason: string }) {
  proxy.on("GET", /^\/v1\/wallets\/[^/]+$/, { body: bank });
  proxy.on("GET", /^\/v1\/config$/, { body: config });
  proxy.on("GET", /\/entries$/, { body: { entries: [], nextCursor: null } });
  proxy.on("GET", /^\/v1\/tickets\/1234\/entries$/, { body: { ticketId: "1234", entries: [], totals: { net: 0, minutes: 0 } } });
  proxy.on("GET", /^\/v1\/portal\/tickets\/1234$/, {
    status: 404,
    body: { type: "about:blank", title: "Not found", status: 404, detail: "not seen", code: "not_found" },
  });
  if (payer) proxy.on("GET", /^\/v1\/tickets\/1234\/payer$/, { body: { owner: bank.owner, reason: payer.reason, wallet: bank } });
}

/** A person's context as the development host sends it: with their primary organisation. */
function personInOrganisation(): Context {
  const context = userContext();
  const membership = { position: "", isManager: "0", organization: { id: "42", name: "Analytical Engines Ltd" } };
  const data = context.data as { user: Record<string, unknown> };
  data.user = { ...data.user, primaryOrgMember: membership, orgMembers: [membership] };
  return context;
}

function personInNoOrganisation(): Context {
  const context = userContext();
  const data = context.data as { user: Record<string, unknown> };
  data.user = { ...data.user, primaryOrgMember: null, orgMembers: [] };
  return context;
}

async function sentence(): Promise<string> {
  return (await screen.findByTestId("bank-sentence")).textContent ?? "";
}

describe("person sidebar", () => {
  it("never promises 'no charges' while an organisation's bank pays, and raises no alarm about their own bank", async () => {
    ledgerWith(banks.unfunded("person:77"));
    await renderApp(personInOrganisation());
    expect(await sentence()).toBe("Ada Lovelace has no plan or credits of their own, so their tickets are charged to Analytical Engines Ltd's bank.");
    expect(screen.queryByText(/with no charges/)).toBeNull();
  });

  it("on an empty own bank, sends tickets to the organisation without an 'Add credits' warning", async () => {
    ledgerWith(banks.empty("person:77"));
    await renderApp(personInOrganisation());
    expect(await sentence()).toBe("Ada Lovelace has no plan or credits of their own, so their tickets are charged to Analytical Engines Ltd's bank.");
    expect(screen.queryByTestId("low-balance-banner")).toBeNull();
  });

  it("says the own bank pays with a plan of their own", async () => {
    ledgerWith(banks.ownPlan("person:77"));
    await renderApp(personInOrganisation());
    expect(await sentence()).toBe("Ada Lovelace's tickets are charged to this bank: they have a plan of their own.");
  });

  it("promises no charges to a person in no organisation with nothing in their bank", async () => {
    ledgerWith(banks.unfunded("person:77"));
    await renderApp(personInNoOrganisation());
    expect(await sentence()).toBe("This bank has no credits and no plan yet, so Ada Lovelace's tickets are handled as usual, with no charges.");
  });

  it("keeps the organisation open when Deskpro's context doesn't list one", async () => {
    ledgerWith(banks.unfunded("person:77"));
    await renderApp(userContext());
    expect(await sentence()).toBe(
      "Ada Lovelace has no plan or credits of their own, so their tickets are charged to their organisation's bank, or handled as usual, with no charges if they belong to none.",
    );
  });
});

describe("organisation sidebar", () => {
  it("words a bank with nothing yet", async () => {
    ledgerWith(banks.unfunded("org:42"));
    await renderApp(organisationContext());
    expect(await sentence()).toBe(
      "This bank has no credits and no plan yet, so this organisation's tickets are handled as usual, with no charges, except those of people with a plan or credits of their own.",
    );
  });

  it("words an empty bank: it still pays, and the banner says it is empty", async () => {
    ledgerWith(banks.empty("org:42"));
    await renderApp(organisationContext());
    expect(await sentence()).toBe("This organisation's tickets are charged here, except those of people with a plan or credits of their own.");
    expect(screen.getByTestId("low-balance-banner")).toHaveTextContent("This bank is empty");
  });
});

describe("ticket sidebar", () => {
  it("names the paying organisation's bank when it has nothing yet", async () => {
    ledgerWith(banks.unfunded("org:42"), { reason: "organisation" });
    await renderApp(ticketContext());
    expect(await sentence()).toBe("Analytical Engines Ltd's bank has no credits and no plan yet, so this ticket is handled as usual, with no charges.");
  });

  it("says nothing more than 'Paid by' for a bank with a plan, and the banner for an empty one", async () => {
    ledgerWith(banks.empty("org:42"), { reason: "organisation" });
    await renderApp(ticketContext());
    await screen.findByTestId("payer");
    expect(screen.queryByTestId("bank-sentence")).toBeNull();
    expect(screen.getByTestId("low-balance-banner")).toHaveTextContent("This bank is empty");
    expect(screen.queryByText(/with no charges/)).toBeNull();
  });

  it("on a person's own empty-handed bank with no organisation, says so by name", async () => {
    ledgerWith(banks.unfunded("person:77"), { reason: "person_no_org" });
    proxy.on("GET", /\/wallets\/[^/]+\/entries$/, { body: { entries: [entry()], nextCursor: null } });
    await renderApp(ticketContext({ orgId: null }));
    expect(await sentence()).toBe("Ada Lovelace's own bank has no credits and no plan yet, so this ticket is handled as usual, with no charges.");
  });
});
