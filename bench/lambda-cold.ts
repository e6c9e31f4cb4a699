/**
 * The Lambda bundle's cold start: `npm run build:lambda`'s output imported in a fresh Node process
 * (what Lambda's init phase does before the first event), timed inside that process, median over
 * several processes; and the size of what that import loads (the entry and the chunks it imports
 * statically; chunks imported on first use, such as Stripe's SDK, are counted apart).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildLambda } from "../scripts/build-lambda.js";

export interface LambdaColdResult {
  importMedianMs: number;
  importSamplesMs: number[];
  /** After the import, the first event (`GET /healthz`) answered: the rest of a cold start's own work. */
  firstEventMedianMs: number;
  coldGzipBytes: number;
  coldBytes: number;
  allBytes: number;
  modules: number;
}

/**
 * The import, then the first event: `GET /healthz` as API Gateway sends it, which builds the HTTP app
 * and a web Request (loading Node's fetch classes) but touches no database (the pool connects on first
 * query, and migrations are off), so what moved out of the import into the first event is counted too.
 */
const TIME_IMPORT = `
const t0 = performance.now();
const { handler } = await import(process.argv[1]);
const t1 = performance.now();
const answer = await handler({
  version: "2.0", routeKey: "$default", rawPath: "/healthz", rawQueryString: "", headers: { host: "ledger.test" }, isBase64Encoded: false,
  requestContext: { http: { method: "GET", path: "/healthz", protocol: "HTTP/1.1", sourceIp: "198.51.100.7", userAgent: "bench" }, requestId: "bench", routeKey: "$default", stage: "$default", timeEpoch: 0 },
});
const t2 = performance.now();
if (answer.statusCode !== 200) throw new Error("GET /healthz answered " + answer.statusCode);
// Beside the function's own log lines on stdout.
console.log(JSON.stringify({ importMs: t1 - t0, firstEventMs: t2 - t1 }));`;

export async function benchLambdaCold(options: { runs?: number } = {}): Promise<LambdaColdResult> {
  const runs = options.runs ?? 15;
  const outDir = mkdtempSync(join(tmpdir(), "bench-lambda-"));
  try {
    const bundle = await buildLambda(outDir);
    const samples: number[] = [];
    const firstEvents: number[] = [];
    for (let i = 0; i < runs + 2; i++) {
      // Only what Lambda gives the function: its own folder, no node_modules around it.
      const run = spawnSync(process.execPath, ["--input-type=module", "-e", TIME_IMPORT, pathToFileURL(bundle.file).href], {
        encoding: "utf8",
        cwd: outDir,
        // A database address nothing listens on: the first event here never queries it.
        env: { PATH: process.env.PATH ?? "", TZ: "UTC", DATABASE_URL: "postgres://ledger@127.0.0.1:9/ledger", LEDGER_MIGRATE_ON_START: "false" },
      });
      if (run.status !== 0) throw new Error(`importing the Lambda bundle failed:\n${run.stderr}`);
      // The first two warm the file system cache, as a Lambda host's would be.
      if (i >= 2) {
        const timed = JSON.parse(run.stdout.split("\n").find((line) => line.includes('"importMs"'))!) as { importMs: number; firstEventMs: number };
        samples.push(timed.importMs);
        firstEvents.push(timed.firstEventMs);
      }
    }
    return {
      importMedianMs: round(median(samples)),
      importSamplesMs: samples.map(round),
      firstEventMedianMs: round(median(firstEvents)),
      coldGzipBytes: bundle.gzipBytes,
      coldBytes: bundle.bytes,
      allBytes: bundle.allBytes,
      modules: bundle.files.length,
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (ms: number) => Math.round(ms * 10) / 10;
