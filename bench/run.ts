/**
 * `npm run bench`: measures, prints, and writes bench/results/<time>.json (and latest.json).
 * Nothing here is asserted; the README explains how to read the numbers.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { hasCommand } from "./lib.js";
import { benchAppLoad } from "./app-load.js";
import { measureAppSize } from "./app-size.js";
import { benchGrowth } from "./growth.js";
import { benchLedgerThroughput } from "./ledger-throughput.js";

async function main() {
  // `npm run bench -- growth` runs one section (app, throughput, growth, app-load); no argument runs them all.
  const sections = new Set(process.argv.slice(2));
  const wanted = (name: string) => sections.size === 0 || sections.has(name);
  const missing = ["wrk", "pgbench"].filter((name) => !hasCommand(name));
  if (missing.length && (wanted("throughput") || wanted("growth"))) {
    console.error(
      `npm run bench needs ${missing.join(" and ")} (Debian: apt-get install -y ${missing.map((m) => (m === "pgbench" ? "postgresql" : m)).join(" ")}).`,
    );
    process.exit(1);
  }
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const report: Record<string, unknown> = {
    time: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
  };
  if (wanted("app")) {
    const size = measureAppSize();
    report.appSize = size;
    console.log(
      `app: ${(size.initialJsGzipBytes / 1000).toFixed(1)} kB gzip of JavaScript at start (${(size.initialJsBytes / 1000).toFixed(0)} kB raw; budget 180 kB, Deskpro's template 276 kB); ${(size.lazyJsGzipBytes / 1000).toFixed(1)} kB more loaded later\n`,
    );
  }
  if (wanted("app-load")) {
    const load = await benchAppLoad();
    report.appLoad = load;
    console.log(
      `app load: iframe start → balance visible in the ticket sidebar, median ${load.medianMs} ms over ${load.loads} loads (min ${load.minMs}, max ${load.maxMs}; Chromium, ledger on PGlite, warm)\n`,
    );
  }
  if (wanted("throughput")) {
    const throughput = await benchLedgerThroughput({ seconds, wallets: 1000 });
    report.ledgerThroughput = throughput;

    const pg16 = throughput.runs.find((r) => r.backend === "postgres" && r.clients === 16 && !r.hotBank);
    const pgbench16 = throughput.pgbench.find((r) => r.clients === 16 && r.via === "direct");
    if (pg16 && pgbench16) {
      const ratio = pg16.rps / pgbench16.tps;
      report.budgets = {
        debitsVsPgbenchAt16: { ratio: Number(ratio.toFixed(3)), aim: ">= 0.6", met: ratio >= 0.6 },
        p99At16Ms: { value: pg16.p99, aim: "<= 25", met: pg16.p99 <= 25, pgbenchP99: pgbench16.p99 },
        lostOrDuplicated: { value: throughput.integrity.reduce((s, i) => s + i.lost + i.duplicated + i.walletsOutOfBalance, 0), aim: "0" },
      };
      console.log(
        `\nledger debits at 16 clients / pgbench TPS at 16 clients = ${ratio.toFixed(2)} (aim ≥ 0.6); p99 ${pg16.p99.toFixed(1)} ms (aim ≤ 25; pgbench's own p99 ${pgbench16.p99.toFixed(1)} ms)`,
      );
    }
    const at16 = (backend: string) => throughput.runs.find((r) => r.backend === backend && r.clients === 16 && !r.hotBank);
    for (const [backend, what] of [
      ["postgres-pool-4", "directly with 4 connections (LEDGER_POOL_SIZE=4)"],
      ["postgres-pool-16", "directly with a connection per client (LEDGER_POOL_SIZE=16)"],
      ["postgres-unnamed", "directly without named statements (LEDGER_POOLER=transaction)"],
      ["pgbouncer", "through PgBouncer, transaction mode"],
      ["pgbouncer-4", "through PgBouncer with 4 server connections"],
      ["two-processes", "two ledger processes on one PostgreSQL"],
    ] as const) {
      const run = at16(backend);
      if (pg16 && run)
        console.log(
          `${what} at 16 clients: ${run.rps.toFixed(0)} debits/s = ${(run.rps / pg16.rps).toFixed(2)}× one process directly; p99 ${run.p99.toFixed(1)} ms`,
        );
    }
    for (const hot of throughput.runs.filter((r) => r.hotBank)) {
      if (pgbench16)
        console.log(
          `one hot bank, ${hot.backend}, 16 clients: ${hot.rps.toFixed(0)} debits/s = ${(hot.rps / pgbench16.tps).toFixed(2)}× pgbench (aim ≥ 0.3); p99 ${hot.p99.toFixed(1)} ms`,
        );
    }
    for (const i of throughput.integrity) {
      console.log(
        `integrity ${i.backend}: ${i.acknowledged} acknowledged, ${i.written} written, lost ${i.lost}, duplicated ${i.duplicated}, banks out of balance ${i.walletsOutOfBalance}`,
      );
    }
  }
  if (wanted("growth")) {
    const sizes = process.env.BENCH_GROWTH_SIZES?.split(",").map(Number);
    report.growth = await benchGrowth({ seconds: Math.min(seconds, 5), sizes });
  }

  mkdirSync("bench/results", { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const file = `bench/results/${report.time as string}.json`.replaceAll(":", "-");
  writeFileSync(file, json);
  writeFileSync("bench/results/latest.json", json);
  console.log(`\nwrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
