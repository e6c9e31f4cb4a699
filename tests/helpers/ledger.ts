/**
 * Builds a ledger for a test on either storage backend and talks to it over its real fetch
 * handler (Request in, Response out), exactly as a Node or serverless host would.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createLedgerApp, type LedgerAppDeps, type Logger } from "../../src/ledger/http/app.js";
import { openDatabase, type Database } from "../../src/ledger/storage/db.js";
import { migrate } from "../../src/ledger/storage/migrations.js";
import { createTenant } from "../../src/ledger/core/tenants.js";

/** Where a test's ledger keeps its journal: PGlite, PostgreSQL directly, or PostgreSQL through PgBouncer in transaction mode. */
export type Backend = "pglite" | "postgres" | "pgbouncer";

/** The real PostgreSQL from the global setup, or "" when none could be had (and not under CI). */
export const postgresUrl = (): string => inject("databaseUrl");

/** The same database through PgBouncer in transaction mode, or "" when there is none (and not under CI). */
export const pgbouncerUrl = (): string => inject("pgbouncerUrl");

/** Backends to run a suite against: PGlite always; PostgreSQL when one is available. */
export function backends(): Backend[] {
  return postgresUrl() ? ["pglite", "postgres"] : ["pglite"];
}

/** The ways to reach a PostgreSQL server that are available: directly, and through PgBouncer. */
export function serverBackends(): ("postgres" | "pgbouncer")[] {
  return [...(postgresUrl() ? (["postgres"] as const) : []), ...(pgbouncerUrl() ? (["pgbouncer"] as const) : [])];
}

export const backendName = (backend: Backend) =>
  ({ pglite: "PGlite", postgres: "PostgreSQL", pgbouncer: "PostgreSQL through PgBouncer (transaction mode)" })[backend];

let migrated = false;

/** A migrated database: a fresh in-memory PGlite, or a pool on the shared test PostgreSQL database (directly or through PgBouncer). */
export async function openTestDatabase(backend: Backend, poolSize = 20): Promise<Database> {
  const db =
    backend === "pglite"
      ? await openDatabase()
      : backend === "postgres"
        ? await openDatabase({ databaseUrl: postgresUrl(), poolSize })
        : await openDatabase({ databaseUrl: pgbouncerUrl(), poolSize, pooler: "transaction" });
  if (backend === "pglite" || !migrated) {
    await migrate(db);
    if (backend !== "pglite") migrated = true;
  }
  return db;
}

export interface ScratchDatabase {
  /** Direct to the server. */
  url: string;
  /** Through PgBouncer, or "" when there is none. */
  pgbouncerUrl: string;
  drop(): Promise<void>;
}

/**
 * A database of its own on the test server, empty (not migrated), for tests that must see a fresh
 * schema or must not touch other suites' tenants (sweeps over every tenant). PgBouncer keeps a
 * separate pool of server connections for it.
 */
export async function createScratchDatabase(purpose: string): Promise<ScratchDatabase> {
  const base = new URL(postgresUrl());
  const name = `${base.pathname.slice(1)}_${purpose}_${randomUUID().slice(0, 8)}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  const admin = new pg.Client({ connectionString: postgresUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const on = (url: string) => {
    if (!url) return "";
    const u = new URL(url);
    u.pathname = `/${name}`;
    return u.toString();
  };
  return {
    url: on(postgresUrl()),
    pgbouncerUrl: on(pgbouncerUrl()),
    drop: async () => {
      const cleanup = new pg.Client({ connectionString: postgresUrl() });
      await cleanup.connect();
      try {
        await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await cleanup.end();
      }
    },
  };
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

export async function createTestLedger(
  backend: Backend,
  options: { db?: Database; log?: Logger; app?: Pick<LedgerAppDeps, "stripeApi" | "publicUrl"> } = {},
): Promise<TestLedger> {
  const db = options.db ?? (await openTestDatabase(backend));
  const clock = new TestClock();
  const logs: Record<string, unknown>[] = [];
  const app = createLedgerApp({ ...options.app, db, clock: clock.now, log: options.log ?? ((line) => logs.push(line)) });
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
