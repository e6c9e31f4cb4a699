/**
 * The OpenAPI document, made from every route group (route-groups.ts) mounted on a router of its
 * own: the app loads this module on the first request for `/v1/openapi.json`, so neither the
 * OpenAPI library's document builder nor all the contract's schemas are loaded by a cold start.
 * `npm run ledger -- openapi` prints the same document; no database is opened for it.
 */
import { newRouter } from "./env.js";
import { openApiDocument } from "./openapi.js";
import { ROUTE_GROUPS } from "./route-groups.js";
import { alertWebhook } from "./routes/alerts.js";

/** The document as the ledger serves it; with `signup` false (LEDGER_SIGNUP=off) it leaves sign-up out, as the served one does. */
export async function ledgerOpenApiDocument(publicUrl?: string, signup = true) {
  const app = newRouter();
  const options = { publicUrl, signup, addressOf: () => "" };
  for (const group of ROUTE_GROUPS) app.route("/", await group.load(options));
  app.openAPIRegistry.registerWebhook(alertWebhook);
  app.openAPIRegistry.registerComponent("securitySchemes", "tenantKey", {
    type: "http",
    scheme: "bearer",
    description: `A tenant API key (${signup ? "from sign-up, or " : ""}\`npm run ledger -- tenant create\`), sent as \`Authorization: Bearer <key>\` (the app may send a pasted key as \`X-Credits-Key\` instead)`,
  });
  return openApiDocument(app, publicUrl);
}
