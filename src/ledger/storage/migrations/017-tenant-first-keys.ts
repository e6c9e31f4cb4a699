import type { Migration } from "./migration.js";

/**
 * Every tenant's rows are keyed by tenant first, so the schema can be distributed by tenant (Citus's
 * multi-tenant model: each table sharded on `tenant_id`, co-located, with every primary key, unique
 * key and foreign key between sharded tables including it). Grants, entries and the outbox were
 * keyed by `id` alone, and entry draws had no tenant at all:
 * - grants, entries, outbox: primary key (tenant_id, id); entries' unique indexes (one reversal
 *   per entry, one expiry per grant, the sequence) lead with tenant_id too;
 * - entry_draws gains tenant_id (filled from its entry) and the key (tenant_id, entry_id, grant_id);
 * - every foreign key to an entry or a grant names (tenant_id, …).
 * `tenants`, `api_keys` (looked up by a key's hash before the tenant is known) and
 * `schema_migrations` are the exceptions: reference tables, copied whole to every node in such a
 * set-up. tests/ledger/schema-keys.test.ts reads the catalog and fails on any other table that
 * doesn't lead with tenant_id. `ledger_post_debit` is unchanged but for writing the draws' tenant.
 */
export const tenantFirstKeysMigration: Migration = {
  version: 17,
  name: "every tenant's table keyed by tenant first (distributable by tenant)",
  sql: `
ALTER TABLE entries DROP CONSTRAINT entries_grant_id_fkey;
ALTER TABLE entries DROP CONSTRAINT entries_reverses_entry_id_fkey;
ALTER TABLE entry_draws DROP CONSTRAINT entry_draws_entry_id_fkey;
ALTER TABLE entry_draws DROP CONSTRAINT entry_draws_grant_id_fkey;
ALTER TABLE deskpro_charges DROP CONSTRAINT deskpro_charges_entry_id_fkey;
ALTER TABLE deskpro_charge_writes DROP CONSTRAINT deskpro_charge_writes_entry_id_fkey;

ALTER TABLE grants DROP CONSTRAINT grants_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE entries DROP CONSTRAINT entries_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey, ADD PRIMARY KEY (tenant_id, id);

ALTER TABLE entry_draws ADD COLUMN tenant_id text;
UPDATE entry_draws d SET tenant_id = e.tenant_id FROM entries e WHERE e.id = d.entry_id;
ALTER TABLE entry_draws ALTER COLUMN tenant_id SET NOT NULL;
ALTER TABLE entry_draws DROP CONSTRAINT entry_draws_pkey, ADD PRIMARY KEY (tenant_id, entry_id, grant_id);

ALTER TABLE entries ADD FOREIGN KEY (tenant_id, grant_id) REFERENCES grants (tenant_id, id);
ALTER TABLE entries ADD FOREIGN KEY (tenant_id, reverses_entry_id) REFERENCES entries (tenant_id, id);
ALTER TABLE entry_draws ADD FOREIGN KEY (tenant_id, entry_id) REFERENCES entries (tenant_id, id);
ALTER TABLE entry_draws ADD FOREIGN KEY (tenant_id, grant_id) REFERENCES grants (tenant_id, id);
ALTER TABLE deskpro_charges ADD FOREIGN KEY (tenant_id, entry_id) REFERENCES entries (tenant_id, id);
ALTER TABLE deskpro_charge_writes ADD FOREIGN KEY (tenant_id, entry_id) REFERENCES entries (tenant_id, id);

DROP INDEX entries_seq;
CREATE UNIQUE INDEX entries_seq ON entries (tenant_id, seq);
DROP INDEX entries_one_reversal;
CREATE UNIQUE INDEX entries_one_reversal ON entries (tenant_id, reverses_entry_id) WHERE reverses_entry_id IS NOT NULL;
DROP INDEX entries_one_expiry;
CREATE UNIQUE INDEX entries_one_expiry ON entries (tenant_id, grant_id) WHERE kind = 'expiry';

CREATE OR REPLACE FUNCTION ledger_post_debit(
  p_tenant text, p_owner text, p_scope text, p_key text, p_hash text,
  p_now timestamptz, p_entry_id text,
  p_kind text, p_amount bigint, p_minutes integer, p_ticket text, p_reason text, p_agent text,
  p_config_version integer, p_rate_credits integer, p_rate_per_minutes integer, p_rate_increment integer, p_rate_minimum integer
) RETURNS TABLE (outcome text, status integer, request_hash text, response text, refused_code text)
LANGUAGE plpgsql
-- A wallet lock waited for longer than this is given up (55P03: the caller answers 503, nothing written).
SET lock_timeout = '10s'
AS $fn$
DECLARE
  w record;
  g record;
  claimed integer;
  prior record;
  amount bigint;
  left_to_draw bigint;
  take bigint;
  balance_after bigint;
  draw_ids text[] := '{}';
  draw_amounts bigint[] := '{}';
  draws_json text := '';
  logged_minutes bigint;
  charged bigint;
  reason text := p_reason;
  answer text;
  written_at timestamptz;
BEGIN
  -- A key already answered is replayed. A key not yet seen is written once, with its answer, at
  -- the end: a concurrent request holding it makes that insert wait, and then this statement
  -- raises LR001 (rolling back everything it wrote) so that the caller asks again and replays.
  SELECT k.status, k.request_hash, k.response, k.refused_code INTO prior
    FROM idempotency_keys k WHERE k.tenant_id = p_tenant AND k.scope = p_scope AND k.key = p_key;
  IF FOUND THEN
    RETURN QUERY SELECT 'replay'::text, prior.status, prior.request_hash, prior.response, prior.refused_code;
    RETURN;
  END IF;

  SELECT wl.balance, wl.updated_at, wl.fast_version, wl.fast_allocation_at, wl.fast_overdraft_limit, wl.fast_alert_low, wl.fast_alert_high,
         coalesce(c.version, 0) AS config_version
    INTO w
    FROM wallets wl LEFT JOIN tenant_configs c ON c.tenant_id = wl.tenant_id
    WHERE wl.tenant_id = p_tenant AND wl.owner = p_owner
    FOR UPDATE OF wl;
  IF NOT FOUND OR w.fast_version IS NULL OR w.fast_version <> w.config_version OR p_config_version <> w.config_version
     OR (w.fast_allocation_at IS NOT NULL AND w.fast_allocation_at <= p_now) THEN
    RETURN QUERY SELECT 'full_path_needed'::text, NULL::integer, NULL::text, NULL::text, NULL::text;
    RETURN;
  END IF;

  IF p_ticket IS NOT NULL THEN
    -- A ticket's first charge pins its payer (migration 008): the full path does that.
    IF NOT EXISTS (SELECT 1 FROM ticket_payers tp WHERE tp.tenant_id = p_tenant AND tp.ticket_id = p_ticket) THEN
      RETURN QUERY SELECT 'full_path_needed'::text, NULL::integer, NULL::text, NULL::text, NULL::text;
    RETURN;
    END IF;
  END IF;

  IF p_kind = 'time' THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('ticket:' || p_tenant || ':' || p_ticket, 0));
    -- Billed time only: unbilled minutes were recorded, not charged (storage/entries.ts ticketTime).
    SELECT coalesce(sum(e.minutes), 0), coalesce(-sum(e.amount), 0) INTO logged_minutes, charged
      FROM entries e WHERE e.tenant_id = p_tenant AND e.ticket_id = p_ticket AND e.minutes IS NOT NULL AND e.kind <> 'unbilled';
    -- The price of the ticket's new total less what its time has already cost (domain/pricing.ts).
    amount := greatest(0, ledger_time_credits(logged_minutes + p_minutes, p_rate_credits, p_rate_per_minutes, p_rate_increment, p_rate_minimum) - charged);
    reason := coalesce(reason, p_minutes || ' min logged');
  ELSE
    amount := p_amount;
  END IF;
  IF amount > 1000000000 THEN
    RETURN QUERY SELECT 'full_path_needed'::text, NULL::integer, NULL::text, NULL::text, NULL::text;
    RETURN;
  END IF;

  IF amount > w.balance + w.fast_overdraft_limit THEN
    RETURN QUERY SELECT 'insufficient'::text, NULL::integer, NULL::text,
      json_build_object('balance', w.balance, 'required', amount, 'available', w.balance + w.fast_overdraft_limit)::text, NULL::text;
    RETURN;
  END IF;
  balance_after := w.balance - amount;
  -- Dated when written: the caller's clock advanced by the time this statement waited (for the
  -- wallet, the ticket), never before the wallet's last write, so a statement reads in order.
  written_at := greatest(date_trunc('milliseconds', p_now + (clock_timestamp() - statement_timestamp())), w.updated_at);
  IF (w.fast_alert_low IS NOT NULL AND balance_after <= w.fast_alert_low) OR (w.fast_alert_high IS NOT NULL AND balance_after > w.fast_alert_high) THEN
    RETURN QUERY SELECT 'full_path_needed'::text, NULL::integer, NULL::text, NULL::text, NULL::text;
    RETURN;
  END IF;

  -- Burn-down (domain/burndown.ts burnDownOrder): soonest expiry first, never-expiring last, then
  -- free before paid, then oldest. A grant that has lapsed needs its expiry entry first.
  left_to_draw := amount;
  FOR g IN
    SELECT gr.id, gr.remaining, gr.expires_at FROM grants gr
    WHERE gr.tenant_id = p_tenant AND gr.owner = p_owner AND gr.closed_at IS NULL AND gr.remaining > 0
    ORDER BY gr.expires_at ASC NULLS LAST, gr.paid ASC, gr.created_at ASC, gr.seq ASC
  LOOP
    IF g.expires_at IS NOT NULL AND g.expires_at <= written_at THEN
      RETURN QUERY SELECT 'full_path_needed'::text, NULL::integer, NULL::text, NULL::text, NULL::text;
    RETURN;
    END IF;
    EXIT WHEN left_to_draw = 0;
    take := least(left_to_draw, g.remaining);
    left_to_draw := left_to_draw - take;
    draw_ids := draw_ids || g.id;
    draw_amounts := draw_amounts || -take;
    draws_json := draws_json || CASE WHEN draws_json = '' THEN '' ELSE ',' END
      || '{"grantId":' || to_json(g.id)::text || ',"amount":' || (-take)::text || '}';
  END LOOP;

  INSERT INTO entries (id, tenant_id, owner, kind, amount, balance_after, reason, ticket_id, agent, minutes, tier, grant_id, reverses_entry_id, created_at)
    VALUES (p_entry_id, p_tenant, p_owner, p_kind, -amount, balance_after, reason, p_ticket, p_agent,
            CASE WHEN p_kind = 'time' THEN p_minutes END, NULL, NULL, NULL, written_at);
  INSERT INTO entry_draws (tenant_id, entry_id, grant_id, amount) SELECT p_tenant, p_entry_id, d.grant_id, d.amount FROM unnest(draw_ids, draw_amounts) AS d(grant_id, amount);
  UPDATE grants gr SET remaining = gr.remaining + d.amount
    FROM unnest(draw_ids, draw_amounts) AS d(grant_id, amount)
    WHERE gr.tenant_id = p_tenant AND gr.id = d.grant_id;
  UPDATE wallets SET balance = balance_after, updated_at = written_at WHERE tenant_id = p_tenant AND owner = p_owner;

  -- The answer as JSON text, field for field the contract's WriteResult, stored as the key's answer.
  answer := '{"entry":{"id":' || to_json(p_entry_id)::text
    || ',"owner":' || to_json(p_owner)::text
    || ',"kind":' || to_json(p_kind)::text
    || ',"amount":' || (-amount)::text
    || ',"balanceAfter":' || balance_after::text
    || ',"reason":' || coalesce(to_json(reason)::text, 'null')
    || ',"ticketId":' || coalesce(to_json(p_ticket)::text, 'null')
    || ',"agent":' || coalesce(to_json(p_agent)::text, 'null')
    || ',"minutes":' || CASE WHEN p_kind = 'time' THEN p_minutes::text ELSE 'null' END
    || ',"tier":null,"grantId":null,"reversesEntryId":null'
    || ',"draws":[' || draws_json || ']'
    || ',"createdAt":"' || to_char(written_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'
    || '},"balance":' || balance_after::text || '}';
  INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, created_at, status, response)
    VALUES (p_tenant, p_scope, p_key, p_hash, written_at, 201, answer)
    ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS claimed = ROW_COUNT;
  IF claimed = 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'LR001', MESSAGE = 'another request with this key finished first';
  END IF;
  RETURN QUERY SELECT 'posted'::text, 201, p_hash, answer, NULL::text;
END;
$fn$;
`,
};
