/**
 * The README's table of every operation, made from the OpenAPI document (`npm run api-table`
 * rewrites it between its markers; `-- --check` only compares), so the README's API list can't
 * fall behind what the ledger serves. tests/ledger/api-table.test.ts runs the check.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { ledgerOpenApiDocument } from "../src/ledger/http/document.js";

export const BEGIN = "<!-- api-table: made by `npm run api-table` from the OpenAPI document; do not edit by hand -->";
export const END = "<!-- /api-table -->";

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}
interface Operation {
  operationId?: string;
  summary?: string;
  parameters?: Parameter[];
  security?: unknown[];
}

const METHODS = ["get", "put", "post", "patch", "delete"] as const;

/** One row per operation: method and path, its query parameters and headers, and what it does. */
export function apiTable(document: { paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>> }): string {
  const rows: string[] = [];
  for (const [path, item] of Object.entries(document.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const parameters = (op.parameters ?? [])
        .filter((p) => p.in === "query" || (p.in === "header" && p.name.toLowerCase() !== "accept"))
        .map((p) => `\`${p.in === "header" ? p.name : `${p.name}=`}\`${p.required ? "" : "?"}`);
      const open = Array.isArray(op.security) && op.security.length === 0 ? " (no key)" : "";
      const cell = (text: string) => text.replaceAll("|", "\\|");
      rows.push(`| \`${method.toUpperCase()} ${path}\` | ${parameters.join(", ") || "—"} | \`${op.operationId ?? ""}\` | ${cell(op.summary ?? "")}${open} |`);
    }
  }
  return ["| operation | query and headers | operationId | does |", "|---|---|---|---|", ...rows].join("\n");
}

/** The README with its table replaced by `table`. */
export function withTable(readme: string, table: string): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${BEGIN} … ${END} markers`);
  return `${readme.slice(0, begin + BEGIN.length)}\n\n${table}\n\n${readme.slice(end)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const readme = readFileSync("README.md", "utf8");
  const expected = withTable(readme, apiTable((await ledgerOpenApiDocument()) as unknown as Parameters<typeof apiTable>[0]));
  if (process.argv.includes("--check")) {
    if (expected !== readme) {
      console.error("README.md's API table differs from the OpenAPI document: run `npm run api-table`.");
      process.exit(1);
    }
  } else {
    writeFileSync("README.md", expected);
    console.log("wrote README.md's API table");
  }
}
