/**
 * The checked-in schema (src/ledger/storage/schema.sql) is what the migrations make today: this
 * migrates a fresh PGlite, reads its catalog the way `npm run schema` does and compares.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/ledger/storage/db.js";
import { renderSchema, SCHEMA_FILE, schemaDrift } from "../../src/ledger/storage/schema-file.js";
import { openTestDatabase } from "../helpers/ledger.js";

describe("the checked-in schema file", () => {
  const opened: Database[] = [];
  const freshDatabase = async () => {
    const db = await openTestDatabase("pglite");
    opened.push(db);
    return db;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((db) => db.close()));
  });

  it("is what a freshly migrated database holds (run `npm run schema` after adding a migration)", async () => {
    const fresh = await renderSchema(await freshDatabase());
    const checkedIn = readFileSync(new URL(`../../${SCHEMA_FILE}`, import.meta.url), "utf8");
    const drift = schemaDrift(checkedIn, fresh);
    expect(drift, drift ?? "").toBeNull();
  });

  it("shows each table's columns, keys and indexes, and the functions' source as the last migration left it", async () => {
    const schema = await renderSchema(await freshDatabase());
    expect(schema).toMatch(/^CREATE TABLE wallets \(\n {2}tenant_id +text NOT NULL,\n {2}owner +text NOT NULL,\n {2}balance +bigint DEFAULT 0 NOT NULL,$/m);
    expect(schema).toContain("  CONSTRAINT entries_pkey PRIMARY KEY (tenant_id, id),");
    expect(schema).toContain(
      "CREATE UNIQUE INDEX entries_one_reversal ON public.entries USING btree (tenant_id, reverses_entry_id) WHERE (reverses_entry_id IS NOT NULL);",
    );
    expect(schema).toContain("CREATE TRIGGER entries_append_only BEFORE DELETE OR UPDATE ON public.entries");
    expect(schema).toContain("CREATE SEQUENCE deskpro_billing_reads");
    // ledger_post_debit was replaced by later migrations: what runs today records refusals (013).
    const debit = schema.slice(schema.indexOf("CREATE OR REPLACE FUNCTION public.ledger_post_debit("));
    expect(debit).toMatch(/RETURNS TABLE\(outcome text, status integer, request_hash text, response text, refused_code text\)/);
    expect(schema.match(/CREATE OR REPLACE FUNCTION public\.ledger_post_debit\(/g)).toHaveLength(1);
    expect(schema).not.toMatch(/[ \t]$/m);
  });

  it("fails, naming the line and the command, when a migration changes a table or a function the file doesn't show", async () => {
    const db = await freshDatabase();
    const before = await renderSchema(db);
    expect(await renderSchema(db)).toBe(before);
    await db.exec(`ALTER TABLE wallets ADD COLUMN nickname text;
      CREATE OR REPLACE FUNCTION ledger_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$;`);
    const after = await renderSchema(db);
    expect(after).toMatch(/^ {2}nickname +text,$/m);
    expect(after).toContain("BEGIN RETURN NEW; END;");
    const drift = schemaDrift(before, after);
    expect(drift).toContain(`${SCHEMA_FILE} differs from a freshly migrated database`);
    expect(drift).toContain("run `npm run schema`");
    expect(drift).toMatch(/migrations: +nickname +text,/);
    expect(schemaDrift(null, after)).toBe(`${SCHEMA_FILE} is missing: run \`npm run schema\` to write it afresh, and commit it with the migration.`);
  });
});
