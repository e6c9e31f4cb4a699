/** Alert settings (wording, webhook endpoints) and a test send; deliveries are read at GET /v1/outbox?kind=alert. */
import { createRoute, z } from "@hono/zod-openapi";
import { AlertSettings, AlertSettingsInput, AlertWebhookTest, Slug } from "../../../contract/index.js";
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
      summary: "Alert message wording and webhook endpoints (secrets never returned)",
      responses: { 200: json(AlertSettings, "The settings"), ...commonProblems },
    }),
    async (c) => c.json(alertSettingsView(await loadAlertSettings(coreOf(c).db, tenantOf(c))), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/alerts/settings",
      summary: "Replace the alert settings (a webhook's secret left out is kept while its URL stays the same)",
      request: jsonBody(AlertSettingsInput),
      responses: { 200: json(AlertSettings, "The saved settings"), ...commonProblems, 503: problem("The server has no key to seal secrets with") },
    }),
    async (c) => c.json(await saveAlertSettings(coreOf(c).db, tenantOf(c), c.req.valid("json"), coreOf(c).clock(), c.get("ledger").outbound), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/alerts/webhooks/{id}/test",
      summary: "Send a signed test event to one webhook endpoint now and say what it answered",
      request: { params: z.object({ id: Slug }), ...jsonBody(z.object({})) },
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
