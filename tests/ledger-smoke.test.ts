import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, createTestLedger, type TestLedger } from "./helpers/ledger.js";

describe.each(backends())("smoke on %s", (backend) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await createTestLedger(backend);
  });
  afterAll(() => ledger.close());
  it("grants and debits", async () => {
    const g = await ledger.call("POST", "/v1/wallets/org:1/grants", { body: { amount: 100, reason: "x" } });
    expect(g.status).toBe(201);
    const d = await ledger.call("POST", "/v1/wallets/org:1/debits", { body: { kind: "manual", amount: 40, reason: "y" } });
    expect(d.body.balance).toBe(60);
  });
});
