/**
 * Builds a ledger for a test on either storage backend and talks to it over its real fetch
 * handler (Request in, Response out), exactly as a Node or serverless host would.
 */
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { createLedgerApp, type Logger } from "../../src/ledger/http/app.js";
import { openDatabase, type Database } from "../../src/ledger/storage/db.js";
import { migrate } from "../../src/ledger/storage/migrations.js";
import { createTenant } from "../../src/ledger/core/tenants.js";

export type Backend = "pglite" | "postgres";

/** The real PostgreSQL from the global setup, or "" when none could be had (and not under CI). */
export const postgresUrl = (): string => inject("databaseUrl");

/** Backends to run a suite against: PGlite always; PostgreSQL when one is available. */
export function backends(): Backend[] {
  return postgresUrl() ? ["pglite", "postgres"] : ["pglite"];
}

const migrated = new Set<string>();

/** A migrated database: a fresh in-memory PGlite, or a pool on the shared test PostgreSQL database. */
export async function openTestDatabase(backend: Backend, poolSize = 20): Promise<Database> {
  const db = backend === "pglite" ? await openDatabase() : await openDatabase({ databaseUrl: postgresUrl(), poolSize });
  if (backend === "pglite" || !migrated.has(postgresUrl())) {
    await migrate(db);
    if (backend === "postgres") migrated.add(postgresUrl());
  }
  return db;
}

/** A clock tests can move. */
export class TestClock {
  constructor(public current = new Date("2026-01-01T00:00:00.000Z")) {}
  now = (): Date => new Date(this.current);
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
  set(date: Date | string): void {
    this.current = new Date(date);
  }
}

export const DAY = 24 * 60 * 60 * 1000;

export interface CallOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  key?: string | null;
  /** An Idempotency-Key; a fresh one is made for writes unless this is null. */
  idempotencyKey?: string | null;
}

export interface CallResult<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface TestLedger {
  backend: Backend;
  db: Database;
  tenantId: string;
  apiKey: string;
  clock: TestClock;
  logs: Record<string, unknown>[];
  fetch(request: Request): Promise<Response>;
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<CallResult<T>>;
  /** Another tenant on the same database. */
  newTenant(name?: string): Promise<{ tenantId: string; apiKey: string }>;
  close(): Promise<void>;
}

export async function createTestLedger(backend: Backend, options: { db?: Database; log?: Logger } = {}): Promise<TestLedger> {
  const db = options.db ?? (await openTestDatabase(backend));
  const clock = new TestClock();
  const logs: Record<string, unknown>[] = [];
  const app = createLedgerApp({ db, clock: clock.now, log: options.log ?? ((line) => logs.push(line)) });
  const newTenant = (name = `tenant-${randomUUID()}`) => createTenant(db, { name });
  const { tenantId, apiKey } = await newTenant();
  const fetch = async (request: Request) => app.fetch(request);
  const call = async <T>(method: string, path: string, opts: CallOptions = {}): Promise<CallResult<T>> => {
    const headers: Record<string, string> = { ...opts.headers };
    const key = opts.key === undefined ? apiKey : opts.key;
    if (key !== null) headers.authorization ??= `Bearer ${key}`;
    const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    if (body !== undefined) headers["content-type"] ??= "application/json";
    if ((method === "POST" || method === "PUT") && opts.idempotencyKey !== null) {
      headers["idempotency-key"] ??= opts.idempotencyKey ?? randomUUID();
    }
    const response = await app.fetch(new Request(`http://ledger.test${path}`, { method, headers, body }));
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get("content-type") ?? "").includes("json")) parsed = JSON.parse(text);
    return { status: response.status, body: parsed as T, text, headers: response.headers };
  };
  return {
    backend,
    db,
    tenantId,
    apiKey,
    clock,
    logs,
    fetch,
    call,
    newTenant,
    close: async () => {
      if (!options.db) await db.close();
    },
  };
}
