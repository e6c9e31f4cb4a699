/**
 * Bundles the ledger's AWS Lambda adapter (src/ledger/adapters/aws-lambda.ts) into one ES module
 * with everything it imports, and zips it for upload:
 *
 *   npm run build:lambda [-- --out-dir dist]
 *
 * writes <out-dir>/lambda/index.mjs (handler `index.handler`, Node.js 20 or later), its source
 * map, and <out-dir>/ledger-lambda.zip. PGlite is left out: the function always has DATABASE_URL,
 * and the embedded database is only loaded without one.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { zipSync } from "fflate";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface LambdaBundle {
  /** The bundle itself: the one file the function runs. */
  file: string;
  zip: string;
  bytes: number;
  gzipBytes: number;
  zipBytes: number;
  /** The packages inside the bundle (from esbuild's metafile), to check what was left out. */
  packages: string[];
}

/** Modules the bundle must not contain, and those that can't be bundled (native add-ons the driver loads only when asked). */
const LEFT_OUT = ["@electric-sql/pglite", "pg-native"];

export async function buildLambda(outDir = join(root, "dist")): Promise<LambdaBundle> {
  const dir = join(outDir, "lambda");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "index.mjs");
  const result = await build({
    absWorkingDir: root,
    entryPoints: ["src/ledger/adapters/aws-lambda.ts"],
    outfile: file,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    // Some bundled CommonJS packages (pg) call require() for Node's own modules.
    banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
    external: LEFT_OUT,
    minify: true,
    sourcemap: "linked",
    legalComments: "eof",
    metafile: true,
    logLevel: "warning",
  });
  const packages = [
    ...new Set(
      Object.keys(result.metafile.inputs)
        .map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1])
        .filter((name): name is string => name !== undefined),
    ),
  ].sort();
  const code = readFileSync(file);
  const zip = join(outDir, "ledger-lambda.zip");
  writeFileSync(zip, zipSync({ "index.mjs": code, "index.mjs.map": readFileSync(`${file}.map`) }, { level: 9, mtime: new Date("2000-01-01T00:00:00Z") }));
  return { file, zip, bytes: code.byteLength, gzipBytes: gzipSync(code).byteLength, zipBytes: statSync(zip).size, packages };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { "out-dir": { type: "string" } }, strict: true });
  const bundle = await buildLambda(values["out-dir"] ? resolve(values["out-dir"]) : undefined);
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(0)} kB`;
  console.log(`Lambda bundle: ${relative(process.cwd(), bundle.file)} — ${kB(bundle.bytes)} (${kB(bundle.gzipBytes)} gzip), handler index.handler`);
  console.log(
    `Upload: ${relative(process.cwd(), bundle.zip)} — ${kB(bundle.zipBytes)} (with the source map; set NODE_OPTIONS=--enable-source-maps for readable stack traces)`,
  );
  console.log(`Packages inside: ${bundle.packages.join(", ")}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error("build:lambda: failed:", error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
