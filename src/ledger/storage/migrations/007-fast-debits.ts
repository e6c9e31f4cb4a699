import type { Migration } from "./migration.js";

/**
 * - Idempotency keys get a scope: a client's keys and the ledger's own (Stripe fulfilment, portal
 *   tier jobs) can no longer collide. Existing keys of the ledger's own shapes become its own.
 * - A debit in the common case is one statement: `ledger_post_debit` claims the key, locks the
 *   wallet (and ticket), prices time, burns grants down and writes the entry, its draws, the
 *   grants, the balance and the key's answer. It runs only where the wallet's cached facts say no
 *   allocation, lapse or alert can happen (the `fast_*` columns, written by the full posting path
 *   in the same transaction as every other write); otherwise it raises LS001 and the ledger takes
 *   the full path (also for a ticket's first charge, which pins the ticket's payer). The burn-down
 *   order and time pricing here are checked against the domain's
 *   functions by tests/ledger/fast-debit.test.ts.
 */
export const fastDebitsMigration: Migration = {
  version: 7,
  name: "idempotency scopes; single-statement debits",
  sql: `
ALTER TABLE idempotency_keys ADD COLUMN scope text NOT NULL DEFAULT 'client' CHECK (scope IN ('client', 'ledger'));
UPDATE idempotency_keys SET scope = 'ledger' WHERE key LIKE 'stripe:checkout:%' OR key LIKE 'stripe:refund:%' OR key LIKE 'portal:%';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (tenant_id, scope, key);

-- What the full posting path last worked out about the wallet, for the single-statement debit:
-- valid while the tenant's configuration is still at fast_version (NULL: work it out again).
ALTER TABLE wallets
  ADD COLUMN fast_version integer,
  -- When the plan's next allocation falls due (NULL: it never does).
  ADD COLUMN fast_allocation_at timestamptz,
  ADD COLUMN fast_overdraft_limit bigint,
  -- The balances (low, high] within which no alert level is crossed (NULL: unbounded).
  ADD COLUMN fast_alert_low bigint,
  ADD COLUMN fast_alert_high bigint;

CREATE FUNCTION ledger_post_debit(
  p_tenant text, p_owner text, p_scope text, p_key text, p_hash text,
  p_now timestamptz, p_now_text text, p_entry_id text,
  p_kind text, p_amount bigint, p_minutes integer, p_ticket text, p_reason text, p_agent text,
  p_config_version integer, p_rate_credits integer, p_rate_per_minutes integer, p_rate_increment integer, p_rate_minimum integer
) RETURNS TABLE (outcome text, status integer, request_hash text, response text)
LANGUAGE plpgsql AS $fn$
DECLARE
  w record;
  g record;
  claimed integer;
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
BEGIN
  -- The key first: a concurrent holder of the same key makes this wait, then its answer is replayed.
  INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, created_at)
    VALUES (p_tenant, p_scope, p_key, p_hash, p_now)
    ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS claimed = ROW_COUNT;
  IF claimed = 0 THEN
    RETURN QUERY SELECT 'replay'::text, k.status, k.request_hash, k.response
      FROM idempotency_keys k WHERE k.tenant_id = p_tenant AND k.scope = p_scope AND k.key = p_key;
    RETURN;
  END IF;

  SELECT wl.balance, wl.fast_version, wl.fast_allocation_at, wl.fast_overdraft_limit, wl.fast_alert_low, wl.fast_alert_high,
         coalesce(c.version, 0) AS config_version
    INTO w
    FROM wallets wl LEFT JOIN tenant_configs c ON c.tenant_id = wl.tenant_id
    WHERE wl.tenant_id = p_tenant AND wl.owner = p_owner
    FOR UPDATE OF wl;
  IF NOT FOUND OR w.fast_version IS NULL OR w.fast_version <> w.config_version OR p_config_version <> w.config_version
     OR (w.fast_allocation_at IS NOT NULL AND w.fast_allocation_at <= p_now) THEN
    RAISE EXCEPTION USING ERRCODE = 'LS001', MESSAGE = 'the full posting path is needed';
  END IF;

  IF p_ticket IS NOT NULL THEN
    -- A ticket's first charge pins its payer (migration 008): the full path does that.
    IF NOT EXISTS (SELECT 1 FROM ticket_payers tp WHERE tp.tenant_id = p_tenant AND tp.ticket_id = p_ticket) THEN
      RAISE EXCEPTION USING ERRCODE = 'LS001', MESSAGE = 'the full posting path is needed';
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
    RAISE EXCEPTION USING ERRCODE = 'LS001', MESSAGE = 'the full posting path is needed';
  END IF;

  IF amount > w.balance + w.fast_overdraft_limit THEN
    RAISE EXCEPTION USING ERRCODE = 'LI001', MESSAGE = 'insufficient credits',
      DETAIL = json_build_object('balance', w.balance, 'required', amount, 'available', w.balance + w.fast_overdraft_limit)::text;
  END IF;
  balance_after := w.balance - amount;
  IF (w.fast_alert_low IS NOT NULL AND balance_after <= w.fast_alert_low) OR (w.fast_alert_high IS NOT NULL AND balance_after > w.fast_alert_high) THEN
    RAISE EXCEPTION USING ERRCODE = 'LS001', MESSAGE = 'the full posting path is needed';
  END IF;

  -- Burn-down (domain/burndown.ts burnDownOrder): soonest expiry first, never-expiring last, then
  -- free before paid, then oldest. A grant that has lapsed needs its expiry entry first.
  left_to_draw := amount;
  FOR g IN
    SELECT gr.id, gr.remaining, gr.expires_at FROM grants gr
    WHERE gr.tenant_id = p_tenant AND gr.owner = p_owner AND gr.closed_at IS NULL AND gr.remaining > 0
    ORDER BY gr.expires_at ASC NULLS LAST, gr.paid ASC, gr.created_at ASC, gr.seq ASC
  LOOP
    IF g.expires_at IS NOT NULL AND g.expires_at <= p_now THEN
      RAISE EXCEPTION USING ERRCODE = 'LS001', MESSAGE = 'the full posting path is needed';
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
            CASE WHEN p_kind = 'time' THEN p_minutes END, NULL, NULL, NULL, p_now);
  INSERT INTO entry_draws (entry_id, grant_id, amount) SELECT p_entry_id, d.grant_id, d.amount FROM unnest(draw_ids, draw_amounts) AS d(grant_id, amount);
  UPDATE grants gr SET remaining = gr.remaining + d.amount
    FROM unnest(draw_ids, draw_amounts) AS d(grant_id, amount)
    WHERE gr.tenant_id = p_tenant AND gr.id = d.grant_id;
  UPDATE wallets SET balance = balance_after, updated_at = p_now WHERE tenant_id = p_tenant AND owner = p_owner;

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
    || ',"createdAt":' || to_json(p_now_text)::text
    || '},"balance":' || balance_after::text || '}';
  UPDATE idempotency_keys SET status = 201, response = answer WHERE tenant_id = p_tenant AND scope = p_scope AND key = p_key;
  RETURN QUERY SELECT 'posted'::text, 201, p_hash, answer;
END;
$fn$;

-- Credits owed for a ticket's whole logged time (domain/pricing.ts creditsForMinutes): at least
-- the minimum, rounded up to whole increments, then a part credit rounds up.
CREATE FUNCTION ledger_time_credits(total_minutes bigint, credits integer, per_minutes integer, increment integer, minimum integer)
RETURNS bigint LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE WHEN total_minutes <= 0 THEN 0
    ELSE ((((greatest(total_minutes, minimum) + increment - 1) / increment) * increment) * credits + per_minutes - 1) / per_minutes
  END
$fn$;
`,
};
