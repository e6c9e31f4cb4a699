/** Alert settings (wording, webhook endpoints) and a test send; deliveries are read at GET /v1/outbox?kind=alert. */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { AlertEvent, AlertSettings, AlertSettingsInput, AlertWebhookTest, WebhookTestEvent } from "../../../contract/alerts.js";
import { Slug } from "../../../contract/primitives.js";
import { newId } from "../../core/ids.js";
import { UrlNotAllowed } from "../../core/outbound.js";
import { alertSettingsView, loadAlertSettings, saveAlertSettings, sendAlertWebhook } from "../../features/alerts.js";
import { coreOf, newRouter, tenantOf } from "../env.js";
import { commonProblems, json, jsonBody, problem } from "../openapi.js";
import { HttpProblem } from "../problems.js";

export function alertRoutes() {
  const app = newRouter();

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/alerts/settings",
      operationId: "getAlertSettings",
      tags: ["Alerts"],
      summary: "Alert message wording and webhook endpoints (secrets never returned)",
      description: "Webhook secrets never come back: each endpoint says only whether its secret is set.",
      responses: { 200: json(AlertSettings, "The settings"), ...commonProblems },
    }),
    async (c) => c.json(alertSettingsView(await loadAlertSettings(coreOf(c).db, tenantOf(c))), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/alerts/settings",
      operationId: "replaceAlertSettings",
      tags: ["Alerts"],
      summary: "Replace the alert settings (a webhook's secret left out is kept while its URL stays the same)",
      description:
        "Fields left out take their defaults. Secrets are sealed at rest with the server's `LEDGER_SECRETS_KEY` (503 when the server has none). What endpoints receive is documented under `webhooks`.",
      request: jsonBody(AlertSettingsInput),
      responses: { 200: json(AlertSettings, "The saved settings"), ...commonProblems, 503: problem("The server has no key to seal secrets with") },
    }),
    async (c) => c.json(await saveAlertSettings(coreOf(c).db, tenantOf(c), c.req.valid("json"), coreOf(c).clock(), c.get("ledger").outbound), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/alerts/webhooks/{id}/test",
      operationId: "testAlertWebhook",
      tags: ["Alerts"],
      summary: "Send a signed test event to one webhook endpoint now and say what it answered",
      description:
        "Posts a signed `webhook.test` event to the saved endpoint with this id and answers what happened; an endpoint that fails is reported in the answer (still 200), not retried. 404 for an id not in the settings.",
      request: { params: z.object({ id: Slug.meta({ description: "The endpoint's `id` in the alert settings" }) }), ...jsonBody(z.object({})) },
      responses: { 200: json(AlertWebhookTest, "What the endpoint answered"), ...commonProblems, 404: problem("No such endpoint") },
    }),
    async (c) => {
      const settings = await loadAlertSettings(coreOf(c).db, tenantOf(c));
      const hook = settings.webhooks.find((w) => w.id === c.req.valid("param").id);
      if (!hook) throw new HttpProblem("not_found", "No webhook endpoint with that id.");
      const now = coreOf(c).clock();
      try {
        const response = await sendAlertWebhook(
          tenantOf(c),
          hook,
          newId("evt", now),
          { type: "webhook.test", timestamp: now.toISOString(), data: {} },
          new Date(),
          c.get("ledger").fetch,
        );
        await response.arrayBuffer().catch(() => undefined);
        return c.json(
          {
            delivered: response.ok,
            status: response.status,
            detail: response.ok ? "The endpoint accepted the test event." : `The endpoint answered ${response.status}.`,
          },
          200,
        );
      } catch (error) {
        // Refused addresses are never connected to, so this says nothing about what listens inside.
        const detail =
          error instanceof UrlNotAllowed
            ? `Not sent: ${error.message}`
            : (error as Error)?.name === "TimeoutError"
              ? "The endpoint did not answer within 10 s."
              : "The endpoint could not be reached.";
        return c.json({ delivered: false, status: null, detail }, 200);
      }
    },
  );
  return app;
}

/**
 * What the alert webhook endpoints receive: sent from the outbox, not in answer to a request, so
 * the document lists it under `webhooks` (registered on the root app, where its name stays as is).
 */
export const alertWebhook = {
  method: "post",
  path: "alert",
  operationId: "receiveAlert",
  tags: ["Alerts"],
  summary: "An alert, posted to every webhook endpoint of the alert settings",
  description:
    "Sent when a bank's balance crosses one of its alert levels going down (`balance.low`, or `balance.depleted` at 0), when it is back above every level (`balance.recovered`), and days before credits expire unused (`credits.expiring`, once per grant). A level fires once per crossing and again only after the balance has recovered above it. `webhook.test` is what testAlertWebhook sends. Signed in the Standard Webhooks format: verify `webhook-signature` with the endpoint's `whsec_` secret and any Standard Webhooks library before trusting the body, and drop a `webhook-id` you have already processed. Answer 2xx within 10 seconds; anything else is retried with exponential back-off (5 seconds to an hour apart, 12 attempts in all).",
  security: [],
  request: {
    headers: z.object({
      "webhook-id": z.string().meta({ description: "The message id, the same on every retry of one alert" }),
      "webhook-timestamp": z
        .string()
        .regex(/^[0-9]+$/)
        .meta({ description: "When this attempt was signed, in Unix seconds" }),
      "webhook-signature": z.string().meta({ description: "`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, made with the endpoint's secret" }),
    }),
    body: { required: true, content: { "application/json": { schema: z.union([AlertEvent, WebhookTestEvent]) } } },
  },
  responses: {
    200: { description: "Received (any 2xx status)" },
    default: { description: "Not received: retried later" },
  },
} satisfies Parameters<OpenAPIHono["openAPIRegistry"]["registerWebhook"]>[0];
