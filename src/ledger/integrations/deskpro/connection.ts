/**
 * The tenant's Deskpro helpdesk: its address, the API key the ledger writes back with and the
 * secret Deskpro's webhook actions send. Secrets are sealed at rest and never leave through the
 * API: reads say only whether each is set.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import type { DeskproConnection, DeskproConnectionRequest } from "../../../contract/portal.js";
import type { DeliveryContext } from "../../core/outbox.js";
import { InvalidRequest, LedgerError } from "../../core/errors.js";
import { canonicalOrigin, checkOutboundUrl, type OutboundPolicy } from "../../core/outbound.js";
import { openSecret, sealSecret } from "../../core/secrets.js";
import type { Sql } from "../../storage/db.js";
import * as store from "../../storage/deskpro-connections.js";
import { createDeskproClient, type DeskproClient, type DeskproClientOptions } from "./client.js";

const binding = (tenantId: string, name: string) => `${tenantId}:deskpro.${name}`;

const toApi = (row: store.DeskproConnectionRow | null): DeskproConnection => ({
  url: row?.url ?? null,
  apiKeySet: row?.apiKeyCiphertext != null,
  apiKeyId: row?.apiKeyId ?? null,
  webhookSecretSet: row?.webhookSecretCiphertext != null,
  updatedAt: row?.updatedAt.toISOString() ?? null,
});

export async function getConnection(sql: Sql, tenantId: string): Promise<DeskproConnection> {
  return toApi(await store.getDeskproConnection(sql, tenantId));
}

const originOf = (url: string) => canonicalOrigin(url) ?? url;

/**
 * Saves the connection. The API key authenticates the ledger to whatever the address names, so a
 * stored key stays only with the address (origin) it was given for: a new address needs the key again.
 */
export async function putConnection(
  sql: Sql,
  tenantId: string,
  request: DeskproConnectionRequest,
  now: Date,
  outbound: OutboundPolicy,
): Promise<DeskproConnection> {
  checkOutboundUrl(request.url, outbound, "body.url");
  const stored = await store.getDeskproConnection(sql, tenantId);
  if (!request.apiKey && stored?.apiKeyCiphertext && originOf(stored.url) !== originOf(request.url)) {
    throw new InvalidRequest("The helpdesk's address changed: enter its API key again (a stored key is never sent to a new address).", [
      { path: "body.apiKey", message: "required when the helpdesk's address changes" },
    ]);
  }
  await store.putDeskproConnection(sql, tenantId, {
    url: request.url,
    apiKeyId: request.apiKey ? request.apiKey.split(":")[0]! : null,
    apiKeyCiphertext: request.apiKey ? sealSecret(request.apiKey, binding(tenantId, "apiKey")) : null,
    keyKeptFor: stored?.url ?? null,
    webhookSecretCiphertext: request.webhookSecret ? sealSecret(request.webhookSecret, binding(tenantId, "webhookSecret")) : null,
    now,
  });
  return getConnection(sql, tenantId);
}

/** Constant-time comparison of the secret a webhook presented with the stored one. */
export async function webhookSecretMatches(sql: Sql, tenantId: string, presented: string | undefined): Promise<boolean> {
  if (!presented || presented.length > 200) return false;
  const row = await store.getDeskproConnection(sql, tenantId);
  if (!row?.webhookSecretCiphertext) return false;
  const stored = openSecret(row.webhookSecretCiphertext, binding(tenantId, "webhookSecret"));
  // Hash both sides so lengths match and timing says nothing about the stored secret.
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(stored), digest(presented));
}

/** The tenant has not given the ledger its helpdesk's address and an API key. */
export class DeskproNotConnected extends LedgerError {
  readonly code = "deskpro_not_connected";
  /** For the outbox: retried later (the admin may connect), and the message is safe to keep. */
  readonly permanent = false;
  readonly safeToRecord = true;
  constructor() {
    super("Set the helpdesk's address and an API key on the settings page (or PUT /v1/integrations/deskpro) first.");
  }
}

export type DeskproClientFactory = (connection: { baseUrl: string; apiKey: string; fetch?: typeof fetch; retries?: number }) => DeskproClient;

export const defaultClientFactory =
  (overrides: Partial<DeskproClientOptions> = {}): DeskproClientFactory =>
  (connection) =>
    createDeskproClient({ ...overrides, ...connection });

/** A client for the tenant's helpdesk, or DeskproNotConnected. */
export async function clientFor(sql: Sql, tenantId: string, factory: DeskproClientFactory): Promise<DeskproClient> {
  const row = await store.getDeskproConnection(sql, tenantId);
  if (!row?.apiKeyCiphertext) throw new DeskproNotConnected();
  return factory({ baseUrl: row.url, apiKey: openSecret(row.apiKeyCiphertext, binding(tenantId, "apiKey")) });
}

/** The tenant's helpdesk client for an outbox delivery, made once per tenant and drain. */
export const deskproForDelivery = (context: DeliveryContext, factory: DeskproClientFactory): Promise<DeskproClient> =>
  context.perTenant("deskpro", () => clientFor(context.ledger.db, context.tenantId, factory));
