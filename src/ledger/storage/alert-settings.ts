/** SQL for each tenant's alert settings: wording and webhook endpoints with their sealed signing secrets. */
import { z } from "zod";
import { AlertSettingsInput } from "../../contract/alerts.js";
import type { Sql } from "./db.js";

/** The settings as stored: an endpoint keeps its sealed secret, never the secret itself. */
export const StoredAlertSettings = AlertSettingsInput.extend({
  webhooks: z.array(z.object({ id: z.string(), url: z.string(), secretCiphertext: z.string().nullable() })).default([]),
});
export type StoredAlertSettings = z.infer<typeof StoredAlertSettings>;

export async function getAlertSettings(sql: Sql, tenantId: string): Promise<StoredAlertSettings> {
  const rows = await sql.query<{ settings: unknown }>("SELECT settings FROM alert_settings WHERE tenant_id = $1", [tenantId]);
  return StoredAlertSettings.parse(rows[0]?.settings ?? {});
}

export async function putAlertSettings(sql: Sql, tenantId: string, settings: StoredAlertSettings, now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO alert_settings (tenant_id, settings, updated_at) VALUES ($1, $2::jsonb, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at`,
    [tenantId, JSON.stringify(settings), now],
  );
}
