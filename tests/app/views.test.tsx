import { screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { entry, proxyForThisFile, renderApp, ticketContext, userContext, wallet } from "./harness.js";

// Each sidebar is a chunk App fetches once Deskpro's context names the view; the view's first
// ledger read is asked by the first bundle itself, beside that fetch, never after it.
const proxy = proxyForThisFile();
const TICKET_VIEW = "../../src/app/ticket/TicketSidebar.js";
const BANK_VIEW = "../../src/app/bank/BankSidebar.js";

function ledger() {
  proxy.on("GET", /^\/v1\/tickets\/1234\/payer$/, { body: { owner: "org:42", reason: "organisation", wallet: wallet() } });
  proxy.on("GET", /^\/v1\/tickets\/1234\/entries$/, {
    body: { ticketId: "1234", entries: [entry({ kind: "time", amount: -15, minutes: 15 })], totals: { net: 15, minutes: 15 } },
  });
  proxy.on("GET", /^\/v1\/wallets\/[^/]+$/, { body: wallet({ owner: "person:77" }) });
}

afterEach(() => {
  vi.doUnmock(TICKET_VIEW);
  vi.doUnmock(BANK_VIEW);
});

describe("the opened view's chunk", () => {
  it("the ticket sidebar's first read goes out while its chunk is still on its way", async () => {
    ledger();
    vi.doMock(TICKET_VIEW, () => new Promise(() => undefined));
    await renderApp(ticketContext());
    await waitFor(() => expect(proxy.requests("GET", /^\/v1\/tickets\/1234\/sidebar$/)).toHaveLength(1));
    expect(screen.getByRole("status")).toHaveTextContent("Loading the paying bank…");
  });

  it("a bank sidebar's first read (the wallet) goes out while its chunk is still on its way", async () => {
    ledger();
    vi.doMock(BANK_VIEW, () => new Promise(() => undefined));
    await renderApp(userContext());
    await waitFor(() => expect(proxy.requests("GET", /^\/v1\/wallets\/person%3A77$/)).toHaveLength(1));
    expect(screen.getByRole("status")).toHaveTextContent("Loading the bank…");
  });
});
