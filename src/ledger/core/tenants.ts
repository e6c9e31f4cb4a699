import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { newId } from "./ids.js";
import type { Database, Sql } from "../storage/db.js";
import * as repo from "../storage/tenants.js";

export const TenantName = z
  .string()
  .trim()
  .min(1, "a tenant name is required")
  .max(100)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u, "use letters, digits, spaces, '.', '_' and '-'");

/** SHA-256 of the key. Keys carry 256 bits of randomness, so a slow password hash would add nothing. */
export function hashApiKey(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex");
}

function generateApiKey(): string {
  return `sck_${randomBytes(32).toString("base64url")}`;
}

async function issueKey(sql: Sql, tenantId: string, now: Date): Promise<string> {
  const apiKey = generateApiKey();
  await repo.insertApiKey(sql, { hash: hashApiKey(apiKey), tenantId, prefix: apiKey.slice(0, 10), now });
  return apiKey;
}

/** Creates a tenant and its first API key. The key is returned once and stored only as a hash. */
export async function createTenant(db: Database, input: { name: string }, now = new Date()): Promise<{ tenantId: string; apiKey: string }> {
  const name = TenantName.parse(input.name);
  return db.transaction(async (tx) => {
    if (await repo.findTenant(tx, name)) throw new Error(`A tenant named "${name}" already exists.`);
    const tenantId = newId("tnt", now);
    await repo.insertTenant(tx, { id: tenantId, name, now });
    const apiKey = await issueKey(tx, tenantId, now);
    return { tenantId, apiKey };
  });
}

/** Revokes every key of the tenant and issues a new one (printed once). */
export async function rotateTenantKey(db: Database, idOrName: string, now = new Date()): Promise<{ tenantId: string; apiKey: string; revoked: number }> {
  return db.transaction(async (tx) => {
    const tenant = await repo.findTenant(tx, idOrName);
    if (!tenant) throw new Error(`No tenant with id or name "${idOrName}".`);
    const revoked = await repo.revokeApiKeys(tx, tenant.id, now);
    const apiKey = await issueKey(tx, tenant.id, now);
    forgetCachedKeys();
    return { tenantId: tenant.id, apiKey, revoked };
  });
}

/**
 * How long a helpdesk's keys keep working after a sign-up issued it a new one. Deskpro stores the
 * new key only when the admin presses Save in its settings form, which the ledger never sees (and
 * SDK 6 can't even tell the page whether it stored it): revoking at once would leave a helpdesk
 * whose admin didn't save with no working key. A key that leaked is revoked at once with
 * `tenant rotate-key`.
 */
export const SIGNUP_KEY_GRACE_MS = 24 * 60 * 60 * 1000;

/**
 * The tenant of a helpdesk, made on its first sign-up. A sign-up for a helpdesk that already has
 * one (the admin reinstalled the app, or lost the key) issues a new key rather than handing an
 * old one out (keys are stored as hashes only); the old keys stop working SIGNUP_KEY_GRACE_MS
 * later, once Deskpro has had every chance to store the new one. The caller has proven it administers the helpdesk before calling this, and `work` runs in the same
 * transaction (the helpdesk connection is saved with the key, or neither is).
 */
export async function signUpHelpdeskTenant<T>(
  db: Database,
  input: { helpdeskOrigin: string; name: string },
  work: (tx: Sql, tenant: { tenantId: string; apiKey: string; created: boolean }) => Promise<T>,
  now = new Date(),
): Promise<T> {
  return db.transaction(async (tx) => {
    await repo.lockHelpdesk(tx, input.helpdeskOrigin);
    const existing = await repo.findTenantIdByHelpdesk(tx, input.helpdeskOrigin);
    if (existing) {
      await repo.revokeApiKeys(tx, existing, new Date(now.getTime() + SIGNUP_KEY_GRACE_MS));
      return work(tx, { tenantId: existing, apiKey: await issueKey(tx, existing, now), created: false });
    }
    const tenantId = newId("tnt", now);
    // Names are unique; a helpdesk named like a CLI-made tenant gets its id's tail added.
    const base = TenantName.parse(input.name.slice(0, 80));
    const name = (await repo.tenantNameTaken(tx, base)) ? `${base} ${tenantId.slice(-6)}` : base;
    await repo.insertTenant(tx, { id: tenantId, name, now, helpdeskOrigin: input.helpdeskOrigin });
    return work(tx, { tenantId, apiKey: await issueKey(tx, tenantId, now), created: true });
  });
}

export const listTenants = (db: Database) => repo.listTenants(db);

/**
 * Suspends a tenant (an operator's decision): its API keys and web hooks are answered 403
 * `tenant_suspended` and its background work (outbox, sweep) pauses; nothing is deleted. Other
 * processes see it once their cached keys expire (KEY_CACHE_MS).
 */
export async function suspendTenant(db: Database, idOrName: string, now = new Date()): Promise<{ tenantId: string; name: string; changed: boolean }> {
  const tenant = await repo.findTenant(db, idOrName);
  if (!tenant) throw new Error(`No tenant with id or name "${idOrName}".`);
  const changed = await repo.suspendTenant(db, tenant.id, now);
  forgetCachedKeys();
  return { tenantId: tenant.id, name: tenant.name, changed };
}

/** Lifts a suspension: keys, web hooks and background work are as they were. */
export async function resumeTenant(db: Database, idOrName: string): Promise<{ tenantId: string; name: string; changed: boolean }> {
  const tenant = await repo.findTenant(db, idOrName);
  if (!tenant) throw new Error(`No tenant with id or name "${idOrName}".`);
  const changed = await repo.resumeTenant(db, tenant.id);
  forgetCachedKeys();
  return { tenantId: tenant.id, name: tenant.name, changed };
}

/** Whether an operator has suspended the tenant (asked of the database each time: web hooks are few). */
export const isTenantSuspended = (db: Database, tenantId: string): Promise<boolean> => repo.isTenantSuspended(db, tenantId);

/** The tenant a key belongs to, and whether an operator has suspended it. */
export interface AuthenticatedTenant {
  tenantId: string;
  suspended: boolean;
}

/**
 * Known keys are remembered for a few seconds so a busy client doesn't cost a query per request;
 * a revoked key (or a suspension, which is remembered with the key) therefore takes effect within
 * KEY_CACHE_MS everywhere. Unknown keys are never cached.
 */
export const KEY_CACHE_MS = 10_000;
const KEY_CACHE_LIMIT = 10_000;
const keyCache = new Map<string, AuthenticatedTenant & { until: number }>();

/** The tenant of a key this process accepted within KEY_CACHE_MS, without asking the database; else null. */
export function recentlyAuthenticated(apiKey: string): AuthenticatedTenant | null {
  const cached = keyCache.get(hashApiKey(apiKey));
  return cached && cached.until > Date.now() ? { tenantId: cached.tenantId, suspended: cached.suspended } : null;
}

export async function authenticate(db: Database, apiKey: string): Promise<AuthenticatedTenant | null> {
  const known = recentlyAuthenticated(apiKey);
  if (known) return known;
  const hash = hashApiKey(apiKey);
  const now = Date.now();
  const tenant = await repo.findTenantByKeyHash(db, hash, new Date(now));
  if (tenant) {
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(hash, { ...tenant, until: now + KEY_CACHE_MS });
  } else {
    keyCache.delete(hash);
  }
  return tenant;
}

/** Forget cached keys (this process rotated or revoked one, or suspended or resumed a tenant). */
export function forgetCachedKeys(): void {
  keyCache.clear();
}
