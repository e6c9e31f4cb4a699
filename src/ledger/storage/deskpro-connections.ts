/** SQL for the tenant's Deskpro connection: its address and sealed API key and webhook secret. */
import type { Sql } from "./db.js";

export interface DeskproConnectionRow {
  url: string;
  apiKeyId: string | null;
  apiKeyCiphertext: string | null;
  webhookSecretCiphertext: string | null;
  updatedAt: Date;
}

export async function getDeskproConnection(sql: Sql, tenantId: string): Promise<DeskproConnectionRow | null> {
  const rows = await sql.query<{
    url: string;
    api_key_id: string | null;
    api_key_ciphertext: string | null;
    webhook_secret_ciphertext: string | null;
    updated_at: Date;
  }>("SELECT url, api_key_id, api_key_ciphertext, webhook_secret_ciphertext, updated_at FROM deskpro_connections WHERE tenant_id = $1", [tenantId]);
  const r = rows[0];
  return r
    ? {
        url: r.url,
        apiKeyId: r.api_key_id,
        apiKeyCiphertext: r.api_key_ciphertext,
        webhookSecretCiphertext: r.webhook_secret_ciphertext,
        updatedAt: r.updated_at,
      }
    : null;
}

/**
 * Sets the URL and, where given, the sealed secrets; a null secret keeps the stored one. A stored
 * API key is kept only while the stored URL is still `keyKeptFor` (the address the caller checked),
 * so a key never follows a change of address made in between.
 */
export async function putDeskproConnection(
  sql: Sql,
  tenantId: string,
  values: {
    url: string;
    apiKeyId: string | null;
    apiKeyCiphertext: string | null;
    keyKeptFor: string | null;
    webhookSecretCiphertext: string | null;
    now: Date;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO deskpro_connections AS c (tenant_id, url, api_key_id, api_key_ciphertext, webhook_secret_ciphertext, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id) DO UPDATE SET
       url = EXCLUDED.url,
       api_key_id = CASE WHEN EXCLUDED.api_key_ciphertext IS NOT NULL THEN EXCLUDED.api_key_id WHEN c.url = $7 THEN c.api_key_id END,
       api_key_ciphertext = CASE WHEN EXCLUDED.api_key_ciphertext IS NOT NULL THEN EXCLUDED.api_key_ciphertext WHEN c.url = $7 THEN c.api_key_ciphertext END,
       webhook_secret_ciphertext = coalesce(EXCLUDED.webhook_secret_ciphertext, c.webhook_secret_ciphertext),
       updated_at = EXCLUDED.updated_at`,
    [tenantId, values.url, values.apiKeyId, values.apiKeyCiphertext, values.webhookSecretCiphertext, values.now, values.keyKeptFor],
  );
}
