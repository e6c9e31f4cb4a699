/**
 * The serverless adapter example: the ledger answering API Gateway (HTTP API, payload 2.0) events
 * on a real PostgreSQL, as it would on AWS Lambda.
 */
import type { APIGatewayProxyResult, LambdaEvent } from "hono/aws-lambda";
import { afterAll, describe, expect, it } from "vitest";
import { WriteResult } from "../../src/contract/index.js";
import { openTestDatabase, postgresUrl } from "../helpers/ledger.js";
import { createTenant } from "../../src/ledger/core/tenants.js";

function httpApiEvent(method: string, path: string, headers: Record<string, string>, body?: unknown): LambdaEvent {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: "",
    headers: { host: "credits.example.com", ...headers },
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "credits.example.com",
      domainPrefix: "credits",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: "req",
      routeKey: "$default",
      stage: "$default",
      time: "24/Nov/2026:00:00:00 +0000",
      timeEpoch: 0,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
  } as unknown as LambdaEvent;
}

describe.skipIf(!postgresUrl())("AWS Lambda adapter", () => {
  const previous = process.env.DATABASE_URL;
  afterAll(() => {
    process.env.DATABASE_URL = previous;
  });

  it("serves health and writes through the same handler", async () => {
    const db = await openTestDatabase("postgres");
    const { apiKey } = await createTenant(db, { name: `lambda-${Date.now()}` });
    await db.close();
    process.env.DATABASE_URL = postgresUrl();
    const { handler: lambda } = await import("../../src/ledger/adapters/aws-lambda.js");
    const handler = (event: LambdaEvent) => lambda(event) as Promise<APIGatewayProxyResult>;
    const health = await handler(httpApiEvent("GET", "/healthz", {}));
    expect(health.statusCode).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true });
    const auth = { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": "lambda-1" };
    const granted = await handler(httpApiEvent("POST", "/v1/wallets/org:77/grants", auth, { amount: 40, reason: "via lambda" }));
    expect(granted.statusCode).toBe(201);
    expect(WriteResult.parse(JSON.parse(granted.body)).balance).toBe(40);
    const replay = await handler(httpApiEvent("POST", "/v1/wallets/org:77/grants", auth, { amount: 40, reason: "via lambda" }));
    expect(replay.headers?.["idempotent-replayed"]).toBe("true");
    const refused = await handler(httpApiEvent("GET", "/v1/wallets/org:77", {}));
    expect(refused.statusCode).toBe(401);
  });
});
