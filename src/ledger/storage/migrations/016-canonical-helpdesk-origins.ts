import type { Migration } from "./migration.js";

/**
 * Helpdesk origins without the trailing dot of a fully qualified name: `https://support.example.com.`
 * is the same helpdesk as `https://support.example.com`, and sign-up now binds tenants by the
 * origin without it. A tenant signed up with the dot keeps its helpdesk (its admin's next sign-up
 * finds it) unless that helpdesk already has a tenant under the plain origin: two tenants can't be
 * merged by a migration, so that one keeps its dotted origin, which no sign-up reaches any more,
 * and its keys work as before. Of several dotted spellings of one origin, the oldest tenant wins.
 */
export const canonicalHelpdeskOriginsMigration: Migration = {
  version: 16,
  name: "helpdesk origins without a trailing dot",
  sql: String.raw`
UPDATE tenants t
   SET helpdesk_origin = dotted.canonical
  FROM (
    SELECT DISTINCT ON (canonical) id, canonical
      FROM (
        SELECT id, created_at, regexp_replace(helpdesk_origin, '\.+(:[0-9]+)?$', '\1') AS canonical
          FROM tenants
         WHERE helpdesk_origin ~ '\.(:[0-9]+)?$'
      ) candidates
     ORDER BY canonical, created_at, id
  ) dotted
 WHERE t.id = dotted.id
   AND NOT EXISTS (SELECT 1 FROM tenants plain WHERE plain.helpdesk_origin = dotted.canonical);
`,
};
