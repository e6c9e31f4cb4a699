/** The tenant's configuration: tiers, plans, credit packs, time rate and alert levels. */
import { createRoute, z } from "@hono/zod-openapi";
import { ConfigResponse, LedgerConfig } from "../../../contract/config.js";
import * as wallets from "../../core/wallets.js";
import { coreOf, newRouter, tenantOf } from "../env.js";
import { invalidRequest } from "../problems.js";
import { commonProblems, json, jsonBody, problem } from "../openapi.js";

export function configRoutes() {
  const app = newRouter();
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/config",
      operationId: "getConfig",
      tags: ["Configuration"],
      summary: "Tiers, plans, credit packs, time rate and alert levels",
      description: "Answers an `ETag` with the version; send it back as `If-Match` when saving.",
      responses: { 200: json(ConfigResponse, "The configuration and its version"), ...commonProblems },
    }),
    async (c) => {
      const { config, version, updatedAt } = await wallets.loadConfig(coreOf(c).db, tenantOf(c));
      c.header("etag", `"${version}"`);
      return c.json({ config, version, updatedAt: updatedAt?.toISOString() ?? null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/config",
      operationId: "replaceConfig",
      tags: ["Configuration"],
      summary: "Replace the configuration (fields left out take their defaults)",
      description:
        "Send `If-Match` with the version you edited to refuse the write when someone else saved in between (412 `version_conflict`). Cross-field mistakes (duplicate keys, a plan rule naming no plan) are 400 with `errors`. Plan changes take effect from each bank's next period.",
      request: {
        headers: z.object({ "if-match": z.string().optional().meta({ description: 'The version you edited (the `ETag` of getConfig), e.g. `"3"`' }) }),
        ...jsonBody(LedgerConfig),
      },
      responses: { 200: json(ConfigResponse, "The saved configuration"), ...commonProblems, 412: problem("Changed since the If-Match version") },
    }),
    async (c) => {
      const ifMatch = c.req.valid("header")["if-match"];
      let expected: number | null = null;
      if (ifMatch !== undefined) {
        const match = /^"?(\d{1,9})"?$/.exec(ifMatch.trim());
        if (!match) throw invalidRequest('If-Match must be a version such as "3".', [{ path: "header.if-match", message: "must be a version" }]);
        expected = Number(match[1]);
      }
      const saved = await wallets.putConfig(coreOf(c), tenantOf(c), c.req.valid("json"), expected);
      c.header("etag", `"${saved.version}"`);
      return c.json(saved, 200);
    },
  );
  return app;
}
