/**
 * Auto-recharge over HTTP: what agents read (tenant API key), and the customer page's forms (a
 * signed link): save a card (Stripe Checkout in setup mode), review and agree, stop.
 */
import { createRoute, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createHash } from "node:crypto";
import { AutoRecharge, AutoRechargeConsentPage, AutoRechargeForm } from "../../../contract/recharge.js";
import * as wallets from "../../core/wallets.js";
import { bankNames } from "../../features/bank-names.js";
import {
  agreeToAutoRecharge,
  capInMinorUnits,
  consentWords,
  getAutoRecharge,
  listConsents,
  RechargeNotReady,
  startCardSetup,
  stopAutoRecharge,
} from "../../features/recharge.js";
import type { StripeApiAddress } from "../../features/payments.js";
import { balanceLinkOf } from "../balance-link.js";
import { errorPage, page } from "../customer-page.js";
import { reviewBody } from "../customer-page-recharge.js";
import { coreOf, newRouter, tenantOf, type LedgerEnv } from "../env.js";
import { commonProblems, json, ownerParams } from "../openapi.js";

const originOf = (api: StripeApiAddress) =>
  `${api.protocol}://${api.host.includes(":") ? `[${api.host}]` : api.host}${api.port === (api.protocol === "http" ? 80 : 443) ? "" : `:${api.port}`}`;

export function rechargeRoutes(configuredPublicUrl?: string, stripeApi?: StripeApiAddress) {
  const app = newRouter();
  const publicUrl = (c: Context<LedgerEnv>) => (configuredPublicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, "");
  const checkoutOrigins = ["https://checkout.stripe.com", ...(stripeApi ? [originOf(stripeApi)] : [])].join(" ");

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets/{owner}/auto-recharge",
      operationId: "getAutoRecharge",
      tags: ["Payments"],
      summary: "The bank's auto-recharge: on or off, card saved, pack, threshold, monthly cap and what this month used of it, last failure",
      description:
        "Customers set auto-recharge on their page (a signed link); this is what agents see in the sidebar. `usedThisMonth` counts charges paid or under way in the current calendar month (UTC).",
      request: { params: ownerParams },
      responses: { 200: json(AutoRecharge, "Auto-recharge"), ...commonProblems },
    }),
    async (c) => c.json(await getAutoRecharge(coreOf(c), tenantOf(c), c.req.valid("param").owner), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets/{owner}/auto-recharge/consents",
      operationId: "listAutoRechargeConsents",
      tags: ["Payments"],
      summary: "The customer's auto-recharge consents, newest first: who, when, the exact words and the settings",
      description: "Append-only: every agreement (and every stop) made on the customer page, up to 100.",
      request: { params: ownerParams },
      responses: { 200: json(AutoRechargeConsentPage, "Consents"), ...commonProblems },
    }),
    async (c) => {
      const rows = await listConsents(coreOf(c).db, tenantOf(c), c.req.valid("param").owner, 100);
      return c.json({ consents: rows.map((r) => ({ ...r, settings: r.settings as Record<string, unknown>, at: r.at.toISOString() })) }, 200);
    },
  );

  // The customer page's forms, reached through its signed link.
  const linkFrom = (c: Context<LedgerEnv>) => {
    c.header("cache-control", "no-store");
    c.header("x-robots-tag", "noindex");
    c.header(
      "content-security-policy",
      `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${checkoutOrigins}; base-uri 'none'; frame-ancestors 'none'`,
    );
    const link = balanceLinkOf(c);
    if (link.error) return { error: link.error };
    return { claims: link.claims, back: `${publicUrl(c)}/pay/${c.req.param("token")}`, error: undefined };
  };
  const formOf = async (c: Context<LedgerEnv>) => (await c.req.parseBody().catch(() => ({}))) as Record<string, unknown>;
  const firstIssue = (error: z.ZodError) => {
    const issue = error.issues[0];
    return issue ? `${issue.path.join(".") || "form"}: ${issue.message}` : "Check the form.";
  };
  const helpdeskOf = async (c: Context<LedgerEnv>, tenantId: string, owner: string) =>
    (await bankNames(coreOf(c), tenantId, owner, c.get("ledger").deskproClients)).helpdesk;
  const wordsDigest = (words: string) => createHash("sha256").update(words).digest("hex");

  app.post("/pay/:token/auto-recharge/card", async (c) => {
    const link = linkFrom(c);
    if (link.error) return link.error;
    try {
      const url = await startCardSetup(coreOf(c), link.claims.tenantId, link.claims.owner, link.back, stripeApi);
      return c.redirect(url, 303);
    } catch {
      return c.html(errorPage("Saving a card could not start", "Card payments are not available right now. Please try again later or contact support."), 503);
    }
  });

  /** The choices, checked, and the exact sentence to agree to. */
  app.post("/pay/:token/auto-recharge/review", async (c) => {
    const link = linkFrom(c);
    if (link.error) return link.error;
    const { tenantId, owner } = link.claims;
    const choices = AutoRechargeForm.pick({ packId: true, threshold: true, capUnits: true }).safeParse(await formOf(c));
    if (!choices.success) return c.html(errorPage("Check your choices", firstIssue(choices.error)), 400);
    const { config } = await wallets.loadConfig(coreOf(c).db, tenantId);
    const pack = config.packs.find((p) => p.id === choices.data.packId);
    if (!pack) return c.html(errorPage("That pack is not available", "Pick one of the packs on the page."), 400);
    const cap = capInMinorUnits(choices.data.capUnits, pack.currency);
    if (cap < pack.price) return c.html(errorPage("Check your choices", "The monthly limit must be at least the pack's price."), 400);
    const words = consentWords(await helpdeskOf(c, tenantId, owner), pack, choices.data.threshold, cap);
    return c.html(
      page("Auto-recharge", reviewBody({ ...choices.data, words, action: `${new URL(c.req.url).pathname.replace(/\/review$/, "")}`, back: link.back })),
    );
  });

  /** Agreement: the sentence shown must be the one the choices make now, else the customer reviews again. */
  app.post("/pay/:token/auto-recharge", async (c) => {
    const link = linkFrom(c);
    if (link.error) return link.error;
    const { tenantId, owner } = link.claims;
    const raw = await formOf(c);
    const form = AutoRechargeForm.safeParse(raw);
    if (!form.success) return c.html(errorPage("Not turned on", firstIssue(form.error)), 400);
    const helpdesk = await helpdeskOf(c, tenantId, owner);
    const { config } = await wallets.loadConfig(coreOf(c).db, tenantId);
    const pack = config.packs.find((p) => p.id === form.data.packId);
    const shown = typeof raw.words === "string" ? raw.words : "";
    if (!pack || wordsDigest(consentWords(helpdesk, pack, form.data.threshold, capInMinorUnits(form.data.capUnits, pack.currency))) !== wordsDigest(shown))
      return c.html(
        errorPage("Please review again", "The pack or its price changed since you reviewed it; go back to the page and review your choices again."),
        409,
      );
    try {
      await agreeToAutoRecharge(coreOf(c), tenantId, owner, form.data, helpdesk);
    } catch (error) {
      if (error instanceof RechargeNotReady) return c.html(errorPage("Not turned on", error.message), 400);
      throw error;
    }
    return c.redirect(`${link.back}?recharge=on`, 303);
  });

  app.post("/pay/:token/auto-recharge/stop", async (c) => {
    const link = linkFrom(c);
    if (link.error) return link.error;
    await stopAutoRecharge(coreOf(c), link.claims.tenantId, link.claims.owner, "the holder of the customer page link");
    return c.redirect(`${link.back}?recharge=off`, 303);
  });

  return app;
}
