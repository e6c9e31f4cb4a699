import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { entry, proxyForThisFile, renderApp, ticketContext, wallet } from "./harness.js";

// A file of its own: the test runner keeps a module's first import (here, the failed one) for the
// rest of its file, so this can't share a file with views.test.tsx's never-arriving chunks.
const proxy = proxyForThisFile();
const TICKET_VIEW = "../../src/app/ticket/TicketSidebar.js";

function ledger() {
  proxy.on("GET", /^\/v1\/tickets\/1234\/payer$/, { body: { owner: "org:42", reason: "organisation", wallet: wallet() } });
  proxy.on("GET", /^\/v1\/tickets\/1234\/entries$/, {
    body: { ticketId: "1234", entries: [entry({ kind: "time", amount: -15, minutes: 15 })], totals: { net: 15, minutes: 15 } },
  });
}

describe("the opened view's chunk", () => {
  it("a chunk that fails to load says so, and Try again reloads the app", async () => {
    ledger();
    vi.doMock(TICKET_VIEW, () => {
      throw new Error("Failed to fetch dynamically imported module");
    });
    await renderApp(ticketContext());
    const saysSo = () => screen.getAllByRole("alert").some((alert) => alert.textContent?.startsWith("The app couldn't load this view."));
    await waitFor(() => expect(saysSo()).toBe(true));
    // Trying again reloads the app (a browser keeps a failed module failed for the page's life).
    const reload = vi.fn();
    vi.spyOn(window, "location", "get").mockReturnValue({ ...window.location, reload });
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(reload).toHaveBeenCalledTimes(1);
  });
});
