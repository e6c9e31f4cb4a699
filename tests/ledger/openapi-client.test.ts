/**
 * The README's typed client, for real: openapi-typescript generates types from the document a
 * ledger serves over HTTP, TypeScript's compiler checks the README's example (and calls the types
 * must refuse) against them, and the example then runs against that ledger.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { serve, type ServerType } from "@hono/node-server";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntryPage, Wallet } from "../../src/contract/index.js";
import { createTestLedger, type TestLedger } from "../helpers/ledger.js";

const run = promisify(execFile);
const dir = path.resolve("tests/artifacts/openapi-client");
const README_MARKER = "<!-- tests/ledger/openapi-client.test.ts runs this command and this code against a ledger -->";

/** The shell block and the TypeScript block that follow the marker in the README. */
async function readmeExample(): Promise<{ generate: string; code: string }> {
  const readme = await readFile("README.md", "utf8");
  const after = readme.slice(readme.indexOf(README_MARKER));
  expect(after.startsWith(README_MARKER)).toBe(true);
  const blocks = [...after.matchAll(/```(sh|ts)\n([\s\S]*?)```/g)].slice(0, 2);
  expect(blocks.map((b) => b[1])).toEqual(["sh", "ts"]);
  const generate = blocks[0]![2]!.split("\n").find((line) => line.startsWith("npx openapi-typescript "));
  expect(generate).toBeDefined();
  return { generate: generate!, code: blocks[1]![2]! };
}

/** Calls the generated types must refuse: a @ts-expect-error with no error after it fails the check. */
const MISUSE = `
import createClient from "openapi-fetch";
import type { components, paths } from "./ledger-api.js";

const ledger = createClient<paths, \`\${string}/\${string}json\`>({ baseUrl: "http://ledger.test" });
const owner = "org:42";
const header = { "idempotency-key": "k" };

export async function misuse() {
  // @ts-expect-error credits are numbers
  await ledger.POST("/v1/wallets/{owner}/grants", { params: { path: { owner }, header }, body: { amount: "600", reason: "x" } });
  // @ts-expect-error a grant needs a reason
  await ledger.POST("/v1/wallets/{owner}/grants", { params: { path: { owner }, header }, body: { amount: 600 } });
  // @ts-expect-error a write needs an Idempotency-Key
  await ledger.POST("/v1/wallets/{owner}/grants", { params: { path: { owner } }, body: { amount: 600, reason: "x" } });
  // @ts-expect-error no such kind of debit
  await ledger.POST("/v1/wallets/{owner}/debits", { params: { path: { owner }, header }, body: { kind: "gift", amount: 1, reason: "x" } });
  // @ts-expect-error a time debit names its ticket
  await ledger.POST("/v1/wallets/{owner}/debits", { params: { path: { owner }, header }, body: { kind: "time", minutes: 5 } });
  // @ts-expect-error no such path
  await ledger.GET("/v1/wallet/{owner}", { params: { path: { owner } } });
  const { data, error } = await ledger.GET("/v1/wallets/{owner}", { params: { path: { owner } } });
  if (error) {
    const problem: components["schemas"]["Problem"] = error;
    // @ts-expect-error a problem's status is a number
    const status: string = problem.status;
    return status;
  }
  const wallet: components["schemas"]["Wallet"] = data;
  // @ts-expect-error a balance is a number
  const balance: string = wallet.balance;
  // @ts-expect-error a bank may have no plan
  const plan: string = wallet.plan.key;
  return [balance, plan];
}
`;

/** TypeScript's diagnostics for the files, strict, as a Node ESM project would compile them. */
function typeErrors(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
    types: ["node"],
    skipLibCheck: true,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1} ` : "";
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

describe("a typed client generated from the OpenAPI document", () => {
  let ledger: TestLedger;
  let server: ServerType;
  let url = "";
  beforeAll(async () => {
    ledger = await createTestLedger("pglite");
    url = await new Promise<string>((resolve) => {
      server = serve({ fetch: ledger.fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve(`http://127.0.0.1:${info.port}`));
    });
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await ledger?.close();
  });

  // Three tools run one after the other (the generator, the compiler, the example): allow them time.
  it("type-checks the README's example, refuses misuse, and runs the example against the ledger", { timeout: 240_000 }, async () => {
    const { generate, code } = await readmeExample();
    // The README's command, pointed at this ledger and this folder.
    const args = generate
      .split(/\s+/)
      .slice(2)
      .map((arg) => (arg === "http://127.0.0.1:8787/v1/openapi.json" ? `${url}/v1/openapi.json` : arg === "ledger-api.d.ts" ? path.join(dir, arg) : arg));
    expect(args).toContain(`${url}/v1/openapi.json`);
    // What npx runs: the package's command from node_modules/.bin.
    await run(path.resolve("node_modules/.bin/openapi-typescript"), args);
    const types = await readFile(path.join(dir, "ledger-api.d.ts"), "utf8");
    expect(types).toContain('"application/json": components["schemas"]["WriteResult"]');

    await writeFile(path.join(dir, "example.ts"), code);
    await writeFile(path.join(dir, "misuse.ts"), MISUSE);
    expect(typeErrors([path.join(dir, "example.ts"), path.join(dir, "misuse.ts")])).toEqual([]);

    const { stdout } = await run(process.execPath, ["--import", "tsx", path.join(dir, "example.ts")], {
      env: { ...process.env, LEDGER_URL: url, LEDGER_API_KEY: ledger.apiKey },
    });
    expect(stdout.split("\n").filter(Boolean)).toEqual(["balance 570", "time -30 570", "grant 600 600"]);
    // What the example wrote is in the ledger.
    expect(Wallet.parse((await ledger.call("GET", "/v1/wallets/org:42")).body).balance).toBe(570);
    const { entries } = EntryPage.parse((await ledger.call("GET", "/v1/wallets/org:42/entries")).body);
    expect(entries.map((e) => [e.kind, e.ticketId])).toEqual([
      ["time", "1234"],
      ["grant", null],
    ]);
  });
});
