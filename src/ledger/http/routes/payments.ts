/**
 * Card purchases over HTTP: the tenant's Stripe keys, checkout sessions and customer links (tenant
 * API key), Stripe's webhook (its signature), and the customer balance page (a signed link).
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Currency } from "../../../contract/config.js";
import { Slug } from "../../../contract/primitives.js";
import {
  CheckoutSession,
  CheckoutSessionRequest,
  CustomerLink,
  CustomerLinkRequest,
  PurchasePage,
  StripeConnection,
  StripeConnectionRequest,
  StripeHookResult,
} from "../../../contract/stripe.js";
import { isTenantSuspended } from "../../core/tenants.js";
import * as wallets from "../../core/wallets.js";
import { bankNames } from "../../features/bank-names.js";
import { customerLink } from "../../features/customer-links.js";
import {
  createCheckoutSession,
  getStripeConnection,
  handleStripeEvent,
  listPurchases,
  putStripeConnection,
  UnknownPack,
  type PaymentsOptions,
  type StripeApiAddress,
} from "../../features/payments.js";
import { listInvoices } from "../../features/invoices.js";
import { getAutoRecharge } from "../../features/recharge.js";
import * as store from "../../storage/payments.js";
import { balanceLinkOf } from "../balance-link.js";
import { customerPage, errorPage } from "../customer-page.js";
import { readBodyCapped } from "../bodies.js";
import { coreOf, idempotencyOf, newRouter, respond, tenantOf, type LedgerEnv } from "../env.js";
import { commonProblems, idempotencyHeader, json, jsonBody, ownerParams, problem, rateLimitedProblem, unexpectedProblem } from "../openapi.js";
import { HttpProblem, suspendedProblem } from "../problems.js";

const MAX_STRIPE_BODY_BYTES = 512 * 1024;

const originOf = (api: StripeApiAddress) =>
  `${api.protocol}://${api.host.includes(":") ? `[${api.host}]` : api.host}${api.port === (api.protocol === "http" ? 80 : 443) ? "" : `:${api.port}`}`;
const TENANT_ID = /^tnt_[0-9a-z]{26}$/;
/** What the auto-recharge forms and Stripe's setup page came back with. */
const rechargeNotice = (q: Record<string, string>) =>
  q.card === "saved" ? "card-saved" : q.card === "cancelled" ? "card-cancelled" : q.recharge === "on" ? "on" : q.recharge === "off" ? "off" : null;

export function paymentRoutes(configuredPublicUrl?: string, stripeApi?: StripeApiAddress) {
  const app = newRouter();
  const options = (c: Context<LedgerEnv>): PaymentsOptions => ({
    publicUrl: (configuredPublicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, ""),
    ...(stripeApi ? { stripeApi } : {}),
  });
  // A Stripe stand-in at another address also serves its own Checkout pages: the buy buttons may go there.
  const checkoutOrigins = ["https://checkout.stripe.com", ...(stripeApi ? [originOf(stripeApi)] : [])].join(" ");

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/integrations/stripe",
      operationId: "getStripeConnection",
      tags: ["Payments"],
      summary: "The Stripe connection: whether the keys are set (never their values) and the webhook URL to give Stripe",
      description:
        "Secrets never come back: whether they are set, test or live mode, the key's last four characters, and the URL to give Stripe as the webhook endpoint.",
      responses: { 200: json(StripeConnection, "The connection"), ...commonProblems },
    }),
    async (c) => c.json(await getStripeConnection(coreOf(c).db, tenantOf(c), options(c)), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/integrations/stripe",
      operationId: "setStripeConnection",
      tags: ["Payments"],
      summary: "Set the Stripe secret key and the webhook signing secret (left out: kept)",
      description: "Secrets are sealed at rest with the server's `LEDGER_SECRETS_KEY` (503 when the server has none); leave one out to keep the stored one.",
      request: jsonBody(StripeConnectionRequest),
      responses: {
        200: json(StripeConnection, "The connection (without secrets)"),
        ...commonProblems,
        503: problem("The server has no key to seal secrets with"),
      },
    }),
    async (c) => c.json(await putStripeConnection(coreOf(c), tenantOf(c), c.req.valid("json"), options(c)), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/checkout-sessions",
      operationId: "createCheckoutSession",
      tags: ["Payments"],
      summary: "Start a card purchase of a credit pack for a bank: a Stripe Checkout Session and its URL",
      description:
        "Send the customer to `url`. The credits are granted when Stripe reports the payment (`receiveStripeWebhook`), not now. A retry with the same `Idempotency-Key` returns the same session (Stripe gets a key derived from it, and the same return links); the key used for another request gets 409 `idempotency_key_reused`. 409 `payments_not_connected`; 422 `unknown_pack`; 502 `payment_provider_error` when Stripe refuses.",
      request: { headers: idempotencyHeader, ...jsonBody(CheckoutSessionRequest) },
      responses: {
        201: json(CheckoutSession, "The session; send the customer to `url`"),
        ...commonProblems,
        409: problem("Card payments are not set up, or the Idempotency-Key was used for another request"),
        422: problem("Unknown pack"),
        502: problem("Stripe refused"),
      },
    }),
    async (c) => respond(c, await createCheckoutSession(coreOf(c), tenantOf(c), c.req.valid("json"), idempotencyOf(c), options(c))),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/wallets/{owner}/customer-links",
      operationId: "createCustomerLink",
      tags: ["Payments"],
      summary: "A signed, expiring link to the wallet's customer page (balance, usage, buy credits)",
      description:
        "The link opens a page (`/pay/…`) where the customer sees their balance and recent usage and can buy credit packs, without a Deskpro login. It is signed with the server key and stops working after `days`.",
      request: { params: ownerParams, ...jsonBody(CustomerLinkRequest) },
      responses: { 201: json(CustomerLink, "The link"), ...commonProblems },
    }),
    async (c) => c.json(customerLink(tenantOf(c), c.req.valid("param").owner, coreOf(c).clock(), c.req.valid("json").days, options(c)), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets/{owner}/purchases",
      operationId: "listPurchases",
      tags: ["Payments"],
      summary: "The wallet's card purchases, newest first",
      description: "Up to 100, with their state (open, paid, refunded) and the grant each paid purchase made.",
      request: { params: ownerParams },
      responses: { 200: json(PurchasePage, "Purchases"), ...commonProblems },
    }),
    async (c) => c.json({ purchases: await listPurchases(coreOf(c), tenantOf(c), c.req.valid("param").owner, 100) }, 200),
  );

  // Stripe's webhook: authenticated by its signature over the raw body, not by an API key.
  // Documented with registerPath and served by app.post, unlike the routes declared with
  // app.openapi: declared there, its required Stripe-Signature header would be checked before the
  // handler runs, answering a missing one `invalid_request` before the body is read, where every
  // signature problem is `invalid_signature`, found with the body in hand (and a client that
  // gives up mid-body is logged as such). Deskpro's web hook can be declared (deskpro-webhooks.ts):
  // its ticket-id header is optional.
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/hooks/stripe/{tenantId}",
    operationId: "receiveStripeWebhook",
    tags: ["Payments"],
    summary: "Stripe's webhook: card payments and refunds of credit packs",
    description:
      "The endpoint to give Stripe (`webhookUrl` of getStripeConnection), subscribed to `checkout.session.completed`, `checkout.session.async_payment_succeeded` and `charge.refunded`, for receipts `charge.succeeded`, for receipts and invoices (`issueInvoice`) `invoice.paid`, `invoice.voided`, `invoice.marked_uncollectible` and `invoice.finalized`, and for auto-recharge `setup_intent.succeeded`, `payment_intent.succeeded` and `payment_intent.payment_failed`; other events are acknowledged and ignored. The last signed event and its outcome show in getStripeConnection's `lastEvent`. Authenticated by the `Stripe-Signature` header over the raw body, checked with the tenant's signing secret by Stripe's own library. A paid session grants its pack once, however often and in whatever order its events arrive; a refund takes back what remains of that grant. Bodies up to 512 kB.",
    security: [],
    request: {
      params: z.object({ tenantId: z.string().regex(TENANT_ID).meta({ description: "The tenant's id (`npm run ledger -- tenant list`)" }) }),
      headers: z.object({ "stripe-signature": z.string().meta({ description: "Stripe's signature of the raw body" }) }),
      body: {
        required: true,
        content: { "application/json": { schema: z.looseObject({ id: z.string(), type: z.string() }).meta({ description: "A Stripe event" }) } },
      },
    },
    responses: {
      200: json(StripeHookResult, "What the ledger did with the event"),
      400: problem("Missing or wrong signature (`invalid_signature`); nothing changed"),
      403: problem("The tenant is suspended by the ledger's operator (`tenant_suspended`); nothing changed, and Stripe delivers the event again later"),
      413: problem("Body over 512 kB"),
      429: rateLimitedProblem,
      default: unexpectedProblem,
    },
  });
  app.post("/hooks/stripe/:tenantId", async (c) => {
    const tenantId = c.req.param("tenantId");
    if (!TENANT_ID.test(tenantId)) throw new HttpProblem("invalid_signature", "The Stripe-Signature header does not match this endpoint's signing secret.");
    // Refused before anything is read: Stripe delivers the event again (for days) once the tenant is resumed.
    if (await isTenantSuspended(coreOf(c).db, tenantId)) throw suspendedProblem();
    const body = await readBodyCapped(c.req.raw, MAX_STRIPE_BODY_BYTES);
    c.set("tenantId", tenantId);
    const result: StripeHookResult = await handleStripeEvent(coreOf(c), tenantId, body, c.req.header("stripe-signature"));
    return c.json(result, 200);
  });

  // The customer page, reached through a signed link; its buy buttons post back here.
  const linkFrom = balanceLinkOf;
  const noStore = (c: Context<LedgerEnv>) => {
    c.header("cache-control", "no-store");
    c.header("x-robots-tag", "noindex");
    c.header(
      "content-security-policy",
      `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${checkoutOrigins}; base-uri 'none'; frame-ancestors 'none'`,
    );
  };

  app.get("/pay/:token", async (c) => {
    noStore(c);
    const link = linkFrom(c);
    if (link.error) return link.error;
    const { tenantId, owner, expiresAt } = link.claims;
    const ctx = coreOf(c);
    const [wallet, statement, purchases, invoices, { config }, connection, names, recharge] = await Promise.all([
      wallets.getWallet(ctx, tenantId, owner),
      wallets.getStatement(ctx, tenantId, owner, 15, undefined),
      listPurchases(ctx, tenantId, owner),
      listInvoices(ctx, tenantId, owner),
      wallets.loadConfig(ctx.db, tenantId),
      store.getStripeConnection(ctx.db, tenantId),
      bankNames(ctx, tenantId, owner, c.get("ledger").deskproClients),
      getAutoRecharge(ctx, tenantId, owner),
    ]);
    const checkout = c.req.query("checkout");
    return c.html(
      customerPage({
        names,
        wallet,
        entries: statement.entries,
        purchases,
        invoices,
        packs: config.packs,
        currency: c.req.query("currency") ?? null,
        paymentsEnabled: connection?.secretKeyCiphertext != null,
        checkoutAction: `${new URL(c.req.url).pathname}/checkout`,
        checkout: checkout === "success" || checkout === "cancelled" ? checkout : null,
        expiresAt: expiresAt.toISOString(),
        autoRecharge: {
          recharge,
          packs: config.packs,
          action: `${new URL(c.req.url).pathname}/auto-recharge`,
          notice: rechargeNotice(c.req.query()),
          now: ctx.clock(),
        },
      }),
    );
  });

  app.post("/pay/:token/checkout", async (c) => {
    noStore(c);
    const link = linkFrom(c);
    if (link.error) return link.error;
    const { tenantId, owner } = link.claims;
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const packId = Slug.safeParse(form.packId);
    const currency = Currency.optional().safeParse(form.currency || undefined);
    if (!packId.success || !currency.success) return c.html(errorPage("Choose a pack", "Pick one of the packs on the page."), 400);
    const back = `${options(c).publicUrl}/pay/${c.req.param("token")}`;
    try {
      // A fresh key per press: an unpaid session simply expires, and each press should reach Stripe.
      const request = { owner, packId: packId.data, currency: currency.data };
      const idempotency = {
        scope: "ledger" as const,
        key: `pay-page:${crypto.randomUUID()}`,
        requestHash: `pay-page:${owner}:${packId.data}:${currency.data ?? ""}`,
      };
      const session = await createCheckoutSession(coreOf(c), tenantId, request, idempotency, { ...options(c), returnUrl: back });
      return c.redirect(session.body.url, 303);
    } catch (error) {
      if (error instanceof UnknownPack) return c.html(errorPage("That pack is not available", error.message), 400);
      return c.html(errorPage("Payment could not start", "Card payments are not available right now. Please try again later or contact support."), 503);
    }
  });
  return app;
}
