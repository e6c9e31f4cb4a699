/** The ticket sidebar's line for asked-before-overage: what the customer was asked and what they chose (jsdom, msw as Deskpro's proxy). */
import { act, cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { OverageChoice } from "../../src/contract/index.js";
import { formatDate } from "../../src/app/format.js";
import { config, problem, renderApp, ticketContext, type Forwarded, proxyForThisFile, wallet } from "./harness.js";

const proxy = proxyForThisFile();

const asked: OverageChoice = {
  ticketId: "1234",
  owner: "org:42",
  tier: "1-hour",
  price: 250,
  balance: 200,
  shortfall: 50,
  state: "pending",
  askedAt: "2026-11-20T10:00:00.000Z",
  expiresAt: "2026-11-27T10:00:00.000Z",
  answeredAt: null,
  entryId: null,
};

function ledger(choice: OverageChoice | null, portalSeen = true) {
  proxy.on("GET", /^\/v1\/tickets\/1234\/payer$/, { body: { owner: "org:42", reason: "organisation", wallet: wallet({ balance: 200 }), pin: null } });
  proxy.on("GET", /^\/v1\/tickets\/1234\/entries$/, { body: { ticketId: "1234", entries: [], totals: { net: 0, minutes: 0 } } });
  proxy.on("GET", /^\/v1\/config$/, { body: config });
  proxy.on(
    "GET",
    /^\/v1\/portal\/tickets\/1234$/,
    portalSeen
      ? {
          body: {
            ticketId: "1234",
            owner: "org:42",
            requestedTier: "1-hour",
            chargedTier: choice?.state === "approved" ? "1-hour" : null,
            chargeEntryId: choice?.entryId ?? null,
            outcome: choice?.state === "approved" ? "charged" : "unaffordable",
            lastPriorityId: 2,
            updatedAt: "2026-11-20T10:00:00.000Z",
          },
        }
      : { status: 404, body: problem(404, "not_found", "not seen") },
  );
  proxy.on("GET", /^\/v1\/portal\/tickets\/1234\/overage$/, { body: { choice } });
}

describe("the customer's choice before overage, in the ticket sidebar", () => {
  it("says the question is waiting, with the tier, the extra credits and until when the link works", async () => {
    ledger(asked);
    await renderApp(ticketContext());
    expect(await screen.findByTestId("overage-choice")).toHaveTextContent(
      `The customer was asked on ${formatDate(asked.askedAt)} whether to approve 50 extra credits for 1-hour response; no answer yet (the link works until ${formatDate(asked.expiresAt)}).`,
    );
  });

  it("says what the customer chose: approved (and what was charged) or kept the standard response", async () => {
    ledger({ ...asked, state: "approved", answeredAt: "2026-11-21T09:00:00.000Z", entryId: "ent_1" });
    await renderApp(ticketContext());
    expect(await screen.findByTestId("overage-choice")).toHaveTextContent(
      `The customer approved 50 extra credits for 1-hour response on ${formatDate("2026-11-21T09:00:00.000Z")}: 250 credits charged.`,
    );
    cleanup();
    proxy.reset();
    ledger({ ...asked, state: "kept_free", answeredAt: "2026-11-21T09:00:00.000Z" });
    await renderApp(ticketContext());
    expect(await screen.findByTestId("overage-choice")).toHaveTextContent(/chose to keep the standard response .*; nothing was charged\.$/);
  });

  it("shows nothing when the customer was never asked, and doesn't ask the ledger for a ticket the portal flow never saw", async () => {
    ledger(null);
    await renderApp(ticketContext());
    await screen.findByTestId("declined-tier");
    await waitFor(() => expect(proxy.forwarded.some((r) => r.url.pathname.endsWith("/overage"))).toBe(true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByTestId("overage-choice")).toBeNull();
    cleanup();
    proxy.reset();
    ledger(asked, false);
    await renderApp(ticketContext());
    await screen.findByTestId("payer");
    expect(screen.queryByTestId("overage-choice")).toBeNull();
    expect(proxy.forwarded.some((r) => r.url.pathname.endsWith("/overage"))).toBe(false);
  });
});

describe("the per-ticket limit on the settings page", () => {
  it("shows the saved limit, refuses what isn't whole credits, and saves through the admin proxy", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("GET", /^\/v1\/integrations\/deskpro$/, { body: { url: null, apiKeySet: false, apiKeyId: null, webhookSecretSet: false, updatedAt: null } });
    proxy.on("GET", /^\/v1\/portal\/overage-settings$/, { body: { settings: { perTicketLimit: 0 }, updatedAt: null } });
    proxy.on("PUT", /^\/v1\/portal\/overage-settings$/, (req: Forwarded) => ({ body: { settings: req.body, updatedAt: "2026-11-25T00:00:00.000Z" } }));
    const app = await renderApp({ type: "admin_settings", settings: {} }, { hash: "#/admin" });
    act(() => app.changeAdminSettings({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" }));
    fireEvent.click(await screen.findByRole("button", { name: "Verify connection" }));
    const field = (await screen.findByLabelText(/Per-ticket limit/)) as HTMLInputElement;
    expect(field.value).toBe("0");
    const save = screen.getByRole("button", { name: "Save limit" });
    expect(save).toBeDisabled();
    fireEvent.change(field, { target: { value: "12.5" } });
    fireEvent.blur(field); // a field's error shows once the admin leaves it
    expect(await screen.findByText(/Use whole credits from 0 to 1,000,000/)).toBeTruthy();
    expect(save).toBeDisabled();
    fireEvent.change(field, { target: { value: "100" } });
    fireEvent.click(save);
    expect(await screen.findByText("Saved: customers may approve up to 100 credits past their balance on a ticket.")).toBeTruthy();
    const [put] = proxy.requests("PUT", /^\/v1\/portal\/overage-settings$/);
    expect(put?.proxy).toBe("admin");
    expect(put?.body).toEqual({ perTicketLimit: 100 });
  });
});
