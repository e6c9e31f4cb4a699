/**
 * Credits bought by invoice over HTTP (tenant API key): issue a Stripe invoice for a pack to an
 * organisation, and list a bank's invoices. Stripe's invoice events arrive at the Stripe webhook
 * (routes/payments.ts).
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Invoice, InvoicePage, InvoiceRequest } from "../../../contract/invoices.js";
import { issueInvoice, listInvoices } from "../../features/invoices.js";
import type { PaymentsOptions, StripeApiAddress } from "../../features/payments.js";
import { coreOf, idempotencyOf, newRouter, respond, tenantOf, type LedgerEnv } from "../env.js";
import { commonProblems, idempotencyHeader, json, jsonBody, ownerParams, problem } from "../openapi.js";

export function invoiceRoutes(configuredPublicUrl?: string, stripeApi?: StripeApiAddress) {
  const app = newRouter();
  const options = (c: Context<LedgerEnv>): PaymentsOptions => ({
    publicUrl: (configuredPublicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, ""),
    ...(stripeApi ? { stripeApi } : {}),
  });

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/invoices",
      operationId: "issueInvoice",
      tags: ["Payments"],
      summary: "Issue a Stripe invoice for a credit pack to an organisation, on net terms",
      description:
        "Makes (or reuses) the organisation's Stripe Customer with the billing `email`, a Stripe invoice sent by email (`collection_method: send_invoice`) due `daysUntilDue` days after it is sent, with one item at the pack's price, then finalizes and sends it. The answer is the invoice awaiting payment (`state: open`, with Stripe's payment page and the due date). The credits are granted when Stripe reports it paid (`invoice.paid` at `receiveStripeWebhook`), never before; a voided or uncollectible invoice grants nothing. A retry with the same `Idempotency-Key` returns the same invoice (every Stripe call carries a key derived from it); the key used for another request gets 409 `idempotency_key_reused`. 409 `payments_not_connected`; 422 `unknown_pack`; 502 `payment_provider_error` when Stripe refuses or fails (retry with the same key).",
      request: { headers: idempotencyHeader, ...jsonBody(InvoiceRequest) },
      responses: {
        201: json(Invoice, "The invoice, sent and awaiting payment"),
        ...commonProblems,
        409: problem("Stripe is not set up, or the Idempotency-Key was used for another request"),
        422: problem("Unknown pack"),
        502: problem("Stripe refused or failed"),
      },
    }),
    async (c) => respond(c, await issueInvoice(coreOf(c), tenantOf(c), c.req.valid("json"), idempotencyOf(c), options(c))),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets/{owner}/invoices",
      operationId: "listInvoices",
      tags: ["Payments"],
      summary: "The bank's invoices, newest first",
      description:
        "Up to 100, with their state (issuing, open, paid, void, uncollectible), amount, due date, Stripe's payment page and the grant each paid invoice made.",
      request: { params: ownerParams },
      responses: { 200: json(InvoicePage, "Invoices"), ...commonProblems },
    }),
    async (c) => c.json({ invoices: await listInvoices(coreOf(c), tenantOf(c), c.req.valid("param").owner, 100) }, 200),
  );
  return app;
}
