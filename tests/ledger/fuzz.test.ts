/**
 * Fuzzing every write endpoint with arbitrary JSON, headers and path values: the service answers
 * 4xx (never 5xx) to what it can't accept, and a refused request writes nothing.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, createTestLedger, type TestLedger } from "../helpers/ledger.js";

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const pathValue = fc.oneof(
  fc.constantFrom("org:1", "person:2", "org:0", "org:-1", "org:1e3", "org:99999999999999999999", "x", "..", "%00", "org%3A1", "ent_" + "0".repeat(26)),
  printable.map(encodeURIComponent),
);
const nearlyValid = fc.record(
  {
    kind: fc.constantFrom("manual", "time", "priority", "refund", 5, null),
    amount: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null), fc.constant(1e300)),
    minutes: fc.oneof(fc.integer(), fc.double()),
    ticketId: fc.oneof(fc.string(), fc.integer(), fc.constant("12")),
    tier: fc.oneof(fc.string(), fc.constant("1-hour")),
    reason: fc.oneof(fc.string(), fc.integer(), fc.constant("")),
    expiresAt: fc.oneof(
      fc.string(),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    plan: fc.oneof(fc.string(), fc.constant(null)),
    source: fc.string(),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.json().map((text) => text),
  nearlyValid.map((v) => JSON.stringify(v)),
  printable,
  fc.constant(""),
  fc.constant("[]"),
  fc.constant("null"),
);
const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "",
  "application/problem+json",
);
const endpoint = fc.constantFrom(
  ["POST", "/v1/wallets/{v}/grants"],
  ["POST", "/v1/wallets/{v}/debits"],
  ["POST", "/v1/wallets/{v}/quote"],
  ["PUT", "/v1/wallets/{v}/plan"],
  ["POST", "/v1/entries/{v}/reversal"],
  ["PUT", "/v1/config"],
) as fc.Arbitrary<[string, string]>;

describe.each(backends())("fuzzing the write endpoints on %s", (backend) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await createTestLedger(backend);
  });
  afterAll(() => ledger.close());

  const counts = async () => {
    const [row] = await ledger.db.query<{ entries: number; grants: number; keys: number; configs: number; plans: number }>(
      `SELECT (SELECT count(*) FROM entries WHERE tenant_id = $1)::int AS entries,
              (SELECT count(*) FROM grants WHERE tenant_id = $1)::int AS grants,
              (SELECT count(*) FROM idempotency_keys WHERE tenant_id = $1)::int AS keys,
              (SELECT coalesce(max(version), 0) FROM tenant_configs WHERE tenant_id = $1)::int AS configs,
              (SELECT count(*) FROM wallets WHERE tenant_id = $1 AND plan_key IS NOT NULL)::int AS plans`,
      [ledger.tenantId],
    );
    return row!;
  };

  it("answers 4xx, never 5xx, and a refused request writes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        endpoint,
        pathValue,
        body,
        contentType,
        fc.option(printable, { nil: undefined }),
        async ([method, template], value, payload, type, key) => {
          const before = await counts();
          const headers: Record<string, string> = {};
          if (type) headers["content-type"] = type;
          if (key !== undefined) headers["idempotency-key"] = key;
          const r = await ledger.call(method, template.replace("{v}", value), { rawBody: payload, headers, idempotencyKey: null });
          expect(r.status).toBeLessThan(500);
          if (r.status >= 400) {
            expect(r.headers.get("content-type")).toContain("application/problem+json");
            expect(typeof r.body.code).toBe("string");
            expect(await counts()).toEqual(before);
          }
        },
      ),
      { numRuns: backend === "pglite" ? 400 : 200 },
    );
  }, 180_000);
});
