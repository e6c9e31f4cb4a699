/**
 * `GET /metrics`: the ledger's figures in Prometheus's text format, for the operator's monitoring,
 * behind the operator's own token (LEDGER_METRICS_TOKEN), never a tenant's key. Without a token
 * configured the endpoint doesn't exist (404). It is left out of the OpenAPI document, which is
 * the tenants' API.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { newRouter } from "../env.js";
import { HttpProblem } from "../problems.js";

const digest = (text: string) => createHash("sha256").update(text).digest();

export function metricsRoutes(token: string | undefined) {
  const app = newRouter();
  app.get("/metrics", async (c) => {
    if (!token) throw new HttpProblem("not_found", "No such endpoint.");
    const presented = /^Bearer\s+(\S{1,200})$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
    // Hashed to one length, then compared in constant time: timing says nothing about the token.
    if (!timingSafeEqual(digest(presented), digest(token))) {
      throw new HttpProblem("unauthorized", "Send the operator's metrics token as 'Authorization: Bearer <LEDGER_METRICS_TOKEN>'.");
    }
    const { contentType, text } = await c.get("ledger").metrics.render();
    return c.body(text, 200, { "content-type": contentType, "cache-control": "no-store" });
  });
  return app;
}
