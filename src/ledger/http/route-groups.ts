/**
 * The ledger's routes, group by group, and how the app mounts them: each group's module is loaded
 * when one of its routes is first called, so a cold start (a Lambda function's first event) loads
 * only the groups it serves, and the OpenAPI library and the contract's schemas with them.
 *
 * Hono's router takes no routes after its first match, so every route is registered up front, from
 * the lists below, with a stand-in handler; the first call loads the group and runs the group's
 * own handlers for that route (the contract's validators, then the handler) in the same request
 * context. The route keeps the very path the group registers, so its label in metrics and logs
 * (`c.req.routePath`), its parameters and the idempotency fingerprint are what they were when the
 * groups were mounted eagerly. The lists are checked against the groups' own routers by a test
 * (tests/ledger/route-groups.test.ts); the OpenAPI document is built from the groups themselves
 * (document.ts).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, Hono, Next } from "hono";
import type { StripeApiAddress } from "../features/payments.js";
import type { LedgerEnv } from "./env.js";
import type { SignupLimits } from "./routes/signup-limits.js";

/** What the groups are made with: the app's settings that change their answers. */
export interface RouteGroupOptions {
  publicUrl?: string | undefined;
  stripeApi?: StripeApiAddress | undefined;
  onQueued?: (() => void) | undefined;
  /** Self-service sign-up (LEDGER_SIGNUP): off, its route answers that it is off, and it is left out of the document. */
  signup: boolean;
  signupLimits?: Partial<SignupLimits> | undefined;
  /** The client's address, as the app's rate limits read it. */
  addressOf: (c: Context) => string;
  metricsToken?: string | undefined;
}

type Method = "GET" | "POST" | "PUT";
type Router = OpenAPIHono<LedgerEnv>;

export interface RouteGroup {
  name: string;
  /** The group's routes as its router registers them (method, Hono path), in its order. */
  routes: readonly (readonly [Method, string])[];
  load: (options: RouteGroupOptions) => Promise<Router>;
}

/** In the order they are mounted: the order of the OpenAPI document's paths. */
export const ROUTE_GROUPS: readonly RouteGroup[] = [
  { name: "health", routes: [["GET", "/healthz"]], load: async () => (await import("./routes/health.js")).healthRoutes() },
  { name: "metrics", routes: [["GET", "/metrics"]], load: async (o) => (await import("./routes/metrics.js")).metricsRoutes(o.metricsToken) },
  {
    name: "signup",
    routes: [["POST", "/v1/signup"]],
    load: async (o) => (await import("./routes/signup.js")).signupRoutes({ enabled: o.signup, addressOf: o.addressOf, limits: o.signupLimits }),
  },
  {
    name: "wallets",
    routes: [
      ["GET", "/v1/wallets/:owner"],
      ["POST", "/v1/wallets/:owner/grants"],
      ["POST", "/v1/wallets/:owner/debits"],
      ["POST", "/v1/wallets/:owner/quote"],
      ["POST", "/v1/wallets/:owner/plan-quote"],
      ["GET", "/v1/wallets"],
      ["PUT", "/v1/wallets/:owner/plan"],
      ["POST", "/v1/entries/:entryId/reversal"],
      ["GET", "/v1/wallets/:owner/entries"],
      ["PUT", "/v1/wallets/:owner/profile"],
      ["PUT", "/v1/wallets/:owner/alert-levels"],
    ],
    load: async () => (await import("./routes/wallets.js")).walletRoutes(),
  },
  {
    name: "tickets",
    routes: [
      ["GET", "/v1/tickets/:ticketId/entries"],
      ["GET", "/v1/tickets/:ticketId/payer"],
      ["PUT", "/v1/tickets/:ticketId/payer"],
    ],
    load: async () => (await import("./routes/tickets.js")).ticketRoutes(),
  },
  { name: "sidebar", routes: [["GET", "/v1/tickets/:ticketId/sidebar"]], load: async () => (await import("./routes/sidebar.js")).sidebarRoutes() },
  {
    name: "config",
    routes: [
      ["GET", "/v1/config"],
      ["PUT", "/v1/config"],
    ],
    load: async () => (await import("./routes/config.js")).configRoutes(),
  },
  {
    name: "operations",
    routes: [
      ["POST", "/v1/cron/allocate"],
      ["POST", "/v1/outbox/drain"],
      ["GET", "/v1/outbox"],
    ],
    load: async () => (await import("./routes/operations.js")).operationRoutes(),
  },
  {
    name: "deskpro",
    routes: [
      ["POST", "/v1/wallets/:owner/profile/refresh"],
      ["GET", "/v1/integrations/deskpro"],
      ["PUT", "/v1/integrations/deskpro"],
      ["GET", "/v1/integrations/deskpro/lookups"],
      ["POST", "/v1/integrations/deskpro/webhook-secret"],
    ],
    load: async () => (await import("./routes/deskpro.js")).deskproRoutes(),
  },
  {
    name: "deskpro-billing",
    routes: [
      ["GET", "/v1/integrations/deskpro/billing"],
      ["PUT", "/v1/integrations/deskpro/billing"],
      ["POST", "/v1/tickets/:ticketId/deskpro-billing/read"],
    ],
    load: async () => (await import("./routes/deskpro-billing.js")).deskproBillingRoutes(),
  },
  {
    name: "deskpro-webhooks",
    routes: [["POST", "/hooks/deskpro/:tenantId/:event"]],
    load: async (o) => (await import("./routes/deskpro-webhooks.js")).deskproWebhookRoutes({ onQueued: o.onQueued }),
  },
  {
    name: "portal-tiers",
    routes: [
      ["GET", "/v1/portal/settings"],
      ["PUT", "/v1/portal/settings"],
      ["GET", "/v1/portal/tier-labels"],
      ["GET", "/v1/portal/setup"],
      ["POST", "/v1/portal/tier-field"],
      ["GET", "/v1/portal/tickets/:ticketId"],
    ],
    load: async (o) => (await import("./routes/portal-tiers.js")).portalTierRoutes({ publicUrl: o.publicUrl }),
  },
  {
    name: "payments",
    routes: [
      ["GET", "/v1/integrations/stripe"],
      ["PUT", "/v1/integrations/stripe"],
      ["POST", "/v1/checkout-sessions"],
      ["POST", "/v1/wallets/:owner/customer-links"],
      ["GET", "/v1/wallets/:owner/purchases"],
      ["POST", "/hooks/stripe/:tenantId"],
      ["GET", "/pay/:token"],
      ["POST", "/pay/:token/checkout"],
    ],
    load: async (o) => (await import("./routes/payments.js")).paymentRoutes(o.publicUrl, o.stripeApi),
  },
  {
    name: "overage",
    routes: [
      ["GET", "/v1/portal/overage-settings"],
      ["PUT", "/v1/portal/overage-settings"],
      ["GET", "/v1/portal/tickets/:ticketId/overage"],
      ["GET", "/overage/:token"],
      ["POST", "/overage/:token"],
    ],
    load: async (o) => (await import("./routes/overage.js")).overageRoutes(o.publicUrl),
  },
  {
    name: "invoices",
    routes: [
      ["POST", "/v1/invoices"],
      ["GET", "/v1/wallets/:owner/invoices"],
    ],
    load: async (o) => (await import("./routes/invoices.js")).invoiceRoutes(o.publicUrl, o.stripeApi),
  },
  {
    name: "recharge",
    routes: [
      ["GET", "/v1/wallets/:owner/auto-recharge"],
      ["GET", "/v1/wallets/:owner/auto-recharge/consents"],
      ["POST", "/pay/:token/auto-recharge/card"],
      ["POST", "/pay/:token/auto-recharge/review"],
      ["POST", "/pay/:token/auto-recharge"],
      ["POST", "/pay/:token/auto-recharge/stop"],
    ],
    load: async (o) => (await import("./routes/recharge.js")).rechargeRoutes(o.publicUrl, o.stripeApi),
  },
  {
    name: "alerts",
    routes: [
      ["GET", "/v1/alerts/settings"],
      ["PUT", "/v1/alerts/settings"],
      ["POST", "/v1/alerts/webhooks/:id/test"],
    ],
    load: async () => (await import("./routes/alerts.js")).alertRoutes(),
  },
  { name: "finance", routes: [["GET", "/v1/reports/finance"]], load: async () => (await import("./routes/finance.js")).financeRoutes() },
];

type RouteHandler = Router["routes"][number]["handler"];

/**
 * Registers every group's routes on `app`, each group loaded on the first call of one of its
 * routes (once per app; a failed load is tried again by the next call).
 */
export function mountRouteGroups(app: Hono<LedgerEnv>, options: RouteGroupOptions, groups: readonly RouteGroup[] = ROUTE_GROUPS): void {
  for (const group of groups) {
    let loading: Promise<Router> | undefined;
    const router = () =>
      (loading ??= group.load(options).catch((error: unknown) => {
        loading = undefined;
        throw error;
      }));
    for (const [method, path] of group.routes) {
      let handlers: RouteHandler[] | undefined;
      app.on(method, path, async (c, next) => {
        handlers ??= (await router()).routes.filter((route) => route.method === method && route.path === path).map((route) => route.handler);
        return runInContext(handlers, c, next);
      });
    }
  }
}

/**
 * Runs one route's handlers (the validators, then the handler) as Hono's compose does, but in
 * this request's context without moving `c.req.routeIndex` past the stand-in, which is
 * registered with the same path: parameters and `routePath` read the same. An error goes up to
 * the app's error handler, as it did when the handlers were mounted on the app.
 */
async function runInContext(handlers: readonly RouteHandler[], c: Context<LedgerEnv>, next: Next): Promise<void> {
  const dispatch = async (i: number): Promise<void> => {
    const handler = handlers[i];
    if (!handler) return next();
    const response: unknown = await handler(c, () => dispatch(i + 1));
    if (response instanceof Response && !c.finalized) c.res = response;
  };
  await dispatch(0);
}
