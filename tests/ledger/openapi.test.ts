/**
 * The OpenAPI document integrators read first, as the ledger serves it: it passes Redocly's
 * linter (its recommended rules, made stricter below) with no error, names the contract's
 * schemas as components that operations refer to, and documents every route the app serves.
 */
import { createConfig, lintFromString, type NormalizedProblem } from "@redocly/openapi-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLedgerApp } from "../../src/ledger/http/app.js";
import { ledgerOpenApiDocument } from "../../src/ledger/http/document.js";
import { createTestLedger, type TestLedger } from "../helpers/ledger.js";

type Operation = { operationId?: string; tags?: string[]; description?: string; requestBody?: any; responses: Record<string, any> };
type Document = {
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  webhooks: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, any>; securitySchemes: Record<string, unknown> };
};

/**
 * Redocly's "recommended" set, with what integrators and generated clients rely on raised to
 * errors. No recommended rule is turned off.
 */
const RULES = {
  // Generated clients name their methods after operation ids; the issue was that none had one.
  "operation-operationId": "error",
  "operation-description": "error",
  "operation-tag-defined": "error",
  "operation-singular-tag": "error",
  "tag-description": "error",
  "parameter-description": "error",
  "operation-2xx-response": "error",
  "operation-4xx-response": "error",
  // Every 4xx answer is application/problem+json (RFC 9457), as problems.ts makes them.
  "operation-4xx-problem-details-rfc7807": "error",
  // A schema the contract names but no operation uses is noise in every generated client.
  "no-unused-components": "error",
  "no-ambiguous-paths": "error",
  "info-license": "error",
} as const;

async function lint(document: unknown): Promise<NormalizedProblem[]> {
  const config = await createConfig({ extends: ["recommended"], rules: RULES });
  return lintFromString({ source: JSON.stringify(document), absoluteRef: "openapi.json", config });
}
const describeProblem = (p: NormalizedProblem) => `${p.ruleId} at ${p.location[0]?.pointer ?? "?"}: ${p.message}`;
const operationsOf = (doc: Document) =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })));
const problemRef = { $ref: "#/components/schemas/Problem" };

describe("the OpenAPI document", () => {
  let ledger: TestLedger;
  let doc: Document;
  beforeAll(async () => {
    ledger = await createTestLedger("pglite");
    const answer = await ledger.call<Document>("GET", "/v1/openapi.json", { key: null });
    expect(answer.status).toBe(200);
    doc = answer.body;
  });
  afterAll(() => ledger.close());

  it("lints clean", async () => {
    const problems = await lint(doc);
    const warnings = problems.filter((p) => p.severity !== "error");
    if (warnings.length > 0) console.warn(`OpenAPI lint warnings:\n${warnings.map(describeProblem).join("\n")}`);
    expect(problems.filter((p) => p.severity === "error").map(describeProblem)).toEqual([]);
  });

  it("fails the lint when an operation loses its id, repeats another's, or has an undeclared tag", async () => {
    const broken = structuredClone(doc);
    delete broken.paths["/v1/wallets/{owner}"]!.get!.operationId;
    broken.paths["/v1/config"]!.put!.operationId = "createGrant";
    broken.paths["/v1/config"]!.get!.tags = ["Settings"];
    const errors = (await lint(broken)).filter((p) => p.severity === "error").map((p) => p.ruleId);
    expect(errors).toEqual(expect.arrayContaining(["operation-operationId", "operation-operationId-unique", "operation-tag-defined"]));
  });

  it("gives every operation a unique camelCase id, one declared tag and a description", () => {
    const operations = [...operationsOf(doc), ...Object.values(doc.webhooks).flatMap((item) => Object.values(item).map((operation) => ({ operation })))];
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[a-z][a-zA-Z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = new Set(doc.tags.map((t) => t.name));
    for (const { operation } of operations) {
      expect(operation.tags?.length, operation.operationId).toBe(1);
      expect(tags.has(operation.tags![0]!), operation.operationId).toBe(true);
      expect(operation.description?.length, operation.operationId).toBeGreaterThan(30);
    }
    expect(ids).toEqual(expect.arrayContaining(["getWallet", "createGrant", "createDebit", "reverseEntry", "listEntries", "receiveAlert"]));
  });

  it("says what an operation does besides its name: the reads that write, the web hook that queues a billing read", () => {
    const byId = new Map(operationsOf(doc).map(({ method, operation }) => [operation.operationId, { method, description: operation.description ?? "" }]));
    expect(byId.get("getWallet")).toMatchObject({ method: "get", description: expect.stringContaining("**This GET may write.**") });
    expect(byId.get("getWallet")!.description).toMatch(/allocation[\s\S]*`expiry` entries/);
    expect(byId.get("getTicketPayer")).toMatchObject({ method: "get", description: expect.stringContaining("this may write") });
    // Deskpro's web hook queues more than its portal ticket's job.
    expect(byId.get("receiveDeskproWebhook")!.description).toMatch(
      /\*\*Besides that\*\*.*records its arrival.*queues a read of the ticket's Billing & Time Log/,
    );
  });

  it("names the contract's schemas as components and refers to them instead of repeating them", () => {
    const schemas = doc.components.schemas;
    for (const name of ["Wallet", "Entry", "WriteResult", "Problem", "LedgerConfig", "GrantRequest", "DebitRequest", "ReversalRequest", "AlertEvent"]) {
      expect(schemas, name).toHaveProperty([name]);
    }
    const jsonSchema = (path: string, method: string, status?: string) => {
      const operation = doc.paths[path]![method]!;
      return (status ? operation.responses[status] : operation.requestBody).content["application/json"].schema;
    };
    expect(jsonSchema("/v1/wallets/{owner}", "get", "200")).toEqual({ $ref: "#/components/schemas/Wallet" });
    expect(jsonSchema("/v1/wallets/{owner}/grants", "post")).toEqual({ $ref: "#/components/schemas/GrantRequest" });
    expect(jsonSchema("/v1/wallets/{owner}/grants", "post", "201")).toEqual({ $ref: "#/components/schemas/WriteResult" });
    expect(jsonSchema("/v1/wallets/{owner}/debits", "post")).toEqual({ $ref: "#/components/schemas/DebitRequest" });
    expect(schemas.DebitRequest.discriminator.mapping).toEqual({
      manual: "#/components/schemas/ManualDebitRequest",
      time: "#/components/schemas/TimeDebitRequest",
      priority: "#/components/schemas/PriorityDebitRequest",
      removal: "#/components/schemas/RemovalDebitRequest",
      unbilled: "#/components/schemas/UnbilledTimeRequest",
    });
    // Every error answer refers to the one Problem schema; nothing else spells it out.
    let errorAnswers = 0;
    for (const { path, method, operation } of operationsOf(doc)) {
      for (const [status, answer] of Object.entries(operation.responses)) {
        if (status !== "default" && Number(status) < 400) continue;
        errorAnswers++;
        expect(answer.content, `${method} ${path} ${status}`).toEqual({ "application/problem+json": { schema: problemRef } });
      }
    }
    expect(errorAnswers).toBeGreaterThan(80);
    expect(JSON.stringify(doc).split('"detail":{"type":"string"},"code":{"type":"string"}').length - 1).toBe(1);
  });

  it("keeps components as the contract defines them: a bank's plan may be null, a plan may not", () => {
    const { Wallet, Plan, LedgerConfig } = doc.components.schemas;
    expect(Plan.type).toBe("object");
    expect(Wallet.properties.plan).toEqual({ anyOf: [{ $ref: "#/components/schemas/Plan" }, { type: "null" }] });
    expect(LedgerConfig.properties.plans.items).toEqual({ $ref: "#/components/schemas/Plan" });
    // Nothing in the document combines a reference with a nullable type (which null can't pass).
    const nullableAllOf = JSON.stringify(doc).match(/"allOf":\[\{"\$ref":"[^"]+"\},\{"type":\[[^\]]*"null"/g);
    expect(nullableAllOf).toBeNull();
  });

  it("documents every route the app serves, except the customer pages, the document itself and the operator's metrics", () => {
    const app = createLedgerApp({ db: ledger.db, log: () => undefined });
    // /metrics is the operator's (its own token), not the tenants' API: it stays out of their document.
    const served = new Set(
      app.routes
        .filter(
          (route) =>
            route.method !== "ALL" &&
            !route.path.startsWith("/pay/") &&
            !route.path.startsWith("/overage/") &&
            route.path !== "/v1/openapi.json" &&
            route.path !== "/metrics",
        )
        .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    const documented = new Set(operationsOf(doc).map(({ path, method }) => `${method} ${path}`));
    expect([...served].sort()).toEqual([...documented].sort());
  });

  it("documents the outgoing alert webhook with the contract's events and its signature headers", () => {
    const alert = doc.webhooks.alert!.post!;
    expect(alert.requestBody.content["application/json"].schema).toEqual({
      anyOf: [{ $ref: "#/components/schemas/AlertEvent" }, { $ref: "#/components/schemas/WebhookTestEvent" }],
    });
    expect((alert as unknown as { parameters: { name: string; in: string }[] }).parameters.map((p) => `${p.in} ${p.name}`)).toEqual([
      "header webhook-id",
      "header webhook-timestamp",
      "header webhook-signature",
    ]);
  });

  it("leaves out what the operator switched off: without sign-up (LEDGER_SIGNUP=off) no operation, tag or schema of it, and still lints clean", async () => {
    expect(doc.paths["/v1/signup"]?.post?.operationId).toBe("signUpHelpdesk");
    expect(doc.tags.map((t) => t.name)).toContain("Sign-up");
    const served = await createLedgerApp({ db: ledger.db, signup: false, log: () => undefined }).fetch(new Request("http://ledger.test/v1/openapi.json"));
    const printed = (await ledgerOpenApiDocument(undefined, false)) as unknown as Document;
    for (const off of [(await served.json()) as Document, printed]) {
      expect(off.paths).not.toHaveProperty(["/v1/signup"]);
      expect(off.tags.map((t) => t.name)).not.toContain("Sign-up");
      expect(Object.keys(off.components.schemas)).not.toContain("HelpdeskSignupRequest");
      expect(Object.keys(off.components.schemas)).not.toContain("HelpdeskSignup");
      expect(JSON.stringify(off)).not.toMatch(/signup|sign-up/i);
      expect(Object.keys(off.paths).sort()).toEqual(
        Object.keys(doc.paths)
          .filter((path) => path !== "/v1/signup")
          .sort(),
      );
      expect((await lint(off)).filter((p) => p.severity === "error").map(describeProblem)).toEqual([]);
    }
  });

  it("names its server: the host it was read from, or the configured public address", async () => {
    expect(doc.servers).toEqual([{ url: "/", description: expect.any(String) }]);
    const configured = (await ledgerOpenApiDocument("https://credits.example.com/")) as unknown as Document;
    expect(configured.servers).toEqual([{ url: "https://credits.example.com", description: expect.any(String) }]);
    expect(Object.keys(configured.paths).sort()).toEqual(Object.keys(doc.paths).sort());
  });
});
