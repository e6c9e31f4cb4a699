import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { freePort } from "../setup/embedded-postgres.js";

export interface LedgerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** What the process printed (its request log). */
  output(): string;
  /** SIGTERM, and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to finish anything. */
  kill(): Promise<void>;
}

/**
 * Starts the ledger as `npm run ledger -- serve` does (tsx running src/ledger/cli.ts), in its own
 * process, on `port` (a free one when not given).
 */
export async function startLedgerProcess(env: Record<string, string>, options: { port?: number; nodeArgs?: string[] } = {}): Promise<LedgerProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", "src/ledger/cli.ts", "serve"], {
    env: { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ledger did not start in 60 s:\n${output}`)), 60_000);
    const check = setInterval(() => {
      if (output.includes("ledger listening")) {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    }, 20);
    void exited.then((code) => {
      clearTimeout(timer);
      clearInterval(check);
      reject(new Error(`ledger exited with ${code}:\n${output}`));
    });
  });
  // A long run's request log would grow without bound; keep only the tail.
  child.stdout!.on("data", () => {
    if (output.length > 1_000_000) output = output.slice(-200_000);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => output,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** A process's resident memory now (VmRSS) or at its peak so far (VmHWM), in MB (Linux): for reports, never asserted. */
export const residentMb = (pid: number | undefined, field: "VmRSS" | "VmHWM"): number =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;

/** One JSON call to a ledger process with a tenant's key; a POST gets a fresh Idempotency-Key. */
export async function callLedger(ledger: Pick<LedgerProcess, "url">, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${ledger.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      ...(method === "POST" ? { "idempotency-key": randomUUID() } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}
