import { useEffect, useState } from "react";
import { MAX_OVERAGE_LIMIT, type OverageSettingsResponse } from "../../contract/index.js";
import type { AdminLedgerApi } from "../api/admin-api.js";
import { ErrorNotice, Loading, Section, StatusMessage } from "../components/common.js";
import { Button, P5 } from "../deskpro/ui.js";
import { formatCredits } from "../format.js";
import { Field } from "./form-fields.js";

/** The limit field: whole credits from 0 (never ask) up to the ledger's maximum. */
function parseLimit(text: string): { limit: number | null; error: string | undefined } {
  const trimmed = text.trim();
  if (!/^\d{1,7}$/.test(trimmed) || Number(trimmed) > MAX_OVERAGE_LIMIT)
    return { limit: null, error: `Use whole credits from 0 to ${formatCredits(MAX_OVERAGE_LIMIT)} (0: never ask).` };
  return { limit: Number(trimmed), error: undefined };
}

/**
 * Asked before overage, on the settings page by the portal tiers: how many credits past its
 * balance a bank may go on one ticket when its customer approves a tier it can't pay for.
 */
export function OverageSection({ api }: { api: AdminLedgerApi }) {
  const [saved, setSaved] = useState<OverageSettingsResponse | null>(null);
  const [text, setText] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const show = (response: OverageSettingsResponse) => {
    setSaved(response);
    setText(String(response.settings.perTicketLimit));
  };
  useEffect(() => {
    api.overageSettings().then(show, (e: unknown) => setError(e));
  }, [api]);

  const title = "Asked before overage";
  if (!saved) return <Section title={title}>{error !== null ? <ErrorNotice error={error} /> : <Loading />}</Section>;
  const { limit, error: limitError } = parseLimit(text);
  const dirty = limit !== saved.settings.perTicketLimit;
  const save = async () => {
    if (limit === null || saving) return;
    setSaving(true);
    setError(null);
    try {
      show(await api.saveOverageSettings({ perTicketLimit: limit }));
      setMessage(
        limit === 0 ? "Saved: customers are not asked." : `Saved: customers may approve up to ${formatCredits(limit)} credits past their balance on a ticket.`,
      );
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Section title={title}>
      <P5 style={{ margin: "0 0 6px" }}>
        When a bank can't pay for the response tier its customer picked on the portal, the message telling the customer also links to a page where they approve
        the extra credits, buy credits, or keep the standard response. The bank may then go past its balance (and its plan's overdraft) by at most this many
        credits on one ticket.
      </P5>
      <Field
        label="Per-ticket limit (credits; 0: never ask)"
        inputMode="numeric"
        value={text}
        onChange={(v) => {
          setText(v);
          setMessage(null);
        }}
        error={limitError}
      />
      {error !== null && <ErrorNotice error={error} context="The limit was not saved." />}
      <StatusMessage message={dirty ? null : message} />
      <Button text="Save limit" onClick={() => void save()} loading={saving} disabled={!dirty || limit === null || saving} style={{ marginTop: 6 }} />
    </Section>
  );
}
