/**
 * `npm run bench`: measures, prints, and writes bench/results/<time>.json (and latest.json).
 * Nothing here is asserted; the README explains how to read the numbers.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { hasCommand } from "./lib.js";
import { benchAppLoad } from "./app-load.js";
import { measureAppSize } from "./app-size.js";
import { benchCustomerPage } from "./customer-page.js";
import { benchLambdaCold } from "./lambda-cold.js";
import { benchGrowth } from "./growth.js";
import { benchLedgerThroughput } from "./ledger-throughput.js";

async function main() {
  // `npm run bench -- growth` runs one section (app, app-load, lambda, customer-page, throughput, growth); no argument runs them all.
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
  // What people feel (issue 28): one row each, with its aim, and whether this run met it.
  const felt: { what: string; value: string; aim: string; met: boolean }[] = [];
  const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
  if (wanted("app-load")) {
    const load = await benchAppLoad();
    report.appLoad = load;
    const s = load.steps;
    console.log(
      `app load: iframe start → balance visible in the ticket sidebar, median ${load.medianMs} ms over ${load.loads} loads (min ${load.minMs}, max ${load.maxMs}; Chromium, ledger on PGlite, warm)`,
    );
    console.log(
      `  medians from iframe start: script run ${s.scriptRun} ms → SDK ready ${s.sdkReady} → context ${s.context} → ledger answered ${s.ledgerAnswered} (${s.proxyRequestsBefore} proxied requests) → balance visible ${s.balanceVisible}\n`,
    );
    felt.push({
      what: "ticket sidebar: iframe start → balance visible (median of 15)",
      value: `${load.medianMs} ms`,
      aim: "≤ 150 ms",
      met: load.medianMs <= 150,
    });
  }
  if (wanted("app")) {
    const size = measureAppSize();
    report.appSize = size;
    console.log(
      `app: ${kB(size.initialJsGzipBytes)} gzip of JavaScript at start (${(size.initialJsBytes / 1000).toFixed(0)} kB raw; aim 120 kB, Deskpro's template 276 kB); ${kB(size.lazyJsGzipBytes)} more loaded on demand\n`,
    );
    felt.push({ what: "the app's start-up JavaScript (gzip)", value: kB(size.initialJsGzipBytes), aim: "≤ 120 kB", met: size.initialJsGzipBytes <= 120_000 });
  }
  if (wanted("lambda")) {
    const cold = await benchLambdaCold();
    report.lambdaCold = cold;
    console.log(
      `Lambda: import in a fresh process, median ${cold.importMedianMs} ms over ${cold.importSamplesMs.length} (aim ≤ 80), then the first event (GET /healthz) ${cold.firstEventMedianMs} ms; a cold start loads ${kB(cold.coldGzipBytes)} gzip (${kB(cold.coldBytes)} raw; aim ≤ 150 kB gzip) of ${kB(cold.allBytes)} in ${cold.modules} modules\n`,
    );
    felt.push({
      what: "the Lambda bundle: import (cold init) / size (gzip)",
      value: `${cold.importMedianMs} ms / ${kB(cold.coldGzipBytes)}`,
      aim: "≤ 80 ms / ≤ 150 kB",
      met: cold.importMedianMs <= 80 && cold.coldGzipBytes <= 150_000,
    });
  }
  if (wanted("customer-page")) {
    const page = await benchCustomerPage();
    report.customerPage = page;
    console.log(
      `customer page (phone): first byte median ${page.firstByteMedianMs} ms over ${page.firstByteSamplesMs.length} (aim ≤ 100); ${kB(page.bytes)} (${kB(page.gzipBytes)} gzip; aim ≤ 30 kB), the whole page: no scripts, images or fonts\n`,
    );
    felt.push({
      what: "the customer page on a phone: first byte and size",
      value: `${page.firstByteMedianMs} ms, ${kB(page.bytes)}`,
      aim: "≤ 100 ms and ≤ 30 kB",
      met: page.firstByteMedianMs <= 100 && page.bytes <= 30_000,
    });
  }
  if (felt.length) {
    report.felt = felt;
    console.log("what people feel | this run | aim | met");
    for (const row of felt) console.log(`${row.what} | ${row.value} | ${row.aim} | ${row.met ? "yes" : "no"}`);
    console.log("");
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
