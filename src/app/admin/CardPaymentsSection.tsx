import { useEffect, useState, type ChangeEvent } from "react";
import type { StripeConnection } from "../../contract/index.js";
import type { AdminLedgerApi } from "../api/admin-api.js";
import { ErrorNotice, Facts, Loading, Notice, Section } from "../components/common.js";
import { P5 } from "../deskpro/ui.js";
import { formatDateTime } from "../format.js";
import { CopyValue } from "./CopyValue.js";
import { StripeKeysForm } from "./StripeKeysForm.js";

/** What the ledger did with an event, in the admin's words. */
const OUTCOME_WORDS: Record<string, string> = {
  granted: "credits granted",
  already_granted: "already granted (a repeat)",
  reversed: "refund taken back",
  already_reversed: "refund already taken back (a repeat)",
  not_paid_yet: "waiting for the payment to clear",
  refund_recorded: "refund kept until its payment arrives",
  document_recorded: "receipt or invoice kept",
  ignored: "not for the ledger",
  failed: "failed; Stripe sends it again",
};

/** Whether card payments can work, and what is missing if not. */
function verdict(c: StripeConnection): { tone: "success" | "warning" | "info"; text: string } {
  if (!c.secretKeySet) return { tone: "info", text: "Card payments are off: no Stripe secret key is set, so customers can't buy packs by card." };
  if (!c.webhookSecretSet)
    return { tone: "warning", text: "The webhook signing secret is missing: customers could pay, but their credits would never arrive." };
  if (!c.lastEvent) return { tone: "info", text: "Keys are set. No event from Stripe has arrived yet: check the webhook endpoint in Stripe's Dashboard." };
  if (c.lastEvent.outcome === "failed")
    return { tone: "warning", text: "The last event from Stripe failed here; Stripe sends it again. See the ledger's log." };
  return { tone: "success", text: `Card payments work (${c.mode === "live" ? "live" : "test"} mode): Stripe's events are arriving and signed.` };
}

/**
 * Card payments on the settings page: whether they work, the keys' state (never the keys) and a
 * form to set them, the webhook address to give Stripe, automatic tax, and the last event Stripe delivered.
 */
export function CardPaymentsSection({ api }: { api: AdminLedgerApi }) {
  const [connection, setConnection] = useState<StripeConnection | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    api.stripeConnection().then(setConnection, (e: unknown) => setError(e));
  }, [api]);

  if (!connection) return <Section title="Card payments">{error !== null ? <ErrorNotice error={error} /> : <Loading />}</Section>;
  const { tone, text } = verdict(connection);
  const last = connection.lastEvent;
  const setAutomaticTax = (e: ChangeEvent<HTMLInputElement>) => {
    setSaving(true);
    setError(null);
    api
      .saveStripeConnection({ automaticTax: e.target.checked })
      .then(setConnection, (failure: unknown) => setError(failure))
      .finally(() => setSaving(false));
  };
  return (
    <Section title="Card payments">
      <div data-testid="card-payments-status">
        <Notice tone={tone}>{text}</Notice>
      </div>
      <Facts
        rows={[
          ["Stripe key", connection.secretKeySet ? `${connection.mode ?? "test"} mode, ends …${connection.secretKeyLast4 ?? ""}` : "not set"],
          ["Signing secret", connection.webhookSecretSet ? "set" : "not set"],
          ["Last event", last ? `${last.type}, ${formatDateTime(last.receivedAt)}: ${OUTCOME_WORDS[last.outcome] ?? last.outcome}` : "none yet"],
        ]}
      />
      <CopyValue label="Address to give Stripe for its webhook" value={connection.webhookUrl} testId="stripe-webhook-url" />
      {connection.secretKeySet && (
        <label style={{ fontSize: 12, display: "flex", gap: 6, alignItems: "center", margin: "6px 0" }}>
          <input type="checkbox" checked={connection.automaticTax} disabled={saving} onChange={setAutomaticTax} />
          Let Stripe work out sales tax and VAT at checkout (Stripe Tax must be on in your Stripe account)
        </label>
      )}
      {error !== null && <ErrorNotice error={error} />}
      <StripeKeysForm api={api} connection={connection} onSaved={setConnection} />
      <P5 style={{ fontSize: 11 }}>
        Checkout asks for the billing address and a tax ID, and every purchase gets a Stripe invoice and receipt, listed on the customer&apos;s page.
      </P5>
    </Section>
  );
}
