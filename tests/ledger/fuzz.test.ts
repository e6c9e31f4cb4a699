/**
 * Fuzzing every operation of the ledger's own OpenAPI document (and the endpoints it doesn't list:
 * webhooks, the customer page): bodies, path values, query strings and headers are generated from
 * each operation's schemas, mostly nearly right and sometimes hostile (NUL characters, lone
 * surrogates, bytes that aren't UTF-8, huge and fractional numbers, wrong types, unknown fields).
 * The ledger answers what it can't accept with a 4xx problem+json, never a 5xx, and a refused
 * request changes nothing in the tenant's data.
 */
import fc from "fast-check";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeLedger } from "../../src/ledger/compose.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { createLedgerApp } from "../../src/ledger/http/app.js";
import { defaultClientFactory } from "../../src/ledger/integrations/deskpro/connection.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { backends, openTestDatabase } from "../helpers/ledger.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

// Stripe answers as Stripe would, so a checkout the fuzzer manages to set up is a 201, not an outage.
const stripe = setupServer(
  http.post("https://api.stripe.com/v1/checkout/sessions", () =>
    HttpResponse.json({
      id: `cs_test_${randomUUID().slice(0, 8)}`,
      object: "checkout.session",
      url: "https://checkout.stripe.com/c/pay/x",
      payment_status: "unpaid",
    }),
  ),
);
beforeAll(() => stripe.listen({ onUnhandledRequest: "bypass" }));
afterAll(() => stripe.close());

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
};
interface Parameter {
  in: "path" | "query" | "header";
  name: string;
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

/** Text a database or a parser might choke on. */
const HOSTILE_TEXT = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "lone \udc00 low",
  "💥\ud83d",
  "x".repeat(5_000),
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  '=HYPERLINK("x")',
  "\u202eevil",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
];
const HOSTILE_NUMBERS = [0, -1, 1.5, 1e9 + 1, 2 ** 31, 2 ** 53 + 1, 1e300, -1e300, Number.MAX_SAFE_INTEGER];
const hostileValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>(...HOSTILE_TEXT) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(...HOSTILE_NUMBERS, null, true, [], {}, [null], { "": "\u0000" }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** Values a JSON schema accepts (as far as the schema alone says): required fields always, optional ones sometimes. */
function valid(schema: Schema, doc: OpenApiDocument, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) return valid(doc.components!.schemas![schema.$ref.split("/").pop()!]!, doc, depth);
  const choices = schema.oneOf ?? schema.anyOf;
  if (choices) return fc.oneof(...choices.map((s) => valid(s, doc, depth)));
  if (schema.allOf) return valid(schema.allOf[0]!, doc, depth);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? "object"];
  return fc.oneof(...types.map((type) => validAs(type, schema, doc, depth)));
}

function validAs(type: string, schema: Schema, doc: OpenApiDocument, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
    case "number": {
      const min = schema.minimum ?? -1_000_000;
      const max = schema.maximum ?? 1_000_000;
      return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max));
    }
    case "string": {
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      if (schema.format === "uri")
        return fc.constantFrom("https://support.example.com", "https://hooks.example.com/x", "https://198.51.100.7/", "http://localhost/");
      if (schema.format === "date-time")
        return fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString());
      return fc.string({ minLength: Math.max(1, schema.minLength ?? 0), maxLength: Math.max(1, Math.min(schema.maxLength ?? 30, 40)) });
    }
    case "array":
      return depth > 4 ? fc.constant([]) : fc.array(valid(schema.items ?? {}, doc, depth + 1), { maxLength: 2 });
    default: {
      if (depth > 4 || !schema.properties) return fc.constant({});
      const fields = Object.fromEntries(Object.entries(schema.properties).map(([name, s]) => [name, valid(s, doc, depth + 1)]));
      return fc.record(fields, { requiredKeys: schema.required ?? [] });
    }
  }
}

/** Every place in a JSON value, as a path of keys and indexes (the root is []), with what is there. */
function placesIn(value: unknown, at: Array<string | number> = []): Array<{ at: Array<string | number>; value: unknown }> {
  const inner = Array.isArray(value)
    ? value.flatMap((v, i) => placesIn(v, [...at, i]))
    : value !== null && typeof value === "object"
      ? Object.entries(value).flatMap(([k, v]) => placesIn(v, [...at, k]))
      : [];
  return [{ at, value }, ...inner];
}

/** The value with one thing wrong at `place`: replaced by something hostile, an unknown field added, or the field dropped. */
function withOneFault(value: unknown, place: Array<string | number>, fault: "replace" | "extra" | "drop", hostile: unknown): unknown {
  if (place.length === 0) {
    if (fault === "extra" && value !== null && typeof value === "object" && !Array.isArray(value)) return { ...value, unexpected: hostile };
    return fault === "drop" ? undefined : hostile;
  }
  const [head, ...rest] = place;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  if (rest.length === 0 && fault === "drop") {
    if (Array.isArray(copy)) copy.splice(head as number, 1);
    else delete copy[head!];
    return copy;
  }
  copy[head!] = withOneFault(copy[head!], rest, fault, hostile);
  return copy;
}

/** Bodies for a schema: valid, or valid but for one fault somewhere (the likeliest way past the outer checks to a deep field). */
function bodiesFor(schema: Schema, doc: OpenApiDocument): fc.Arbitrary<unknown> {
  const faulty = fc
    .tuple(
      valid(schema, doc),
      fc.nat(),
      fc.boolean(),
      fc.constantFrom<"replace" | "extra" | "drop">("replace", "replace", "replace", "extra", "drop"),
      hostileValue,
    )
    .map(([value, n, textFirst, fault, hostile]) => {
      // Half the time the fault goes into a text field, where text the database can't store hides best.
      const places = placesIn(value);
      const texts = places.filter((p) => typeof p.value === "string");
      const pool = textFirst && texts.length > 0 ? texts : places;
      return withOneFault(value, pool[n % pool.length]!.at, fault, hostile);
    });
  return fc.oneof({ weight: 1, arbitrary: valid(schema, doc) }, { weight: 4, arbitrary: faulty });
}

/** A path or query value: from its schema, or raw percent-encoding that decodes to nothing good. */
function encodedValues(schema: Schema | undefined, doc: OpenApiDocument): fc.Arbitrary<string> {
  const fromSchema = (schema ? fc.oneof(valid(schema, doc), hostileValue) : fc.string()).map((v) => {
    try {
      return encodeURIComponent(typeof v === "string" ? v : JSON.stringify(v));
    } catch {
      return "%ED%A0%80"; // a lone surrogate, as UTF-8 bytes no decoder accepts
    }
  });
  return fc.oneof(
    { weight: 4, arbitrary: fromSchema },
    { weight: 1, arbitrary: fc.constantFrom("%00", "a%00b", "%ED%A0%80", "%FF", "%C3%28", "..", "%2F..%2F", "org%3A1", "9".repeat(40), "%20", "-1", "1e999") },
  );
}

/** Header values as a client could send them (ByteString: no NUL, CR or LF). */
const headerText = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
  fc.constantFrom("", " ", '"3"', 'W/"1"', "*", "k".repeat(256)),
);

/** One request: the body as JSON of a generated value, or a raw text or byte body. */
type Body = { json: unknown } | { raw: string | Uint8Array } | null;
const rawBodies = fc.constantFrom<Body>(
  { raw: "" },
  { raw: "{" },
  { raw: "[]" },
  { raw: "null" },
  { raw: '{"a":1,"a":2}' },
  { raw: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]) }, // {"a":"\xc3("} — not UTF-8
  { raw: `{"reason":"${"x".repeat(70 * 1024)}"}` },
);

describe.each(backends())("fuzzing every operation on %s", (backend) => {
  let db: Database;
  let app: ReturnType<typeof createLedgerApp>;
  let tenant: { tenantId: string; apiKey: string };
  let doc: OpenApiDocument;
  let entryId = "";

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    // Every outgoing call is refused before connecting (names resolve to loopback): nothing leaves the test.
    const ledger = composeLedger({
      db,
      outbound: { allowPrivateNetwork: false, resolve: async () => [{ address: "127.0.0.1", family: 4 }] },
      deskproClients: defaultClientFactory({ retries: 0, timeoutMs: 1_000 }),
    });
    // Wrong keys are generated on purpose: their limit (tested elsewhere) would hide everything after it.
    app = createLedgerApp({ db, ledger, log: () => undefined, failedAuthRateLimit: { burst: 1e6, perSecond: 1e6 } });
    tenant = await createTenant(db, { name: `fuzz-${randomUUID()}` });
    const call = (method: string, path: string, body: unknown) =>
      app.fetch(
        new Request(`http://ledger.test${path}`, {
          method,
          headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json", "idempotency-key": randomUUID() },
          body: JSON.stringify(body),
        }),
      );
    await call("PUT", "/v1/config", {
      plans: [{ key: "gold", name: "Gold", creditsPerPeriod: 100 }],
      packs: [{ id: "pack", label: "Pack", credits: 10, price: 500 }],
    });
    await call("POST", "/v1/wallets/org:1/grants", { amount: 500, reason: "seed" });
    const debit = (await (await call("POST", "/v1/wallets/org:1/debits", { kind: "time", minutes: 20, ticketId: "12", reason: "seed" })).json()) as {
      entry: { id: string };
    };
    entryId = debit.entry.id;
    doc = (await (await app.fetch(new Request("http://ledger.test/v1/openapi.json"))).json()) as OpenApiDocument;
  });
  afterAll(() => db.close());

  /** Everything the tenant has, as one fingerprint: any write anywhere changes it. */
  const fingerprint = async () => {
    const tables = [
      "entries",
      "grants",
      "wallets",
      "idempotency_keys",
      "tenant_configs",
      "outbox",
      "deskpro_connections",
      "portal_settings",
      "portal_tickets",
      "alert_settings",
      "stripe_connections",
      "stripe_purchases",
    ];
    // A refusal recorded against its Idempotency-Key is the key's answer, not a write: it is left
    // out (README, "Reliability"), every other key is counted.
    const rowsOf = (t: string) => (t === "idempotency_keys" ? `${t} x WHERE tenant_id = $1 AND refused_code IS NULL` : `${t} x WHERE tenant_id = $1`);
    const [row] = await db.query<{ state: string }>(
      `SELECT concat_ws(',', ${tables.map((t) => `(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM ${rowsOf(t)})`).join(", ")}) AS state`,
      [tenant.tenantId],
    );
    return row!.state;
  };

  /** Sends one generated request and checks the answer; says whether it was refused. */
  const exercise = async (method: string, path: string, query: string, headers: Record<string, string>, body: Body) => {
    const before = await fingerprint();
    const payload = body === null ? undefined : "json" in body ? JSON.stringify(body.json) : body.raw;
    const response = await app.fetch(new Request(`http://ledger.test${path}${query}`, { method, headers, body: payload as BodyInit | undefined }));
    const text = await response.text();
    const what = `${method} ${path}${query} ${typeof payload === "string" ? payload.slice(0, 300) : "(bytes)"} → ${response.status} ${text.slice(0, 300)}`;
    // Anonymous sign-up answers a helpdesk it may not call (here every name resolves to loopback)
    // as it answers one that doesn't answer: 502, so that it maps no internal DNS (README, Security).
    const refusedTarget = path === "/v1/signup" && response.status === 502 && text.includes('"code":"deskpro_unavailable"');
    if (!refusedTarget) expect(response.status, what).toBeLessThan(500);
    if (response.status >= 400) {
      if (path.startsWith("/v1/") || path.startsWith("/hooks/")) {
        expect(response.headers.get("content-type"), what).toContain("application/problem+json");
        expect(typeof (JSON.parse(text) as { code?: unknown }).code, what).toBe("string");
      }
      expect(await fingerprint(), `${what} wrote something`).toBe(before);
    }
  };

  /** The headers of a request: the tenant's key mostly, sometimes a wrong one or none, and fuzzed extras. */
  const headersFor = (operation: Operation, hasBody: boolean) =>
    fc
      .record({
        // Mostly right, so that most requests get past authentication and media type to the fields.
        auth: fc.noBias(fc.integer({ min: 0, max: 19 })).map((i) => (i < 18 ? "right" : i === 18 ? "wrong" : "none")),
        contentType: fc
          .noBias(fc.integer({ min: 0, max: 19 }))
          .map((i) => (i < 16 ? "application/json" : ["application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", ""][i - 16]!)),
        idempotencyKey: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: headerText }),
        ifMatch: fc.option(headerText, { freq: 3 }),
        requestId: fc.option(headerText, { freq: 4 }),
        accept: fc.constantFrom(null, "text/csv", "*/*"),
      })
      .map((h) => {
        const headers: Record<string, string> = {};
        if (h.auth === "right") headers.authorization = `Bearer ${tenant.apiKey}`;
        if (h.auth === "wrong") headers.authorization = `Bearer sck_${randomUUID()}`;
        if (hasBody && h.contentType) headers["content-type"] = h.contentType;
        const wantsKey = (operation.parameters ?? []).some((p) => p.in === "header" && p.name === "idempotency-key");
        if (wantsKey || h.idempotencyKey !== null) headers["idempotency-key"] = h.idempotencyKey ?? randomUUID();
        if (h.ifMatch !== null) headers["if-match"] = h.ifMatch;
        if (h.requestId !== null) headers["x-request-id"] = h.requestId;
        if (h.accept) headers.accept = h.accept;
        return headers;
      });

  it("answers every documented operation's generated requests with 4xx problem+json (never 5xx), and a refused one writes nothing", async () => {
    const operations = Object.entries(doc.paths).flatMap(([template, methods]) => Object.entries(methods).map(([method, op]) => ({ template, method, op })));
    expect(operations.length).toBeGreaterThanOrEqual(30);
    const known: Record<string, string[]> = { owner: ["org:1", "person:2"], entryId: [entryId], ticketId: ["12"], id: ["ops"] };
    const exercised = new Set<string>();
    for (const { template, method, op } of operations) {
      const params = op.parameters ?? [];
      const pathValues = fc.record(
        Object.fromEntries(
          params.filter((p) => p.in === "path").map((p) => [p.name, fc.oneof(fc.constantFrom(...(known[p.name] ?? ["1"])), encodedValues(p.schema, doc))]),
        ),
      );
      const queryValues = fc.array(
        fc.oneof(
          ...params.filter((p) => p.in === "query").map((p) => encodedValues(p.schema, doc).map((v) => `${p.name}=${v}`)),
          encodedValues(undefined, doc).map((v) => `unknown=${v}`),
        ),
        { maxLength: 3 },
      );
      const schema = op.requestBody?.content["application/json"]?.schema;
      const bodies: fc.Arbitrary<Body> = schema
        ? fc.oneof({ weight: 8, arbitrary: bodiesFor(schema, doc).map((json) => ({ json })) }, { weight: 1, arbitrary: rawBodies })
        : fc.constant(null);
      await fc.assert(
        fc.asyncProperty(pathValues, queryValues, headersFor(op, schema !== undefined), bodies, async (values, query, headers, body) => {
          const path = template.replace(/\{(\w+)\}/g, (_, name: string) => values[name]!);
          exercised.add(`${method} ${template}`);
          await exercise(method.toUpperCase(), path, query.length ? `?${query.join("&")}` : "", headers, body);
        }),
        { numRuns: backend === "pglite" ? 25 : 12 },
      );
    }
    expect([...exercised].sort()).toEqual(operations.map((o) => `${o.method} ${o.template}`).sort());
  }, 300_000);

  it("answers the endpoints without an API key (webhooks, customer pages) the same way", async () => {
    const tenantIds = fc.oneof(
      fc.constant(tenant.tenantId),
      fc.stringMatching(/^tnt_[0-9a-z]{26}$/),
      fc.constantFrom("tnt_%00", "%ED%A0%80", "..", "x".repeat(300)),
    );
    const endpoints = fc.oneof(
      fc
        .tuple(fc.constant("POST"), tenantIds, fc.constantFrom("ticket-created", "ticket-updated", "sla-failed", "nope", "%00"))
        .map(([m, t, e]) => [m, `/hooks/deskpro/${t}/${e}`] as const),
      fc.tuple(fc.constant("POST"), tenantIds).map(([m, t]) => [m, `/hooks/stripe/${t}`] as const),
      fc
        .tuple(fc.constantFrom("GET", "POST"), fc.oneof(fc.string({ maxLength: 40 }).map(encodeURIComponent), fc.constantFrom("%00", "a.b", "e30.e30")))
        .map(([m, token]) => [m, m === "GET" ? `/pay/${token}` : `/pay/${token}/checkout`] as const),
    );
    const hookHeaders = fc.record({
      "content-type": fc.constantFrom("application/json", "application/x-www-form-urlencoded", "text/plain"),
      "x-credits-webhook-secret": headerText,
      "x-deskpro-ticket-id": headerText,
      "stripe-signature": headerText,
    });
    const bodies = fc.oneof(
      hostileValue.map((json): Body => ({ json })),
      fc.constantFrom<Body>({ raw: "ticket%5Bid%5D=5&x=%00" }, { raw: "packId=pack" }, { raw: "packId=%ED%A0%80" }),
      rawBodies,
    );
    await fc.assert(
      fc.asyncProperty(endpoints, hookHeaders, bodies, async ([method, path], headers, body) => {
        await exercise(method, path, "", headers, method === "GET" ? null : body);
      }),
      { numRuns: backend === "pglite" ? 150 : 80 },
    );
  }, 120_000);
});
