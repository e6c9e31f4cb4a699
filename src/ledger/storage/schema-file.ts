/**
 * The current schema as one readable file (`schema.sql` beside this module), written from the
 * catalog of a migrated database rather than from the migrations' text, so it shows what runs
 * today: a table's shape after every ALTER, and each PL/pgSQL function as its last CREATE OR
 * REPLACE left it. `npm run schema` writes it; `tests/ledger/schema-file.test.ts` fails when it
 * differs from a freshly migrated database. Ordered by name throughout, so the same migrations
 * always give the same text.
 */
import type { Sql } from "./db.js";

/** Where the file lives, relative to the project's root. */
export const SCHEMA_FILE = "src/ledger/storage/schema.sql";

interface Column {
  table: string;
  name: string;
  type: string;
  notNull: boolean;
  defaultExpr: string | null;
  identity: string;
  generated: string;
  collation: string | null;
}

interface Definition {
  table: string;
  name: string;
  definition: string;
}

const IN_SCHEMA = (namespaceColumn: string) => `${namespaceColumn} = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`;

async function tablesOf(sql: Sql): Promise<string[]> {
  const rows = await sql.query<{ name: string }>(`SELECT relname::text AS name FROM pg_class WHERE relkind IN ('r', 'p') AND ${IN_SCHEMA("relnamespace")}`);
  return rows.map((r) => r.name).sort(byText);
}

async function columnsOf(sql: Sql): Promise<Column[]> {
  return sql.query<Column>(
    `SELECT c.relname::text AS table, a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS "notNull", pg_get_expr(d.adbin, d.adrelid) AS "defaultExpr",
            a.attidentity::text AS identity, a.attgenerated::text AS generated,
            CASE WHEN a.attcollation <> t.typcollation THEN (SELECT collname::text FROM pg_collation WHERE oid = a.attcollation) END AS collation
     FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid
     JOIN pg_type t ON t.oid = a.atttypid
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relkind IN ('r', 'p') AND ${IN_SCHEMA("c.relnamespace")} AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY c.relname, a.attnum`,
  );
}

/** Primary, unique, foreign key, check and exclusion constraints; NOT NULL is shown on its column. */
async function constraintsOf(sql: Sql): Promise<(Definition & { kind: string })[]> {
  return sql.query(
    `SELECT c.conrelid::regclass::text AS table, c.conname::text AS name, c.contype::text AS kind, pg_get_constraintdef(c.oid) AS definition
     FROM pg_constraint c
     WHERE ${IN_SCHEMA("c.connamespace")} AND c.conrelid <> 0 AND c.contype IN ('p', 'u', 'f', 'c', 'x')`,
  );
}

/** Indexes other than those a constraint made (those are shown as the constraint). */
async function indexesOf(sql: Sql): Promise<Definition[]> {
  return sql.query(
    `SELECT t.relname::text AS table, i.relname::text AS name, pg_get_indexdef(x.indexrelid) AS definition
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
     WHERE ${IN_SCHEMA("t.relnamespace")} AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid)`,
  );
}

async function triggersOf(sql: Sql): Promise<Definition[]> {
  return sql.query(
    `SELECT c.relname::text AS table, g.tgname::text AS name, pg_get_triggerdef(g.oid) AS definition
     FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
     WHERE ${IN_SCHEMA("c.relnamespace")} AND NOT g.tgisinternal`,
  );
}

/** Sequences of their own; those behind a serial or identity column show as its default. */
async function sequencesOf(sql: Sql): Promise<Definition[]> {
  return sql.query(
    `SELECT '' AS table, c.relname::text AS name,
            format('CREATE SEQUENCE %I AS %s START %s INCREMENT %s MINVALUE %s MAXVALUE %s CACHE %s%s',
                   c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
                   CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END) AS definition
     FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
     WHERE ${IN_SCHEMA("c.relnamespace")}
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid AND d.deptype IN ('a', 'i'))`,
  );
}

async function viewsOf(sql: Sql): Promise<Definition[]> {
  return sql.query(
    `SELECT '' AS table, c.relname::text AS name,
            format('CREATE %sVIEW %I AS%s', CASE WHEN c.relkind = 'm' THEN 'MATERIALIZED ' ELSE '' END, c.relname, E'\\n' || pg_get_viewdef(c.oid)) AS definition
     FROM pg_class c WHERE c.relkind IN ('v', 'm') AND ${IN_SCHEMA("c.relnamespace")}`,
  );
}

/** Functions and procedures with their whole source, as the catalog holds it now. */
async function functionsOf(sql: Sql): Promise<Definition[]> {
  return sql.query(
    `SELECT '' AS table, p.proname::text || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name, pg_get_functiondef(p.oid) AS definition
     FROM pg_proc p
     WHERE ${IN_SCHEMA("p.pronamespace")} AND p.prokind IN ('f', 'p')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`,
  );
}

async function migrationsApplied(sql: Sql): Promise<{ version: number; name: string }[]> {
  const exists = await sql.query<{ found: boolean }>(`SELECT to_regclass('schema_migrations') IS NOT NULL AS found`);
  if (!exists[0]?.found) return [];
  return sql.query("SELECT version, name FROM schema_migrations ORDER BY version");
}

/** Code-point order, the same on every machine (no locale). */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byName = <T extends { name: string }>(a: T, b: T) => byText(a.name, b.name);
const CONSTRAINT_ORDER = ["p", "u", "f", "c", "x"];

/** A definition as a statement: one `;`, no trailing blanks on any line. */
const statement = (definition: string) =>
  definition
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")
    .trim()
    .replace(/;$/, "") + ";";

function columnLine(column: Column): string {
  const parts = [column.type];
  if (column.collation) parts.push(`COLLATE "${column.collation}"`);
  if (column.identity === "a") parts.push("GENERATED ALWAYS AS IDENTITY");
  if (column.identity === "d") parts.push("GENERATED BY DEFAULT AS IDENTITY");
  if (column.generated === "s" && column.defaultExpr) parts.push(`GENERATED ALWAYS AS (${column.defaultExpr}) STORED`);
  else if (column.generated === "v" && column.defaultExpr) parts.push(`GENERATED ALWAYS AS (${column.defaultExpr}) VIRTUAL`);
  else if (column.defaultExpr) parts.push(`DEFAULT ${column.defaultExpr}`);
  if (column.notNull) parts.push("NOT NULL");
  return `${column.name} ${parts.join(" ")}`;
}

/** The schema of the database `sql` reaches (its current schema), as the text of `schema.sql`. */
export async function renderSchema(sql: Sql): Promise<string> {
  const [tables, columns, constraints, indexes, triggers, sequences, views, functions, migrations] = await Promise.all([
    tablesOf(sql),
    columnsOf(sql),
    constraintsOf(sql),
    indexesOf(sql),
    triggersOf(sql),
    sequencesOf(sql),
    viewsOf(sql),
    functionsOf(sql),
    migrationsApplied(sql),
  ]);
  const out: string[] = [
    "-- The ledger's schema as the migrations leave it, read from the catalog of a freshly migrated database.",
    "-- Generated by `npm run schema`: don't edit it. Change the schema with a new migration in migrations/",
    "-- (registered in migrations.ts), then run `npm run schema`; tests/ledger/schema-file.test.ts fails",
    "-- while this file differs from what the migrations make.",
    "--",
    "-- Tables in name order, each with its columns, constraints, indexes and triggers; then sequences,",
    "-- views and functions (their whole source, as the last migration to replace them left it).",
    "",
    "-- Migrations applied:",
    ...migrations.map((m) => `--   ${String(m.version).padStart(3, "0")} ${m.name}`),
  ];

  for (const table of tables) {
    const own = columns.filter((c) => c.table === table);
    const width = Math.max(...own.map((c) => c.name.length));
    const lines = own.map((c) => `  ${columnLine({ ...c, name: c.name.padEnd(width) })}`);
    const ownConstraints = constraints
      .filter((c) => c.table === table)
      .sort((a, b) => CONSTRAINT_ORDER.indexOf(a.kind) - CONSTRAINT_ORDER.indexOf(b.kind) || byName(a, b));
    lines.push(...ownConstraints.map((c) => `  CONSTRAINT ${c.name} ${c.definition}`));
    out.push("", `CREATE TABLE ${table} (`, lines.join(",\n"), ");");
    for (const index of indexes.filter((i) => i.table === table).sort(byName)) out.push(statement(index.definition));
    for (const trigger of triggers.filter((t) => t.table === table).sort(byName)) out.push(statement(trigger.definition));
  }
  const section = (title: string, definitions: Definition[]) => {
    if (definitions.length === 0) return;
    out.push("", `-- ${title}`);
    for (const definition of definitions.sort(byName)) out.push("", statement(definition.definition));
  };
  section("Sequences", sequences);
  section("Views", views);
  section("Functions", functions);
  return out.join("\n") + "\n";
}

/**
 * Why the checked-in file is not what the migrations make (the first line that differs), or null
 * when it is.
 */
export function schemaDrift(checkedIn: string | null, fresh: string): string | null {
  const fix = "run `npm run schema` to write it afresh, and commit it with the migration";
  if (checkedIn === null) return `${SCHEMA_FILE} is missing: ${fix}.`;
  if (checkedIn === fresh) return null;
  const have = checkedIn.split("\n");
  const want = fresh.split("\n");
  const line = want.findIndex((text, i) => have[i] !== text);
  const at = line === -1 ? want.length : line;
  return [
    `${SCHEMA_FILE} differs from a freshly migrated database (first at line ${at + 1}): ${fix}.`,
    `  file:       ${have[at] ?? "(ends)"}`,
    `  migrations: ${want[at] ?? "(end)"}`,
  ].join("\n");
}
