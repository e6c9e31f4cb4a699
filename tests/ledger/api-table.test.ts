/**
 * The README's table of every operation is the OpenAPI document's (scripts/api-table.ts): a route
 * added, removed or given another parameter without `npm run api-table` fails here.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { apiTable, BEGIN, END, withTable } from "../../scripts/api-table.js";
import { ledgerOpenApiDocument } from "../../src/ledger/http/document.js";

const documentTable = async () => apiTable((await ledgerOpenApiDocument()) as unknown as Parameters<typeof apiTable>[0]);

describe("the README's API table", () => {
  it("is the OpenAPI document's, operation for operation, with the parameters the app sends", async () => {
    const readme = readFileSync("README.md", "utf8");
    const table = await documentTable();
    expect(withTable(readme, table), "README.md's API table differs from the OpenAPI document: run `npm run api-table`").toBe(readme);
    // What the app sends for a ticket's payer is there, with the rest of the query.
    expect(table).toContain("`GET /v1/tickets/{ticketId}/payer` | `person=`, `org=`?, `personOrg=`?");
    expect(table.split("\n").length - 2).toBe(
      Object.values((await ledgerOpenApiDocument()).paths ?? {}).reduce(
        (n, item) => n + ["get", "put", "post", "patch", "delete"].filter((m) => m in (item ?? {})).length,
        0,
      ),
    );
  });

  it("notices a row gone missing or a table without its markers", async () => {
    const readme = readFileSync("README.md", "utf8");
    const table = await documentTable();
    const damaged = readme.replace(/^\| `POST \/v1\/wallets\/\{owner\}\/debits`.*\n/m, "");
    expect(damaged).not.toBe(readme);
    expect(withTable(damaged, table)).not.toBe(damaged);
    expect(() => withTable(readme.replace(BEGIN, "").replace(END, ""), table)).toThrow(/markers/);
  });
});
