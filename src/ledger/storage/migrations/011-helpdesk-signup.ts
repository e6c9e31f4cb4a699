import type { Migration } from "./migration.js";

export const helpdeskSignupMigration: Migration = {
  version: 11,
  name: "tenants bound to their helpdesk (self-service sign-up); the portal's last web hook",
  sql: `
-- The helpdesk a tenant was signed up for, as its normalised origin: one tenant per helpdesk,
-- so a second sign-up for the same helpdesk finds it (after proving admin again) and no sign-up
-- can ever reach another helpdesk's tenant. Tenants made with the CLI have none.
ALTER TABLE tenants ADD COLUMN helpdesk_origin text;
CREATE UNIQUE INDEX tenants_helpdesk_origin ON tenants (helpdesk_origin) WHERE helpdesk_origin IS NOT NULL;

-- The last web hook a Deskpro trigger sent, for the settings page's setup checklist.
CREATE TABLE portal_activity (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  last_hook_at timestamptz NOT NULL,
  last_hook_event text NOT NULL,
  last_hook_ticket text NOT NULL
);
`,
};
