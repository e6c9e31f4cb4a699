import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { problem, proxyForThisFile, renderApp, ticketContext } from "./harness.js";

// The shell asks for the view's first read before the view's chunk is in. When that read fails
// before the chunk arrives, the sidebar shows the failure it got rather than asking again.
const proxy = proxyForThisFile();
const TICKET_VIEW = "../../src/app/ticket/TicketSidebar.js";

describe("the opened view's first read", () => {
  it("fails once: the sidebar, arriving after the failure, shows it without asking again", async () => {
    proxy.on("GET", /^\/v1\/tickets\/1234\/sidebar$/, { status: 404, body: problem(404, "not_found", "No such ticket.") });
    const sidebarRequests = () => proxy.requests("GET", /^\/v1\/tickets\/1234\/sidebar$/);
    vi.doMock(TICKET_VIEW, async () => {
      // The chunk comes in only after the first read has failed.
      await waitFor(() => expect(sidebarRequests()).toHaveLength(1));
      await new Promise((resolve) => setTimeout(resolve, 50));
      return vi.importActual(TICKET_VIEW);
    });
    await renderApp(ticketContext());
    await waitFor(() => expect(screen.getAllByRole("alert").some((alert) => /The ledger has no record of that/.test(alert.textContent ?? ""))).toBe(true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sidebarRequests()).toHaveLength(1);
    vi.doUnmock(TICKET_VIEW);
  });
});
