/**
 * The OpenAPI document, made from every route group (route-groups.ts) mounted on a router of its
 * own: the app loads this module on the first request for `/v1/openapi.json`, so neither the
 * OpenAPI library's document builder nor all the contract's schemas are loaded by a cold start.
 * `npm run ledger -- openapi` prints the same document; no database is opened for it.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import * as contract from "../../contract/index.js";
import { newRouter, type LedgerEnv } from "./env.js";
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

/** Operations are grouped by these, in this order; a tag not listed here fails the document's lint. */
const TAGS = [
  { name: "Wallets", description: "Banks of credits (one per Deskpro organisation or person): balance, plan, grants and the facts plans are chosen by." },
  {
    name: "Entries",
    description:
      "The append-only journal: grants, debits, reversals and statements. Every write needs an `Idempotency-Key`; a retry with the same key answers the first response again, with `Idempotent-Replayed: true`.",
  },
  { name: "Tickets", description: "What a ticket cost and which bank pays for it." },
  { name: "Configuration", description: "The tenant's tiers, plans, plan rules, credit packs, time rate and alert levels." },
  {
    name: "Portal tiers",
    description:
      "Paid response tiers chosen on the Deskpro portal: the settings, what the ledger did on each ticket, and the web hooks Deskpro's triggers call.",
  },
  { name: "Deskpro", description: "The tenant's helpdesk connection, which the ledger reads facts from and writes notes and priorities back through." },
  {
    name: "Sign-up",
    description: "Self-service: a helpdesk admin connects their Deskpro from the app's settings page, proven by a Deskpro API key of an admin.",
  },
  { name: "Payments", description: "Buying credits by card with Stripe Checkout, customer balance links, and the web hook Stripe calls." },
  { name: "Reports", description: "The finance report: credits sold, used, expired and outstanding per month and bank, as JSON or CSV." },
  { name: "Alerts", description: "Low-balance and expiring-credit alerts: message wording and signed webhook endpoints (see `webhooks`)." },
  { name: "Operations", description: "Health, and the scheduled work a serverless host runs itself: the hourly sweep and the outbox." },
];

/** The document's frame. `servers` is the configured public address, else `/`: the host the document was read from. */
function documentConfig(publicUrl?: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Support Credits ledger",
      version: "1.0.0",
      license: { name: "MIT", identifier: "MIT" },
      description: [
        "Banks of support credits for a Deskpro helpdesk: grants, debits, refunds, plans and statements.",
        "",
        "- **Authentication**: `Authorization: Bearer <tenant API key>` (`npm run ledger -- tenant create`). The web hooks and `/healthz` take none.",
        "- **Writes** need an `Idempotency-Key` header, the same on every retry of one action: a repeat answers the first response again with `Idempotent-Replayed: true`; the same key with another body is 409 `idempotency_key_reused`.",
        "- **Errors** are `application/problem+json` (RFC 9457) with a stable `code`; bad input changes nothing.",
        "- **Credits** are whole numbers; the journal is append-only (refunds, voids and expiry are new entries).",
      ].join("\n"),
    },
    servers: [{ url: publicUrl ? publicUrl.replace(/\/+$/, "") : "/", description: publicUrl ? "This ledger" : "The host this document was read from" }],
    tags: TAGS,
    security: [{ tenantKey: [] }],
  };
}

/** The OpenAPI document of an app with every route mounted; what the operator switched off (sign-up) is not in it. */
function openApiDocument(app: OpenAPIHono<LedgerEnv>, publicUrl?: string) {
  registerContractComponents(app.openAPIRegistry);
  return withoutUnused(nullableReferencesAsAnyOf(app.getOpenAPI31Document(documentConfig(publicUrl))));
}

const SCHEMA_REF = "#/components/schemas/";

/**
 * Leaves out the tags no operation has and the schemas nothing refers to: every contract schema
 * and tag is declared up front, and a route switched off (sign-up, LEDGER_SIGNUP=off) must not
 * leave its tag and schemas behind.
 */
function withoutUnused<T extends { tags?: { name: string }[]; paths?: object; webhooks?: object; components?: { schemas?: Record<string, unknown> } }>(
  document: T,
): T {
  const operations = [...Object.values(document.paths ?? {}), ...Object.values(document.webhooks ?? {})].flatMap((item: object) => Object.values(item)) as {
    tags?: string[];
  }[];
  const usedTags = new Set(operations.flatMap((operation) => operation.tags ?? []));
  const schemas = document.components?.schemas ?? {};
  const used = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string" && value.startsWith(SCHEMA_REF)) {
        const name = value.slice(SCHEMA_REF.length);
        if (!used.has(name)) {
          used.add(name);
          visit(schemas[name]);
        }
      } else visit(value);
    }
  };
  visit({ ...document, components: { ...document.components, schemas: {} } });
  return {
    ...document,
    tags: document.tags?.filter((tag) => usedTags.has(tag.name)),
    components: { ...document.components, schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))) },
  };
}

const idOf = (schema: z.ZodType): string | undefined => {
  const id = schema.meta()?.id;
  return typeof id === "string" ? id : undefined;
};

/**
 * Registers each schema the contract names (`.meta({ id })`) as a component, the named schemas it
 * contains before it. zod-to-openapi writes a component where it first meets the schema: met first
 * as a wallet's `Plan.nullable()`, the Plan component itself would become nullable (and a plan in
 * the configuration with it). A probe document per schema counts the named schemas inside it (a
 * schema holds more than any schema it contains), which orders them.
 */
function registerContractComponents(registry: OpenAPIHono["openAPIRegistry"]): void {
  const named = (Object.values(contract) as unknown[]).filter((value): value is z.ZodType => value instanceof z.ZodType && idOf(value) !== undefined);
  const size = new Map(
    named.map((schema) => {
      const probe = new OpenAPIHono();
      probe.openAPIRegistry.register(idOf(schema)!, schema.clone());
      const components = probe.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "probe", version: "0" } }).components?.schemas ?? {};
      return [schema, Object.keys(components).length];
    }),
  );
  // Registered as clones: a contract schema made before @hono/zod-openapi was loaded lacks `.openapi()`, which `register` calls.
  for (const schema of named.sort((a, b) => size.get(a)! - size.get(b)!)) registry.register(idOf(schema)!, schema.clone());
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * zod-to-openapi 9 writes a nullable reference as `allOf: [ref, {type: [..., "null"]}]`, which null
 * can't satisfy (it must match the reference as well); OpenAPI 3.1 says `anyOf: [ref, {type: "null"}]`.
 */
function nullableReferencesAsAnyOf<T>(node: T): T {
  if (Array.isArray(node)) return node.map(nullableReferencesAsAnyOf) as T;
  if (!isObject(node)) return node;
  const { allOf, ...rest } = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, nullableReferencesAsAnyOf(value)]));
  if (Array.isArray(allOf) && allOf.length === 2 && isObject(allOf[0]) && "$ref" in allOf[0] && isObject(allOf[1])) {
    const { type, ...overrides } = allOf[1];
    if (Array.isArray(type) && type.includes("null")) return { ...rest, ...overrides, anyOf: [allOf[0], { type: "null" }] } as T;
  }
  return (allOf === undefined ? rest : { ...rest, allOf }) as T;
}
