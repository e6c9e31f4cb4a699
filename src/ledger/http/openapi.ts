/**
 * Pieces every route file declares its OpenAPI contract with, and the document's frame: tags,
 * servers and security. The schemas themselves are the contract's; those it names with
 * `.meta({ id })` become `components.schemas` and are referenced, not repeated.
 */
import { OpenAPIHono, z } from "@hono/zod-openapi";
import * as contract from "../../contract/index.js";
import { EntryId, Owner, Problem, TicketId } from "../../contract/index.js";
import type { LedgerEnv } from "./env.js";

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
export const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: Problem } } });
/** What any endpoint may answer besides what it lists. */
export const unexpectedProblem = problem(
  "Anything else: 500 `internal_error` (quote its request id), 503 `service_unavailable` when the database is unreachable (nothing was written; retry after `Retry-After` seconds, with the same Idempotency-Key)",
);
/** The endpoints without an API key are rate limited per client address (and tenant, where the path names one). */
export const rateLimitedProblem = problem("Too many requests from this client; retry after `Retry-After` seconds");
export const commonProblems = {
  400: problem("Invalid request; `errors` lists the offending fields"),
  401: problem("Missing or wrong API key"),
  default: unexpectedProblem,
};
export const jsonBody = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { "application/json": { schema } } } });

export const writeProblems = {
  ...commonProblems,
  409: problem("Conflict: insufficient credits, idempotency key reused, already reversed…"),
  413: problem("Body too large"),
  415: problem("Body is not JSON"),
};
export const idempotencyHeader = z.object({
  "idempotency-key": z.string().meta({
    description: "Unique per action and the same on every retry of it (1–255 visible ASCII characters). A repeat answers the first response again.",
    example: "act_7f3a…",
  }),
});

export const ownerParams = z.object({
  owner: Owner.meta({ description: "The bank: `org:<Deskpro organisation id>` or `person:<Deskpro person id>`", example: "org:42" }),
});
export const ticketParams = z.object({ ticketId: TicketId.meta({ description: "A Deskpro ticket id", example: "1234" }) });
export const entryParams = z.object({ entryId: EntryId.meta({ description: "An entry id from a statement or a write's answer" }) });

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
export function openApiDocument(app: OpenAPIHono<LedgerEnv>, publicUrl?: string) {
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
