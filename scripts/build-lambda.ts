/**
 * Bundles the ledger's AWS Lambda adapter (src/ledger/adapters/aws-lambda.ts) into ES modules with
 * everything they import, and zips them for upload:
 *
 *   npm run build:lambda [-- --out-dir dist]
 *
 * writes <out-dir>/lambda/index.mjs (handler `index.handler`, Node.js 20 or later), the chunks it
 * loads (chunks/*.mjs), their source maps, and <out-dir>/ledger-lambda.zip. A cold start loads
 * only index.mjs and the chunks it imports statically; what the code imports dynamically (the
 * `stripe` package on the first payment) is a chunk of its own, loaded when first used. PGlite is
 * left out: the function always has DATABASE_URL, and the embedded database is only loaded
 * without one. Zod's error messages in other languages are left out too (the ledger speaks English),
 * and so are `z.fromJSONSchema` and `z.compile`, which it never calls.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { build, type Metafile, type Plugin } from "esbuild";
import { zipSync } from "fflate";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface LambdaBundle {
  /** The entry module: the file the function's handler names. */
  file: string;
  /** Every module of the bundle, relative to the entry's folder (the entry, then its chunks). */
  files: string[];
  zip: string;
  /** What a cold start loads, the entry and the chunks it imports statically: size and gzip size. */
  bytes: number;
  gzipBytes: number;
  /** Every module, including those loaded on first use. */
  allBytes: number;
  zipBytes: number;
  /** The packages inside the bundle (from esbuild's metafile), to check what was left out. */
  packages: string[];
  /** The source files and package modules a cold start loads (from the metafile), to check what waits for first use. */
  coldInputs: string[];
}

/** Modules the bundle must not contain, and those that can't be bundled (native add-ons the driver loads only when asked). */
const LEFT_OUT = ["@electric-sql/pglite", "pg-native"];

/**
 * Zod's `z` namespace re-exports every locale (about 260 kB of translated error messages), so no
 * bundler can drop them; the ledger only ever uses the English one zod sets up itself.
 */
const englishOnlyZod: Plugin = {
  name: "english-only-zod",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: "zod-locales", namespace: "english-only-zod" } : undefined,
    );
    b.onLoad({ filter: /^from-json-schema$/, namespace: "english-only-zod" }, () => ({
      contents: 'export function fromJSONSchema() { throw new Error("z.fromJSONSchema is not in the Lambda bundle"); }',
      loader: "js",
    }));
    b.onLoad({ filter: /^zod-locales$/, namespace: "english-only-zod" }, () => ({
      contents: 'export { default as en } from "zod/v4/locales/en.js";',
      resolveDir: root,
      loader: "js",
    }));
    // Likewise `z.fromJSONSchema` (schemas made from JSON Schema at run time): the ledger's schemas are all written in zod.
    b.onResolve({ filter: /^\.\/from-json-schema\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: "from-json-schema", namespace: "english-only-zod" } : undefined,
    );
    // And `z.compile` (schemas compiled to JavaScript ahead of parsing, about 29 kB): the ledger never
    // calls it, and zod's parser doesn't import it (it knows the compiler's sentinels by Symbol.for).
    b.onResolve({ filter: /^\.\/compile\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]core[\\/]index\.js$/.test(args.importer) ? { path: "compile", namespace: "english-only-zod" } : undefined,
    );
    b.onLoad({ filter: /^compile$/, namespace: "english-only-zod" }, () => ({
      contents: [
        'export const INVALID = Symbol.for("zod.compile.invalid");',
        "export class ZodCompileAsyncError extends Error {}",
        "export class ZodCompileUnsupportedError extends Error {}",
        ...["compile", "compileFn", "withParser"].map((name) => `export function ${name}() { throw new Error("z.${name} is not in the Lambda bundle"); }`),
      ].join("\n"),
      loader: "js",
    }));
  },
};

/**
 * pg picks its socket at load by asking whether it runs on Cloudflare Workers: on Node 20, which has
 * no `navigator`, it builds a `Response` to find out, and that loads Node's whole fetch
 * implementation (undici) during the import. A Lambda function is never a Worker: the bundle gets
 * pg's Node sockets directly. (Node 22 has `navigator` and never asks; the first HTTP event loads
 * undici either way, for the Request it is handed as.)
 */
const nodeSocketsForPg: Plugin = {
  name: "node-sockets-for-pg",
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, () => ({
      contents:
        'const net = require("net"), tls = require("tls"); module.exports = { getStream: () => new net.Socket(), getSecureStream: (options) => tls.connect(options) };',
      loader: "js",
    }));
  },
};

/**
 * prom-client's entry loads all of it: summaries (with their t-digest), the push gateway, the
 * process's default metrics (with OpenTelemetry's API) and cluster aggregation, none of which the
 * ledger uses. The bundle takes only the registry and the three kinds of metric LedgerMetrics makes
 * (core/metrics.ts); `GET /metrics` answers the same.
 */
const usedPromClient: Plugin = {
  name: "used-prom-client",
  setup(b) {
    b.onResolve({ filter: /^prom-client$/ }, () => ({ path: "prom-client", namespace: "used-prom-client" }));
    b.onLoad({ filter: /.*/, namespace: "used-prom-client" }, () => ({
      contents: ["Registry", "Counter", "Gauge", "Histogram"]
        .map((name) => `export { default as ${name} } from "prom-client/lib/${name.toLowerCase()}.js";`)
        .join("\n"),
      resolveDir: root,
      loader: "js",
    }));
  },
};

/** The outputs a module imports statically, transitively: what loading it loads. */
function staticClosure(metafile: Metafile, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (output: string) => {
    if (seen.has(output)) return;
    seen.add(output);
    for (const imported of metafile.outputs[output]?.imports ?? []) if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
  };
  visit(entry);
  return [...seen];
}

export async function buildLambda(outDir = join(root, "dist")): Promise<LambdaBundle> {
  const dir = join(outDir, "lambda");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "index.mjs");
  const result = await build({
    absWorkingDir: root,
    entryPoints: { index: "src/ledger/adapters/aws-lambda.ts" },
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    splitting: true,
    plugins: [englishOnlyZod, nodeSocketsForPg, usedPromClient],
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
  const outputs = Object.keys(result.metafile.outputs).filter((output) => output.endsWith(".mjs"));
  const entryOutput = outputs.find((output) => resolve(root, output) === file);
  if (!entryOutput) throw new Error("esbuild wrote no index.mjs");
  const files = [entryOutput, ...outputs.filter((output) => output !== entryOutput)].map((output) => relative(dir, resolve(root, output)));
  const coldOutputs = staticClosure(result.metafile, entryOutput);
  const coldStart = coldOutputs.map((output) => readFileSync(resolve(root, output)));
  const coldInputs = [...new Set(coldOutputs.flatMap((output) => Object.keys(result.metafile.outputs[output]?.inputs ?? {})))].sort();
  const zip = join(outDir, "ledger-lambda.zip");
  const zipped = Object.fromEntries(files.flatMap((name) => [name, `${name}.map`]).map((name) => [name, readFileSync(join(dir, name))]));
  writeFileSync(zip, zipSync(zipped, { level: 9, mtime: new Date("2000-01-01T00:00:00Z") }));
  return {
    file,
    files,
    zip,
    bytes: coldStart.reduce((sum, code) => sum + code.byteLength, 0),
    gzipBytes: coldStart.reduce((sum, code) => sum + gzipSync(code).byteLength, 0),
    allBytes: files.reduce((sum, name) => sum + statSync(join(dir, name)).size, 0),
    zipBytes: statSync(zip).size,
    packages,
    coldInputs,
  };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { "out-dir": { type: "string" } }, strict: true });
  const bundle = await buildLambda(values["out-dir"] ? resolve(values["out-dir"]) : undefined);
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(0)} kB`;
  console.log(
    `Lambda bundle: ${relative(process.cwd(), bundle.file)}, handler index.handler — a cold start loads ${kB(bundle.bytes)} (${kB(bundle.gzipBytes)} gzip); ${bundle.files.length} modules, ${kB(bundle.allBytes)} in all`,
  );
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
