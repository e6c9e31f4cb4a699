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
  coldGzipBytes: number;
  coldBytes: number;
  allBytes: number;
  modules: number;
}

const TIME_IMPORT = `const t = performance.now(); await import(process.argv[1]); console.log(performance.now() - t);`;

export async function benchLambdaCold(options: { runs?: number } = {}): Promise<LambdaColdResult> {
  const runs = options.runs ?? 15;
  const outDir = mkdtempSync(join(tmpdir(), "bench-lambda-"));
  try {
    const bundle = await buildLambda(outDir);
    const samples: number[] = [];
    for (let i = 0; i < runs + 2; i++) {
      // Only what Lambda gives the function: its own folder, no node_modules around it.
      const run = spawnSync(process.execPath, ["--input-type=module", "-e", TIME_IMPORT, pathToFileURL(bundle.file).href], {
        encoding: "utf8",
        cwd: outDir,
        env: { PATH: process.env.PATH ?? "", TZ: "UTC" },
      });
      if (run.status !== 0) throw new Error(`importing the Lambda bundle failed:\n${run.stderr}`);
      // The first two warm the file system cache, as a Lambda host's would be.
      if (i >= 2) samples.push(Number(run.stdout.trim()));
    }
    const sorted = [...samples].sort((a, b) => a - b);
    return {
      importMedianMs: round(sorted[Math.floor(sorted.length / 2)]!),
      importSamplesMs: samples.map(round),
      coldGzipBytes: bundle.gzipBytes,
      coldBytes: bundle.bytes,
      allBytes: bundle.allBytes,
      modules: bundle.files.length,
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
