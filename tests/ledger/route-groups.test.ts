/**
 * Route groups loaded on their first call (src/ledger/http/route-groups.ts): the routes the app
 * registers up front are each group's own, and a group's module is loaded only when one of its
 * routes is called, then runs in the request's own context (validation, parameters, the route
 * label metrics and logs use).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { LedgerEnv } from "../../src/ledger/http/env.js";
import { newRouter } from "../../src/ledger/http/env.js";
import { HttpProblem, knownProblem, problemResponse } from "../../src/ledger/http/problems.js";
import { mountRouteGroups, ROUTE_GROUPS, type RouteGroup, type RouteGroupOptions } from "../../src/ledger/http/route-groups.js";

const OPTIONS: RouteGroupOptions = { signup: true, addressOf: () => "198.51.100.7", metricsToken: "m".repeat(32) };

describe("the route groups", () => {
  it.each([true, false])("list exactly the routes each group's router registers, in its order (sign-up %s)", async (signup) => {
    for (const group of ROUTE_GROUPS) {
      const router = await group.load({ ...OPTIONS, signup });
      const registered = [...new Set(router.routes.map((route) => `${route.method} ${route.path}`))];
      expect(
        group.routes.map(([method, path]) => `${method} ${path}`),
        group.name,
      ).toEqual(registered);
    }
  });

  it("name every route once", () => {
    const all = ROUTE_GROUPS.flatMap((group) => group.routes.map(([method, path]) => `${method} ${path}`));
    expect(new Set(all).size).toBe(all.length);
  });
});

describe("mounting groups lazily", () => {
  /** Two groups whose loads are counted; the first validates its path parameter and body with zod, as the contract's routes do. */
  function app() {
    const loads = { items: 0, other: 0 };
    const labels: string[] = [];
    const items: RouteGroup = {
      name: "items",
      routes: [["POST", "/v1/items/:itemId"]],
      load: async () => {
        loads.items++;
        const router = newRouter();
        router.openapi(
          createRoute({
            method: "post",
            path: "/v1/items/{itemId}",
            request: {
              params: z.object({ itemId: z.string().regex(/^\d+$/) }),
              body: { required: true, content: { "application/json": { schema: z.object({ amount: z.number().int() }) } } },
            },
            responses: { 200: { description: "ok" } },
          }),
          (c) => c.json({ itemId: c.req.valid("param").itemId, param: c.req.param("itemId"), amount: c.req.valid("json").amount, route: c.req.routePath }, 200),
        );
        return router;
      },
    };
    const other: RouteGroup = {
      name: "other",
      routes: [["GET", "/v1/other"]],
      load: async () => {
        loads.other++;
        const router = newRouter();
        router.get("/v1/other", () => {
          throw new HttpProblem("not_found", "Nothing here.");
        });
        return router;
      },
    };
    const hono = new Hono<LedgerEnv>();
    hono.use("*", async (c, next) => {
      await next();
      labels.push(c.req.routePath);
    });
    hono.onError((error) => knownProblem(error) ?? problemResponse("internal_error", "unexpected"));
    mountRouteGroups(hono, OPTIONS, [items, other]);
    return { hono, loads, labels };
  }

  const post = (body: unknown, itemId = "42") =>
    new Request(`http://ledger.test/v1/items/${itemId}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("loads a group on the first call of one of its routes, once, and no other group", async () => {
    const { hono, loads } = app();
    expect(loads).toEqual({ items: 0, other: 0 });
    const answers = await Promise.all([hono.fetch(post({ amount: 5 })), hono.fetch(post({ amount: 6 }))]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(loads).toEqual({ items: 1, other: 0 });
    await hono.fetch(post({ amount: 7 }));
    expect(loads).toEqual({ items: 1, other: 0 });
    expect((await hono.fetch(new Request("http://ledger.test/v1/other"))).status).toBe(404);
    expect(loads).toEqual({ items: 1, other: 1 });
  });

  it("runs the group's validators and handler in the request's context: parameters, body, route label", async () => {
    const { hono, labels } = app();
    const answer = await hono.fetch(post({ amount: 5 }));
    expect(await answer.json()).toEqual({ itemId: "42", param: "42", amount: 5, route: "/v1/items/:itemId" });
    expect(labels).toEqual(["/v1/items/:itemId"]);
  });

  it("answers invalid parameters and bodies with the router's problem before the handler runs", async () => {
    const { hono, labels } = app();
    const badBody = await hono.fetch(post({ amount: 1.5 }));
    expect(badBody.status).toBe(400);
    expect(badBody.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(((await badBody.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(["body.amount"]);
    const badParam = await hono.fetch(post({ amount: 1 }, "abc"));
    expect(badParam.status).toBe(400);
    expect(((await badParam.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(["param.itemId"]);
    expect(labels).toEqual(["/v1/items/:itemId", "/v1/items/:itemId"]);
  });

  it("tries a group whose load failed again on the next call", async () => {
    let attempts = 0;
    const flaky: RouteGroup = {
      name: "flaky",
      routes: [["GET", "/v1/flaky"]],
      load: async () => {
        if (++attempts === 1) throw new Error("chunk unavailable");
        const router = newRouter();
        router.get("/v1/flaky", (c) => c.json({ ok: true }));
        return router;
      },
    };
    const hono = new Hono<LedgerEnv>();
    hono.onError(() => problemResponse("internal_error", "unexpected"));
    mountRouteGroups(hono, OPTIONS, [flaky]);
    expect((await hono.fetch(new Request("http://ledger.test/v1/flaky"))).status).toBe(500);
    expect((await hono.fetch(new Request("http://ledger.test/v1/flaky"))).status).toBe(200);
    expect(attempts).toBe(2);
  });
});
