import { useId, useState, type ChangeEvent, type FormEvent } from "react";
import { StripeSecretKey, StripeWebhookSecret, type StripeConnection } from "../../contract/index.js";
import type { AdminLedgerApi } from "../api/admin-api.js";
import { ErrorNotice, FieldError, StatusMessage } from "../components/common.js";
import { Input } from "../deskpro/input.js";
import { Button, P5 } from "../deskpro/ui.js";

/**
 * Where the admin pastes Stripe's secret key and the webhook's signing secret. They go to the
 * ledger once and are never shown again (the ledger answers with their state only); an empty field
 * keeps what is stored, so the signing secret can be added after the key.
 */
export function StripeKeysForm({ api, connection, onSaved }: { api: AdminLedgerApi; connection: StripeConnection; onSaved: (c: StripeConnection) => void }) {
  const [secretKey, setSecretKey] = useState("");
  const [webhookSecret, setWebhookSecret] = useState("");
  const [errors, setErrors] = useState<{ secretKey?: string; webhookSecret?: string }>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const ids = { key: useId(), keyError: useId(), secret: useId(), secretError: useId() };

  const save = (e: FormEvent) => {
    e.preventDefault();
    const key = secretKey.trim() ? StripeSecretKey.safeParse(secretKey) : null;
    const secret = webhookSecret.trim() ? StripeWebhookSecret.safeParse(webhookSecret) : null;
    const found = {
      secretKey: key && !key.success ? key.error.issues[0]?.message : undefined,
      webhookSecret: secret && !secret.success ? secret.error.issues[0]?.message : undefined,
    };
    if (!key && !secret) found.secretKey = "paste the secret key, the signing secret, or both";
    setErrors(found);
    setStatus(null);
    if (found.secretKey || found.webhookSecret) return;
    setSaving(true);
    setFailure(null);
    api
      .saveStripeConnection({ ...(key?.success ? { secretKey: key.data } : {}), ...(secret?.success ? { webhookSecret: secret.data } : {}) })
      .then(
        (saved) => {
          setSecretKey("");
          setWebhookSecret("");
          setStatus("Saved. The keys are kept by the ledger and not shown again.");
          onSaved(saved);
        },
        (error: unknown) => setFailure(error),
      )
      .finally(() => setSaving(false));
  };

  const field = (id: string, errorId: string, label: string, value: string, set: (v: string) => void, placeholder: string, error?: string) => (
    <div style={{ marginBottom: 6 }}>
      <label htmlFor={id} style={{ fontSize: 11, display: "block" }}>
        {label}
      </label>
      <Input
        id={id}
        type="password"
        autoComplete="off"
        spellCheck={false}
        value={value}
        placeholder={placeholder}
        onChange={(e: ChangeEvent<HTMLInputElement>) => set(e.target.value)}
        error={!!error}
        aria-invalid={!!error}
        aria-describedby={errorId}
      />
      <FieldError id={errorId} message={error} />
    </div>
  );

  return (
    <form onSubmit={save} aria-label="Stripe keys" noValidate>
      {field(
        ids.key,
        ids.keyError,
        connection.secretKeySet ? "New secret key (leave empty to keep the one set)" : "Secret key from Stripe's Dashboard (Developers → API keys)",
        secretKey,
        setSecretKey,
        "sk_test_… or rk_test_…",
        errors.secretKey,
      )}
      {field(
        ids.secret,
        ids.secretError,
        connection.webhookSecretSet ? "New signing secret (leave empty to keep the one set)" : "Signing secret of the webhook endpoint below",
        webhookSecret,
        setWebhookSecret,
        "whsec_…",
        errors.webhookSecret,
      )}
      <Button type="submit" intent="secondary" size="small" text={saving ? "Saving…" : "Save Stripe keys"} disabled={saving} />
      <StatusMessage message={status} />
      {failure !== null && <ErrorNotice error={failure} context="Saving the Stripe keys" />}
      <P5 style={{ fontSize: 11 }}>Use test-mode keys first; see docs/stripe.md for the events the endpoint needs.</P5>
    </form>
  );
}
