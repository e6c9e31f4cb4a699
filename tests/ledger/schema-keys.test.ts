/**
 * The schema can be distributed by tenant (README, "When one PostgreSQL is not enough"): in a
 * multi-tenant distributed PostgreSQL (Citus) every table is sharded on `tenant_id`, and a primary
 * key, a unique key or a foreign key between sharded tables must include that column. This reads
 * the catalog of a freshly migrated database and fails on any table whose keys don't lead with
 * `tenant_id`, except the few reference tables named below.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/ledger/storage/db.js";
import { backends, openTestDatabase } from "../helpers/ledger.js";

/** Tables copied whole to every node rather than sharded, each with why. */
const REFERENCE_TABLES: Record<string, string> = {
  tenants: "the tenants themselves",
  api_keys: "a key is looked up by its hash before its tenant is known",
  schema_migrations: "the schema's own version, one per database",
};

interface Key {
  table: string;
  name: string;
  kind: "primary key" | "unique" | "foreign key";
  columns: string[];
  referencedTable: string | null;
}

async function keysOf(db: Database): Promise<Key[]> {
  const constraints = await db.query<{ table: string; name: string; kind: string; columns: string[]; referenced: string | null }>(
    `SELECT c.conrelid::regclass::text AS table, c.conname AS name, c.contype AS kind,
            array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns,
            CASE WHEN c.contype = 'f' THEN c.confrelid::regclass::text END AS referenced
     FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
     WHERE n.nspname = current_schema() AND c.contype IN ('p', 'u', 'f')`,
  );
  // Unique indexes that are not constraints (partial ones, made with CREATE UNIQUE INDEX).
  const indexes = await db.query<{ table: string; name: string; columns: string[] }>(
    `SELECT t.relname::text AS table, i.relname::text AS name,
            array(SELECT a.attname::text FROM unnest(x.indkey) WITH ORDINALITY k(n, o)
                  JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o) AS columns
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = current_schema() AND x.indisunique
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)`,
  );
  const kinds = { p: "primary key", u: "unique", f: "foreign key" } as const;
  return [
    ...constraints.map((c) => ({ table: c.table, name: c.name, kind: kinds[c.kind as keyof typeof kinds], columns: c.columns, referencedTable: c.referenced })),
    ...indexes.map((i) => ({ table: i.table, name: i.name, kind: "unique" as const, columns: i.columns, referencedTable: null })),
  ];
}

/** What is wrong with the keys for distribution by tenant, one sentence each. */
function undistributableKeys(tables: string[], keys: Key[]): string[] {
  const problems: string[] = [];
  for (const table of tables.filter((t) => !(t in REFERENCE_TABLES))) {
    const own = keys.filter((k) => k.table === table);
    if (!own.some((k) => k.kind === "primary key")) problems.push(`${table} has no primary key`);
    for (const key of own) {
      // A key to a reference table (tenant_id → tenants) needs no tenant of its own.
      if (key.kind === "foreign key" && key.referencedTable !== null && key.referencedTable in REFERENCE_TABLES) continue;
      if (key.columns[0] !== "tenant_id") problems.push(`${table}.${key.name} (${key.kind} on ${key.columns.join(", ")}) does not lead with tenant_id`);
    }
  }
  return problems;
}

describe.each(backends())("the schema's keys on %s", (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db.close());

  it("leads every tenant table's primary, unique and foreign keys with tenant_id", async () => {
    const tables = (await db.query<{ name: string }>("SELECT tablename::text AS name FROM pg_tables WHERE schemaname = current_schema()")).map((t) => t.name);
    expect(tables.length).toBeGreaterThan(15);
    for (const reference of Object.keys(REFERENCE_TABLES)) expect(tables).toContain(reference);
    const keys = await keysOf(db);
    expect(undistributableKeys(tables, keys)).toEqual([]);
  });

  it("fails on a table keyed by id alone, a unique key without the tenant and a foreign key to such a table", async () => {
    const keys = await keysOf(db);
    const problems = undistributableKeys(
      ["grants", "entries", "made_up"],
      [
        ...keys.filter((k) => k.table === "grants" || k.table === "entries"),
        { table: "made_up", name: "made_up_pkey", kind: "primary key", columns: ["id"], referencedTable: null },
        { table: "made_up", name: "made_up_code", kind: "unique", columns: ["code", "tenant_id"], referencedTable: null },
        { table: "made_up", name: "made_up_entry", kind: "foreign key", columns: ["entry_id"], referencedTable: "entries" },
        { table: "made_up", name: "made_up_tenant", kind: "foreign key", columns: ["tenant_id"], referencedTable: "tenants" },
      ],
    );
    expect(problems).toEqual([
      "made_up.made_up_pkey (primary key on id) does not lead with tenant_id",
      "made_up.made_up_code (unique on code, tenant_id) does not lead with tenant_id",
      "made_up.made_up_entry (foreign key on entry_id) does not lead with tenant_id",
    ]);
    expect(undistributableKeys(["keyless"], [])).toEqual(["keyless has no primary key"]);
  });
});
