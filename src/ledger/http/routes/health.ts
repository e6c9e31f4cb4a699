/** `GET /healthz`, for load balancers. */
import { createRoute } from "@hono/zod-openapi";
import { Health } from "../../../contract/ledger.js";
import { newRouter } from "../env.js";
import { json, rateLimitedProblem } from "../openapi.js";

export function healthRoutes() {
  const app = newRouter();
  app.openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      operationId: "getHealth",
      tags: ["Operations"],
      summary: "Whether the service is up (for load balancers)",
      description:
        "Takes no key and touches no database: it answers as long as the process serves requests. Rate limited per client address like every endpoint without a key.",
      security: [],
      responses: { 200: json(Health, "The service is up"), 429: rateLimitedProblem },
    }),
    (c) => c.json({ ok: true as const }, 200),
  );
  return app;
}
