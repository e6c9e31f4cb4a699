/**
 * Asked before overage over HTTP: the per-ticket limit and a ticket's question for the app (tenant
 * API key), and the customer's page (a signed link) whose form posts the answer.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { OverageAnswer, OverageSettings, OverageSettingsResponse, TicketOverage } from "../../../contract/overage.js";
import {
  answerOverage,
  loadOverageSettings,
  saveOverageSettings,
  ticketOverage,
  verifyOverageLink,
  viewOverage,
  type OverageOutcome,
} from "../../features/overage.js";
import { signedLinkOf } from "../balance-link.js";
import { errorPage } from "../customer-page.js";
import { coreOf, newRouter, tenantOf, type LedgerEnv } from "../env.js";
import { commonProblems, json, jsonBody, ticketParams } from "../openapi.js";
import { overageOutcomePage, overageQuestionPage } from "../overage-page.js";

/** The status each answer's page is sent with: a change made is 200; nothing changed says why. */
const STATUS: Record<OverageOutcome["kind"], 200 | 404 | 409 | 410 | 422> = {
  approved: 200,
  kept_free: 200,
  answered_before: 409,
  withdrawn: 409,
  over_limit: 422,
  expired: 410,
  not_found: 404,
};

export function overageRoutes(configuredPublicUrl?: string) {
  const app = newRouter();
  const origin = (c: Context<LedgerEnv>) => (configuredPublicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, "");

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/portal/overage-settings",
      operationId: "getOverageSettings",
      tags: ["Portal tiers"],
      summary: "How far past its balance a bank may go on one ticket when its customer approves (0: never ask)",
      description:
        "When a bank can't pay for the tier its customer picked on the portal and the extra credits are within this limit, the customer's message carries a signed link where they approve the extra credits, buy credits, or keep the standard response.",
      responses: { 200: json(OverageSettingsResponse, "The settings"), ...commonProblems },
    }),
    async (c) => {
      const { settings, updatedAt } = await loadOverageSettings(coreOf(c).db, tenantOf(c));
      return c.json({ settings, updatedAt: updatedAt?.toISOString() ?? null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/portal/overage-settings",
      operationId: "replaceOverageSettings",
      tags: ["Portal tiers"],
      summary: "Set the per-ticket limit customers may approve past their bank's balance",
      description: "Applies to questions answered from now on: an approval is charged against the limit in force when it is submitted.",
      request: jsonBody(OverageSettings),
      responses: { 200: json(OverageSettingsResponse, "The saved settings"), ...commonProblems },
    }),
    async (c) => {
      const saved = await saveOverageSettings(coreOf(c), tenantOf(c), c.req.valid("json"));
      return c.json({ settings: saved.settings, updatedAt: saved.updatedAt.toISOString() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/portal/tickets/{ticketId}/overage",
      operationId: "getTicketOverage",
      tags: ["Portal tiers"],
      summary: "The ticket's latest asked-before-overage question and the customer's answer",
      description:
        "`choice` is null when the customer was never asked on this ticket. `state`: pending, approved, kept_free, withdrawn (the ticket moved on), expired.",
      request: { params: ticketParams },
      responses: { 200: json(TicketOverage, "The question, or null"), ...commonProblems },
    }),
    async (c) => c.json({ choice: await ticketOverage(coreOf(c), tenantOf(c), c.req.valid("param").ticketId) }, 200),
  );

  // The customer's page: no API key; the signed link names the tenant and the question.
  const linkFrom = (c: Context<LedgerEnv>) => {
    c.header("cache-control", "no-store");
    c.header("x-robots-tag", "noindex");
    c.header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
    return signedLinkOf(c, verifyOverageLink, {
      expired: "Nothing was charged. Reply to the ticket if you still want a faster response.",
      invalid: "Check that the whole link was copied, or reply to the ticket.",
    });
  };

  app.get("/overage/:token", async (c) => {
    const link = linkFrom(c);
    if (link.error) return link.error;
    const view = await viewOverage(coreOf(c), link.claims.tenantId, link.claims.offerId, origin(c));
    if (!view) return c.html(overageOutcomePage({ kind: "not_found" }, null), 404);
    return c.html(overageQuestionPage(view, new URL(c.req.url).pathname));
  });

  app.post("/overage/:token", async (c) => {
    const link = linkFrom(c);
    if (link.error) return link.error;
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const answer = OverageAnswer.safeParse(form.answer);
    if (!answer.success) return c.html(errorPage("Choose an answer", "Use one of the buttons on the page: approve, or keep the standard response."), 400);
    const { tenantId, offerId } = link.claims;
    const outcome = await answerOverage(coreOf(c), tenantId, offerId, answer.data);
    const view = await viewOverage(coreOf(c), tenantId, offerId, origin(c));
    return c.html(overageOutcomePage(outcome, view, new URL(c.req.url).pathname), STATUS[outcome.kind]);
  });
  return app;
}
