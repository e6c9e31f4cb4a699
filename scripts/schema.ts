/**
 * Writes the current schema (src/ledger/storage/schema.sql) from a freshly migrated in-memory
 * database, or checks the checked-in file against one:
 *
 *   npm run schema               write it (after adding a migration)
 *   npm run schema -- --check    exit 1, saying where, when it differs
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { openDatabase } from "../src/ledger/storage/db.js";
import { migrate } from "../src/ledger/storage/migrations.js";
import { renderSchema, SCHEMA_FILE, schemaDrift } from "../src/ledger/storage/schema-file.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The schema file's text as the migrations make it today. */
export async function freshSchema(): Promise<string> {
  const db = await openDatabase();
  try {
    await migrate(db);
    return await renderSchema(db);
  } finally {
    await db.close();
  }
}

function readCheckedIn(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { check: { type: "boolean", default: false } } });
  const path = resolve(root, SCHEMA_FILE);
  const fresh = await freshSchema();
  if (values.check) {
    const drift = schemaDrift(readCheckedIn(path), fresh);
    if (drift) {
      console.error(drift);
      return 1;
    }
    console.log(`${SCHEMA_FILE} is current`);
    return 0;
  }
  writeFileSync(path, fresh);
  console.log(`wrote ${SCHEMA_FILE}`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
