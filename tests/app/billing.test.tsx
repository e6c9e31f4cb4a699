/**
 * Deskpro's Billing & Time Log in the app: the ticket sidebar asks the ledger to read the Billing
 * tab and labels what came from it; the settings page says which mode is in use, shows the last
 * Deskpro charge seen and switches each way.
 */
import { act, cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { DeskproBillingStatus, TicketDeskproBilling } from "../../src/contract/index.js";
import type { Context } from "../../src/app/deskpro/sdk.js";
import type { Forwarded } from "./harness.js";
import { config, entry, problem, renderApp, ticketContext, proxyForThisFile, wallet } from "./harness.js";

const proxy = proxyForThisFile();

const fromDeskpro = entry({ kind: "time", amount: -30, minutes: 26, reason: "Deskpro time log: charge #701, 25 min 20 s", agent: null });
const loggedHere = entry({ kind: "time", amount: -15, minutes: 10, reason: null });

const view = (over: Partial<TicketDeskproBilling> = {}): TicketDeskproBilling => ({
  ticketId: "1234",
  mode: "both_ways",
  linked: true,
  changed: false,
  charges: [
    {
      chargeId: "701",
      ticketId: "1234",
      part: "time",
      state: "charged",
      seconds: 1520,
      amount: null,
      entryId: fromDeskpro.id,
      dateCreated: "2026-11-20T10:00:00.000Z",
      seenAt: "2026-11-20T10:01:00.000Z",
      refusal: null,
    },
    {
      chargeId: "702",
      ticketId: "1234",
      part: "time",
      state: "logged_here",
      seconds: 600,
      amount: null,
      entryId: loggedHere.id,
      dateCreated: null,
      seenAt: "2026-11-20T10:02:00.000Z",
      refusal: null,
    },
    {
      chargeId: "703",
      ticketId: "1234",
      part: "money",
      state: "money_not_counted",
      seconds: null,
      amount: "6.50",
      entryId: null,
      dateCreated: "2026-11-20T10:03:00.000Z",
      seenAt: "2026-11-20T10:03:00.000Z",
      refusal: null,
    },
  ],
  unreadable: 0,
  ...over,
});

function ticketLedger(entries = [fromDeskpro, loggedHere]) {
  proxy.on("GET", /^\/v1\/tickets\/1234\/payer$/, { body: { owner: "org:42", reason: "organisation", wallet: wallet() } });
  proxy.on("GET", /^\/v1\/tickets\/1234\/entries$/, { body: { ticketId: "1234", entries, totals: { net: 45, minutes: 36 } } });
  proxy.on("GET", /^\/v1\/config$/, { body: config });
  proxy.on("POST", /\/quote$/, {
    body: { amount: 15, balance: 1240, balanceAfter: 1225, insufficient: false, billedMinutesBefore: 45, billedMinutesAfter: 60 },
  });
}

/** A ticket context whose Billing tab lists `charges` (every value a string, as Deskpro's SDK types have it). */
const withCharges = (charges: Array<{ id: string; chargeTime: string }>): Context => {
  const context = ticketContext();
  const data = context.data as { ticket: Record<string, unknown> };
  data.ticket.billingCharges = charges.map((c) => ({ ...c, amount: "", dateCreated: "2026-11-20T10:00:00+0000", fields: {} }));
  return context;
};

describe("the ticket sidebar and Deskpro's Billing tab", () => {
  it("reads the Billing tab when it opens, labels what came from it, and offers no refund for a charge made in Deskpro", async () => {
    ticketLedger();
    proxy.on("POST", /^\/v1\/tickets\/1234\/deskpro-billing\/read$/, { body: view() });
    await renderApp(ticketContext());
    // Read once the sidebar's first answer is on screen, so it may take a moment longer than that answer.
    const log = await screen.findByTestId("deskpro-time-log", {}, { timeout: 8000 });
    expect(log).toHaveTextContent("Deskpro's time log · counted here, and time logged here goes there");
    expect(log).toHaveTextContent("#701 · 00:25:20 · counted");
    expect(log).toHaveTextContent("#702 · 00:10:00 · logged here, not counted again");
    expect(log).toHaveTextContent("#703 · 6.50 · money, not counted");
    const charges = within(screen.getByRole("list", { name: "Charges on this ticket" })).getAllByRole("listitem");
    expect(charges[0]).toHaveTextContent("From Deskpro's time log #701");
    expect(charges[0]).toHaveTextContent("Deskpro time log: charge #701, 25 min 20 s");
    expect(within(charges[0]!).queryByRole("button", { name: /^Refund/ })).toBeNull();
    expect(charges[1]).toHaveTextContent("Also in Deskpro's time log #702");
    expect(within(charges[1]!).getByRole("button", { name: /^Refund/ })).toBeTruthy();
    const [read] = proxy.requests("POST", /deskpro-billing\/read$/);
    expect(read).toMatchObject({ proxy: "app", body: {} });
  });

  it("shows the bank move at once when a read charged something, and reads again when Deskpro's context lists other charges", async () => {
    ticketLedger([]);
    let reads = 0;
    proxy.on("POST", /^\/v1\/tickets\/1234\/deskpro-billing\/read$/, () => {
      reads++;
      return { body: view({ changed: reads > 1, charges: reads > 1 ? view().charges.slice(0, 1) : [] }) };
    });
    const app = await renderApp(withCharges([]));
    expect(await screen.findByText("No charges on this ticket's Billing tab.")).toBeTruthy();
    const entriesBefore = proxy.requests("GET", /\/tickets\/1234\/sidebar$/).length;
    // An agent added a charge on the Billing tab; Deskpro's context now lists it.
    proxy.on("GET", /^\/v1\/tickets\/1234\/entries$/, { body: { ticketId: "1234", entries: [fromDeskpro], totals: { net: 30, minutes: 26 } } });
    act(() => app.deliver(withCharges([{ id: "701", chargeTime: "1520" }])));
    expect(await screen.findByText("From Deskpro's time log #701")).toBeTruthy();
    expect(reads).toBe(2);
    expect(proxy.requests("GET", /\/tickets\/1234\/sidebar$/).length).toBeGreaterThan(entriesBefore);
  });

  it("says nothing when the ledger has no Deskpro connection, and says it couldn't read when Deskpro fails", async () => {
    ticketLedger();
    proxy.on("POST", /deskpro-billing\/read$/, { status: 409, body: problem(409, "deskpro_not_connected", "Set the helpdesk's address") });
    await renderApp(ticketContext());
    await screen.findByTestId("payer");
    await waitFor(() => expect(proxy.requests("POST", /deskpro-billing\/read$/)).toHaveLength(1));
    expect(screen.queryByTestId("deskpro-time-log")).toBeNull();
    expect(screen.queryByText(/couldn't be read/)).toBeNull();
    cleanup();
    proxy.reset();
    ticketLedger();
    proxy.on("POST", /deskpro-billing\/read$/, { status: 502, body: problem(502, "deskpro_unavailable", "Deskpro could not be read (503).") });
    await renderApp(ticketContext());
    expect(await screen.findByText("Deskpro's time log couldn't be read just now; refresh to try again.")).toBeTruthy();
  });

  it("shows a charge the ledger refused with why, and says when items of the Billing tab couldn't be read", async () => {
    ticketLedger();
    const refused = {
      chargeId: "704",
      ticketId: "1234",
      part: "time" as const,
      state: "refused" as const,
      seconds: 1_000_000_000,
      amount: null,
      entryId: null,
      dateCreated: "2026-11-20T10:04:00.000Z",
      seenAt: "2026-11-20T10:04:00.000Z",
      refusal: {
        reason: "over_write_limit" as const,
        detail: "16,666,667 minutes in one charge; one entry takes at most 100,000 minutes. Split it in Deskpro.",
      },
    };
    proxy.on("POST", /^\/v1\/tickets\/1234\/deskpro-billing\/read$/, { body: view({ charges: [...view().charges, refused], unreadable: 2 }) });
    await renderApp(ticketContext());
    const log = await screen.findByTestId("deskpro-time-log");
    expect(log).toHaveTextContent("#701 · 00:25:20 · counted");
    expect(log).toHaveTextContent(
      "#704 · 277777:46:40 · refused: 16,666,667 minutes in one charge; one entry takes at most 100,000 minutes. Split it in Deskpro. Not counted; the ticket's other charges are.",
    );
    expect(screen.getByTestId("deskpro-time-log-unreadable")).toHaveTextContent(
      "2 entries on the Billing tab couldn't be read as charges and were left out; no charge counted here is taken as deleted while Deskpro lists them.",
    );
  });

  it("says so when Deskpro answered more than the ledger reads, rather than asking to refresh", async () => {
    ticketLedger();
    const detail = "Deskpro's answer to GET /api/v2/tickets/1234/charges?page=1 is larger than 1 MiB, the most the ledger reads there. Nothing was changed.";
    proxy.on("POST", /deskpro-billing\/read$/, { status: 502, body: problem(502, "deskpro_over_limit", detail) });
    await renderApp(ticketContext());
    const said = await screen.findByTestId("deskpro-time-log-over-limit");
    expect(said).toHaveTextContent(`Deskpro's time log for this ticket is more than the ledger reads at once, so nothing from it was counted. ${detail}`);
    expect(screen.queryByText(/refresh to try again/)).toBeNull();
  });

  it("tells the agent logged time goes to Deskpro's time log too when that way is on", async () => {
    ticketLedger();
    proxy.on("POST", /deskpro-billing\/read$/, { body: view() });
    proxy.on("POST", /\/debits$/, { status: 201, body: { entry: entry({ amount: -15, minutes: 10 }), balance: 1225 } });
    await renderApp(ticketContext());
    await screen.findByTestId("deskpro-time-log");
    fireEvent.change(await screen.findByLabelText("Minutes worked"), { target: { value: "10" } });
    await waitFor(() => expect(screen.getByRole("button", { name: "Log 10 min" })).not.toBeDisabled());
    fireEvent.click(screen.getByRole("button", { name: "Log 10 min" }));
    expect(await screen.findByText(/Logged 10 min: 15 credits charged\. Balance now 1,225\. It goes into Deskpro's time log too\./)).toBeTruthy();
  });
});

const status = (over: Partial<DeskproBillingStatus> = {}): DeskproBillingStatus => ({
  settings: { fromDeskpro: true, toDeskpro: true, creditsPerCurrencyUnit: null },
  mode: "both_ways",
  linkedFrom: "2026-11-01T09:00:00.000Z",
  lastCharge: {
    chargeId: "701",
    ticketId: "1042",
    part: "time",
    state: "charged",
    seconds: 1520,
    amount: null,
    entryId: fromDeskpro.id,
    dateCreated: "2026-11-20T10:00:00.000Z",
    seenAt: "2026-11-20T10:01:00.000Z",
    refusal: null,
  },
  lastRead: { at: "2026-11-20T10:01:00.000Z", ticketId: "1042", error: null },
  unpaid: 0,
  refused: { count: 0, latest: [] },
  ...over,
});

async function openSettings() {
  proxy.on("GET", /^\/v1\/config$/, { body: config });
  proxy.on("GET", /^\/v1\/integrations\/deskpro$/, {
    body: { url: "https://support.example.com", apiKeySet: true, apiKeyId: "7", webhookSecretSet: true, updatedAt: null },
  });
  const app = await renderApp({ type: "admin_settings", settings: {} }, { hash: "#/admin" });
  act(() => app.changeAdminSettings({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" }));
  fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
  return app;
}

describe("the settings page's Billing & Time Log section", () => {
  it("says which mode is in use and shows the last Deskpro charge seen", async () => {
    proxy.on("GET", /^\/v1\/integrations\/deskpro\/billing$/, { body: status() });
    await openSettings();
    expect(await screen.findByTestId("billing-mode")).toHaveTextContent(
      "In use: Both ways: time charges on Deskpro's Billing tab are charged to the ticket's bank, and time logged in the sidebar is written to the Billing tab.",
    );
    const section = screen.getByRole("region", { name: "Deskpro's Billing & Time Log" });
    expect(section).toHaveTextContent("#701 on ticket #1042 · 00:25:20 · seen");
    expect(section).toHaveTextContent("counted");
    expect(section).toHaveTextContent("(older charges are never counted)");
    expect(within(section).getByRole("button", { name: "Save time log link" })).toBeDisabled();
  });

  it("says the link hasn't started before a Billing tab was read, and what waits for credits", async () => {
    proxy.on("GET", /^\/v1\/integrations\/deskpro\/billing$/, { body: status({ linkedFrom: null, lastCharge: null, lastRead: null, unpaid: 2 }) });
    await openSettings();
    expect(await screen.findByText(/The link starts the first time the ledger reads a ticket's Billing tab/)).toBeTruthy();
    const section = screen.getByRole("region", { name: "Deskpro's Billing & Time Log" });
    expect(section).toHaveTextContent("None seen yet");
    expect(section).toHaveTextContent("2 Deskpro charges wait for their banks to have credits");
  });

  it("lists the charges the ledger refused, with the ticket and why", async () => {
    const refusedLine = {
      ...status().lastCharge!,
      chargeId: "711",
      ticketId: "1043",
      part: "money" as const,
      state: "refused" as const,
      seconds: null,
      amount: "2000.00",
      entryId: null,
      refusal: {
        reason: "over_credit_limit" as const,
        detail: "2000.00 at 1,000,000 credits per 1.00 is 2,000,000,000 credits; one entry moves at most 1,000,000,000.",
      },
    };
    proxy.on("GET", /^\/v1\/integrations\/deskpro\/billing$/, { body: status({ refused: { count: 3, latest: [refusedLine] } }) });
    await openSettings();
    expect(await screen.findByTestId("billing-refused")).toHaveTextContent(
      "3 Deskpro charges were refused: the ledger can't take them, and each ticket's other charges still count.",
    );
    const list = screen.getByRole("list", { name: "Refused Deskpro charges" });
    expect(
      within(list)
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(["#711 on ticket #1043 (amount): 2000.00 at 1,000,000 credits per 1.00 is 2,000,000,000 credits; one entry moves at most 1,000,000,000."]);
  });

  it("switches each way and sets a money rate, refusing a rate that isn't whole credits", async () => {
    proxy.on("GET", /^\/v1\/integrations\/deskpro\/billing$/, { body: status() });
    proxy.on("PUT", /^\/v1\/integrations\/deskpro\/billing$/, (req: Forwarded) => {
      const body = req.body as DeskproBillingStatus["settings"];
      return { body: status({ settings: body, mode: body.fromDeskpro ? "both_ways" : "to_deskpro" }) };
    });
    await openSettings();
    const section = await screen.findByRole("region", { name: "Deskpro's Billing & Time Log" });
    fireEvent.click(within(section).getByLabelText("Charge time from Deskpro's Billing tab to the ticket's bank"));
    const rate = within(section).getByLabelText("Credits per 1.00 of a money charge (empty: money charges are not counted)");
    fireEvent.change(rate, { target: { value: "2.5" } });
    // The error is the field's own description (announced politely), and the field says it is invalid.
    expect(rate.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(rate.getAttribute("aria-describedby")!)?.textContent).toBe("Use whole credits, e.g. 10 (or leave it empty).");
    expect(within(section).getByRole("button", { name: "Save time log link" })).toBeDisabled();
    fireEvent.change(rate, { target: { value: "10" } });
    fireEvent.click(within(section).getByRole("button", { name: "Save time log link" }));
    expect(await within(section).findByText("Saved.")).toBeTruthy();
    const [put] = proxy.requests("PUT", /\/deskpro\/billing$/);
    expect(put?.body).toEqual({ fromDeskpro: false, toDeskpro: true, creditsPerCurrencyUnit: 10 });
    expect(put?.proxy).toBe("admin");
    expect(screen.getByTestId("billing-mode")).toHaveTextContent("Banks → Deskpro: time logged in the sidebar is written to the Billing tab.");
  });
});
