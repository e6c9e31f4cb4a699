/**
 * The organisation sidebar's invoices: the list with what became of each, and the form that sends
 * one for a credit pack on net terms, through Deskpro's proxy with an Idempotency-Key.
 */
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { Invoice } from "../../src/contract/index.js";
import type { Forwarded } from "./harness.js";
import { config, organisationContext, problem, renderApp, proxyForThisFile, userContext, wallet } from "./harness.js";

const proxy = proxyForThisFile();

const packs = [
  { id: "pack-500", label: "500 credits", credits: 500, price: 25_000, currency: "usd" },
  { id: "pack-2000", label: "2,000 credits", credits: 2000, price: 90_000, currency: "usd" },
];

const invoice = (over: Partial<Invoice> = {}): Invoice => ({
  id: "inv_00000000000000000000000000000001",
  owner: "org:42",
  packId: "pack-500",
  credits: 500,
  amount: 25_000,
  currency: "usd",
  daysUntilDue: 30,
  email: "billing@engines.example",
  state: "open",
  stripeInvoiceId: "in_1",
  number: "INV-0001",
  hostedInvoiceUrl: "https://invoice.stripe.com/i/acct_1/in_1",
  dueAt: "2027-01-04T12:00:00.000Z",
  grantEntryId: null,
  agent: "Grace Hopper",
  createdAt: "2026-12-05T12:00:00.000Z",
  paidAt: null,
  closedAt: null,
  ...over,
});

describe("organisation sidebar: buying by invoice", () => {
  let issued: Invoice[];
  beforeEach(() => {
    issued = [invoice({ id: "inv_00000000000000000000000000000009", number: "INV-0000", state: "void", closedAt: "2026-12-01T00:00:00.000Z" })];
    proxy.on("GET", /^\/v1\/wallets\/[^/]+$/, { body: wallet({ owner: "org:42" }) });
    proxy.on("GET", /^\/v1\/config$/, { body: { ...config, config: { ...config.config, packs } } });
    proxy.on("GET", /\/entries$/, { body: { entries: [], nextCursor: null } });
    proxy.on("GET", /^\/v1\/wallets\/org%3A42\/invoices$/, () => ({ body: { invoices: issued } }));
  });

  it("sends an invoice for the chosen pack on net terms, with an Idempotency-Key, and lists it as awaiting payment", async () => {
    proxy.on("POST", /^\/v1\/invoices$/, (req: Forwarded) => {
      const body = req.body as { packId: string; daysUntilDue: number; email: string };
      const pack = packs.find((p) => p.id === body.packId)!;
      const sent = invoice({ packId: pack.id, credits: pack.credits, amount: pack.price, daysUntilDue: body.daysUntilDue, email: body.email });
      issued = [sent, ...issued];
      return { status: 201, body: sent };
    });
    await renderApp(organisationContext());
    const list = await screen.findByRole("list", { name: "Invoices" }, { timeout: 5000 });
    expect(within(list).getByText("Voided · no credits added")).toBeTruthy();

    const form = screen.getByRole("form", { name: "Send an invoice" });
    fireEvent.change(within(form).getByLabelText("Pack"), { target: { value: "pack-2000" } });
    fireEvent.change(within(form).getByLabelText("Due after (days)"), { target: { value: "45" } });
    fireEvent.change(within(form).getByLabelText("Billing email"), { target: { value: "billing@engines.example" } });
    fireEvent.click(within(form).getByRole("button", { name: "Send invoice" }));

    expect(
      await screen.findByText(/^Invoice INV-0001 for \$900\.00 sent to billing@engines\.example, due .+\. The 2,000 credits are added when it is paid\.$/),
    ).toBeTruthy();
    const [req] = proxy.requests("POST", /^\/v1\/invoices$/);
    expect(req?.body).toEqual({
      owner: "org:42",
      packId: "pack-2000",
      daysUntilDue: 45,
      email: "billing@engines.example",
      name: "Analytical Engines Ltd",
      agent: "Grace Hopper",
    });
    expect(req?.rawHeaders["Idempotency-Key"]).toMatch(/^app-/);
    // The list is read again: the new invoice awaits payment, with Stripe's page to open.
    await waitFor(() => expect(within(screen.getByRole("list", { name: "Invoices" })).getAllByTestId("invoice")).toHaveLength(2));
    const [newest] = within(screen.getByRole("list", { name: "Invoices" })).getAllByTestId("invoice");
    expect(newest).toHaveTextContent(/\$900\.00 · 2,000 credits · INV-0001/);
    expect(newest).toHaveTextContent(/Awaiting payment · due /);
    expect(within(newest!).getByRole("link", { name: "Open the invoice" }).getAttribute("href")).toBe("https://invoice.stripe.com/i/acct_1/in_1");
  });

  it("says what to fix and sends nothing for a bad email or terms", async () => {
    await renderApp(organisationContext());
    const form = await screen.findByRole("form", { name: "Send an invoice" }, { timeout: 5000 });
    fireEvent.change(within(form).getByLabelText("Due after (days)"), { target: { value: "0" } });
    fireEvent.change(within(form).getByLabelText("Billing email"), { target: { value: "not an email" } });
    fireEvent.click(within(form).getByRole("button", { name: "Send invoice" }));
    expect(await screen.findByText("Enter a whole number of days from 1 to 365.")).toBeTruthy();
    expect(screen.getByText("Enter the email address the invoice goes to.")).toBeTruthy();
    // The first field to fix takes the focus.
    expect(document.activeElement).toBe(within(form).getByLabelText("Due after (days)"));
    expect(proxy.requests("POST", /^\/v1\/invoices$/)).toHaveLength(0);
  });

  it("says plainly when Stripe isn't set up, and that no invoice was sent", async () => {
    proxy.on("POST", /^\/v1\/invoices$/, {
      status: 409,
      body: problem(409, "payments_not_connected", "Set the tenant's Stripe keys first (PUT /v1/integrations/stripe)."),
    });
    await renderApp(organisationContext());
    const form = await screen.findByRole("form", { name: "Send an invoice" }, { timeout: 5000 });
    fireEvent.change(within(form).getByLabelText("Billing email"), { target: { value: "billing@engines.example" } });
    fireEvent.click(within(form).getByRole("button", { name: "Send invoice" }));
    expect(await screen.findByText(/^No invoice was sent\./)).toBeTruthy();
    expect(issued).toHaveLength(1);
  });

  it("is on the organisation's sidebar only, not a person's", async () => {
    proxy.on("GET", /^\/v1\/wallets\/person%3A77$/, { body: wallet({ owner: "person:77" }) });
    await renderApp(userContext());
    expect(await screen.findByText("Ada Lovelace's bank")).toBeTruthy();
    expect(screen.queryByRole("form", { name: "Send an invoice" })).toBeNull();
    expect(proxy.requests("GET", /\/invoices$/)).toHaveLength(0);
  });
});
