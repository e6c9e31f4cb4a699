/**
 * The customer page (`/pay/<signed link>`) as a phone asks for it: time to the first byte of the
 * answer and its size, raw and gzip, from the development host's ledger (PGlite, warm, with the
 * demo's history), median of 15 after 3 warm-up requests. The page is one HTML document with its
 * styles inline and no scripts, images or fonts, so its size is everything a phone downloads.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { startDevHost } from "../src/devhost/devhost.js";

export interface CustomerPageResult {
  firstByteMedianMs: number;
  firstByteSamplesMs: number[];
  bytes: number;
  gzipBytes: number;
}

const PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";

function get(url: string): Promise<{ firstByteMs: number; status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { headers: { "user-agent": PHONE, accept: "text/html" }, agent: false }, (res) => {
      let firstByteMs = -1;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => {
        if (firstByteMs < 0) firstByteMs = performance.now() - started;
        chunks.push(chunk);
      });
      res.on("end", () => resolve({ firstByteMs, status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

export async function benchCustomerPage(options: { loads?: number; warmup?: number } = {}): Promise<CustomerPageResult> {
  const loads = options.loads ?? 15;
  const warmup = options.warmup ?? 3;
  const dataDir = mkdtempSync(join(tmpdir(), "bench-customer-page-"));
  const host = await startDevHost({ dataDir, hostPort: 0, ledgerPort: 0 });
  try {
    if (!host.apiKey) throw new Error("the development host started without its demo tenant");
    const made = await fetch(`${host.ledgerUrl}/v1/wallets/org:42/customer-links`, {
      method: "POST",
      headers: { authorization: `Bearer ${host.apiKey}`, "content-type": "application/json", "idempotency-key": "bench-customer-page" },
      body: JSON.stringify({ days: 7 }),
    });
    if (!made.ok) throw new Error(`no customer link: ${made.status} ${await made.text()}`);
    const { url } = (await made.json()) as { url: string };
    const samples: number[] = [];
    let body: Buffer = Buffer.alloc(0);
    for (let i = 0; i < warmup + loads; i++) {
      const answer = await get(url);
      if (answer.status !== 200) throw new Error(`the customer page answered ${answer.status}`);
      if (i >= warmup) samples.push(answer.firstByteMs);
      body = answer.body;
    }
    const sorted = [...samples].sort((a, b) => a - b);
    return {
      firstByteMedianMs: round(sorted[Math.floor(sorted.length / 2)]!),
      firstByteSamplesMs: samples.map(round),
      bytes: body.length,
      gzipBytes: gzipSync(body).length,
    };
  } finally {
    await host.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
