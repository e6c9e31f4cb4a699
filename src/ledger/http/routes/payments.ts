/**
 * Card purchases over HTTP: the tenant's Stripe keys, checkout sessions and customer links (tenant
 * API key), Stripe's webhook (its signature), and the customer balance page (a signed link).
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  CheckoutSession,
  CheckoutSessionRequest,
  CustomerLink,
  CustomerLinkRequest,
  Owner,
  PurchasePage,
  Slug,
  StripeConnection,
  StripeConnectionRequest,
  type StripeHookResult,
} from "../../../contract/index.js";
import * as wallets from "../../core/wallets.js";
import { bankNames } from "../../features/bank-names.js";
import { customerLink, verifyCustomerLink } from "../../features/customer-links.js";
import {
  createCheckoutSession,
  getStripeConnection,
  handleStripeEvent,
  listPurchases,
  putStripeConnection,
  UnknownPack,
  type PaymentsOptions,
} from "../../features/payments.js";
import * as store from "../../storage/payments.js";
import { customerPage, errorPage } from "../customer-page.js";
import { coreOf, idempotencyOf, newRouter, readBodyCapped, tenantOf, type LedgerEnv } from "../env.js";
import { commonProblems, json, jsonBody, problem } from "../openapi.js";
import { HttpProblem } from "../problems.js";

const MAX_STRIPE_BODY_BYTES = 512 * 1024;
const TENANT_ID = /^tnt_[0-9a-z]{26}$/;

export function paymentRoutes(configuredPublicUrl?: string) {
  const app = newRouter();
  const options = (c: Context<LedgerEnv>): PaymentsOptions => ({ publicUrl: (configuredPublicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, "") });

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/integrations/stripe",
      summary: "The Stripe connection: whether the keys are set (never their values) and the webhook URL to give Stripe",
      responses: { 200: json(StripeConnection, "The connection"), ...commonProblems },
    }),
    async (c) => c.json(await getStripeConnection(coreOf(c).db, tenantOf(c), options(c)), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/integrations/stripe",
      summary: "Set the Stripe secret key and the webhook signing secret (left out: kept)",
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
      summary: "Start a card purchase of a credit pack for a bank: a Stripe Checkout Session and its URL",
      request: { headers: z.object({ "idempotency-key": z.string() }), ...jsonBody(CheckoutSessionRequest) },
      responses: {
        201: json(CheckoutSession, "The session; send the customer to `url`"),
        ...commonProblems,
        409: problem("Card payments are not set up"),
        422: problem("Unknown pack"),
        502: problem("Stripe refused"),
      },
    }),
    async (c) => c.json(await createCheckoutSession(coreOf(c), tenantOf(c), c.req.valid("json"), idempotencyOf(c).key, options(c)), 201),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/wallets/{owner}/customer-links",
      summary: "A signed, expiring link to the wallet's customer page (balance, usage, buy credits)",
      request: { params: z.object({ owner: Owner }), ...jsonBody(CustomerLinkRequest) },
      responses: { 201: json(CustomerLink, "The link"), ...commonProblems },
    }),
    async (c) => c.json(customerLink(tenantOf(c), c.req.valid("param").owner, coreOf(c).clock(), c.req.valid("json").days, options(c)), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets/{owner}/purchases",
      summary: "The wallet's card purchases, newest first",
      request: { params: z.object({ owner: Owner }) },
      responses: { 200: json(PurchasePage, "Purchases"), ...commonProblems },
    }),
    async (c) => c.json({ purchases: await listPurchases(coreOf(c), tenantOf(c), c.req.valid("param").owner, 100) }, 200),
  );

  // Stripe's webhook: authenticated by its signature over the raw body, not by an API key.
  app.post("/hooks/stripe/:tenantId", async (c) => {
    const tenantId = c.req.param("tenantId");
    if (!TENANT_ID.test(tenantId)) throw new HttpProblem("invalid_signature", "The Stripe-Signature header does not match this endpoint's signing secret.");
    const body = await readBodyCapped(c.req.raw, MAX_STRIPE_BODY_BYTES);
    c.set("tenantId", tenantId);
    const result: StripeHookResult = await handleStripeEvent(coreOf(c), tenantId, body, c.req.header("stripe-signature"));
    return c.json(result, 200);
  });

  // The customer page, reached through a signed link; its buy buttons post back here.
  const linkFrom = (c: Context<LedgerEnv>) => {
    const check = verifyCustomerLink(c.req.param("token") ?? "", coreOf(c).clock());
    if (!check.ok) {
      return {
        error: c.html(
          check.reason === "expired"
            ? errorPage("This link has expired", "For your security, balance links work for a limited time. Ask your support team for a new one.")
            : errorPage("This link is not valid", "Check that the whole link was copied, or ask your support team for a new one."),
          check.reason === "expired" ? 410 : 404,
        ),
      };
    }
    c.set("tenantId", check.claims.tenantId);
    return { claims: check.claims };
  };
  const noStore = (c: Context<LedgerEnv>) => {
    c.header("cache-control", "no-store");
    c.header("x-robots-tag", "noindex");
    c.header(
      "content-security-policy",
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https://checkout.stripe.com; base-uri 'none'; frame-ancestors 'none'",
    );
  };

  app.get("/pay/:token", async (c) => {
    noStore(c);
    const link = linkFrom(c);
    if (link.error) return link.error;
    const { tenantId, owner, expiresAt } = link.claims;
    const ctx = coreOf(c);
    const [wallet, statement, purchases, { config }, connection, names] = await Promise.all([
      wallets.getWallet(ctx, tenantId, owner),
      wallets.getStatement(ctx, tenantId, owner, 15, undefined),
      listPurchases(ctx, tenantId, owner),
      wallets.loadConfig(ctx.db, tenantId),
      store.getStripeConnection(ctx.db, tenantId),
      bankNames(ctx, tenantId, owner, c.get("ledger").deskproClients),
    ]);
    const checkout = c.req.query("checkout");
    return c.html(
      customerPage({
        names,
        wallet,
        entries: statement.entries,
        purchases,
        packs: config.packs,
        paymentsEnabled: connection?.secretKeyCiphertext != null,
        checkoutAction: `${new URL(c.req.url).pathname}/checkout`,
        checkout: checkout === "success" || checkout === "cancelled" ? checkout : null,
        expiresAt: expiresAt.toISOString(),
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
    if (!packId.success) return c.html(errorPage("Choose a pack", "Pick one of the packs on the page."), 400);
    const back = `${options(c).publicUrl}/pay/${c.req.param("token")}`;
    try {
      // A fresh key per press: an unpaid session simply expires, and each press should reach Stripe.
      const session = await createCheckoutSession(coreOf(c), tenantId, { owner, packId: packId.data }, crypto.randomUUID(), { ...options(c), returnUrl: back });
      return c.redirect(session.url, 303);
    } catch (error) {
      if (error instanceof UnknownPack) return c.html(errorPage("That pack is not available", error.message), 400);
      return c.html(errorPage("Payment could not start", "Card payments are not available right now. Please try again later or contact support."), 503);
    }
  });
  return app;
}
