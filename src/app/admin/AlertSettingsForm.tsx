import { useCallback, useEffect, useId, useState, type ChangeEvent } from "react";
import { AlertSettingsInput, type AlertSettings, type AlertWebhookTest, type DeliveryBreaker, type OutboxItem } from "../../contract/index.js";
import type { AdminLedgerApi } from "../api/admin-api.js";
import { ErrorNotice, FieldError, Notice, Section, StatusMessage, usePalette } from "../components/common.js";
import { Button, P5, Stack } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";
import { formatDateTime } from "../format.js";

interface WebhookDraft {
  id: string;
  url: string;
  /** Empty: keep the stored secret (only while the URL is unchanged). */
  secret: string;
  secretSet: boolean;
  savedUrl: string | null;
}

interface Draft {
  lowMessage: string;
  depletedMessage: string;
  expiringMessage: string;
  agentNote: string;
  messageCustomers: boolean;
  startTicketWhenNoneOpen: boolean;
  webhooks: WebhookDraft[];
}

const draftFrom = (s: AlertSettings): Draft => ({
  lowMessage: s.lowMessage,
  depletedMessage: s.depletedMessage,
  expiringMessage: s.expiringMessage,
  agentNote: s.agentNote,
  messageCustomers: s.messageCustomers,
  startTicketWhenNoneOpen: s.startTicketWhenNoneOpen,
  webhooks: s.webhooks.map((w) => ({ id: w.id, url: w.url, secret: "", secretSet: w.secretSet, savedUrl: w.url })),
});

const toRequest = (d: Draft) => ({
  lowMessage: d.lowMessage,
  depletedMessage: d.depletedMessage,
  expiringMessage: d.expiringMessage,
  agentNote: d.agentNote,
  messageCustomers: d.messageCustomers,
  startTicketWhenNoneOpen: d.startTicketWhenNoneOpen,
  webhooks: d.webhooks.map((w) => ({ id: w.id.trim(), url: w.url.trim(), ...(w.secret.trim() ? { secret: w.secret.trim() } : {}) })),
});

/** A Standard Webhooks secret made in the browser (24 random bytes), shown once so the receiver can be given it. */
function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

const WORDING: Array<{ key: "lowMessage" | "depletedMessage" | "expiringMessage" | "agentNote"; label: string; help: string }> = [
  { key: "lowMessage", label: "Message to the customer when credits run low", help: "{name}, {balance}, {level}, {link}" },
  { key: "depletedMessage", label: "Message to the customer when credits run out", help: "{name}, {balance}, {link}" },
  { key: "expiringMessage", label: "Message to the customer before credits expire", help: "{name}, {credits}, {date}, {balance}, {link}" },
  { key: "agentNote", label: "Note for agents (every alert)", help: "{event}, {balance}, {level}, {credits}, {date}, {name}" },
];

/**
 * Alert wording, whether customers are messaged, outgoing webhooks with a test button, and the
 * delivery log. Webhook secrets go to the ledger (sealed there) and never come back.
 */
export function AlertSettingsForm({ api }: { api: AdminLedgerApi }) {
  const colors = usePalette();
  const idBase = useId();
  const [saved, setSaved] = useState<AlertSettings | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [justSaved, setJustSaved] = useState(false);
  const [tests, setTests] = useState<Record<string, AlertWebhookTest | "sending">>({});
  const [log, setLog] = useState<OutboxItem[] | null>(null);
  const [breakers, setBreakers] = useState<DeliveryBreaker[]>([]);

  const loadLog = useCallback(() => {
    api.alertDeliveries().then(
      (page) => {
        setLog(page.items);
        setBreakers(page.breakers);
      },
      (e: unknown) => setError(e),
    );
  }, [api]);

  useEffect(() => {
    api.alertSettings().then(
      (s) => {
        setSaved(s);
        setDraft(draftFrom(s));
      },
      (e: unknown) => setError(e),
    );
    loadLog();
  }, [api, loadLog]);

  if (!draft || !saved) {
    return <Section title="Alert messages and webhooks">{error !== null ? <ErrorNotice error={error} /> : <P5>Loading…</P5>}</Section>;
  }

  const checked = AlertSettingsInput.safeParse(toRequest(draft));
  const issue = (path: string) => (checked.success ? null : (checked.error.issues.find((i) => i.path.join(".") === path)?.message ?? null));
  // A webhook whose URL changed needs a new secret: the stored one is tied to the old URL.
  const missingSecret = draft.webhooks.findIndex((w) => w.secret.trim() === "" && (!w.secretSet || w.savedUrl !== w.url.trim()));
  const duplicateId = draft.webhooks.findIndex((w, i) => draft.webhooks.findIndex((o) => o.id.trim() === w.id.trim()) !== i);
  const dirty = JSON.stringify(toRequest(draft)) !== JSON.stringify(toRequest(draftFrom(saved)));
  const valid = checked.success && missingSecret === -1 && duplicateId === -1;
  const edit = (patch: Partial<Draft>) => {
    setDraft({ ...draft, ...patch });
    setJustSaved(false);
  };
  const editHook = (index: number, patch: Partial<WebhookDraft>) => edit({ webhooks: draft.webhooks.map((w, i) => (i === index ? { ...w, ...patch } : w)) });

  const save = async () => {
    if (!checked.success || !valid || saving) return;
    setSaving(true);
    setError(null);
    try {
      const result = await api.saveAlertSettings(checked.data);
      setSaved(result);
      setDraft(draftFrom(result));
      setJustSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  const test = async (id: string) => {
    setTests((t) => ({ ...t, [id]: "sending" }));
    try {
      const result = await api.testAlertWebhook(id);
      setTests((t) => ({ ...t, [id]: result }));
    } catch (e) {
      setTests((t) => ({ ...t, [id]: { delivered: false, status: null, detail: e instanceof Error ? e.message : "The test could not be sent." } }));
    }
    loadLog();
  };

  return (
    <Section title="Alert messages and webhooks">
      <P5 style={{ margin: "0 0 6px" }}>
        What customers and agents are told when a bank crosses an alert level or credits are about to expire. Placeholders in braces are filled in; {"{link}"}{" "}
        is the bank's buy page.
      </P5>
      <label style={{ fontSize: 12, display: "flex", gap: 6, alignItems: "center", margin: "0 0 6px" }}>
        <input type="checkbox" checked={draft.messageCustomers} onChange={(e: ChangeEvent<HTMLInputElement>) => edit({ messageCustomers: e.target.checked })} />
        Message customers on their ticket (agents always get the note)
      </label>
      <label style={{ fontSize: 12, display: "flex", gap: 6, alignItems: "center", margin: "0 0 6px" }}>
        <input
          type="checkbox"
          checked={draft.startTicketWhenNoneOpen}
          disabled={!draft.messageCustomers}
          onChange={(e: ChangeEvent<HTMLInputElement>) => edit({ startTicketWhenNoneOpen: e.target.checked })}
        />
        When they have no open ticket, start one to them (for an organisation, to the person of its latest ticket)
      </label>
      {WORDING.map(({ key, label, help }) => (
        <div key={key} style={{ marginBottom: 6 }}>
          <label htmlFor={`${idBase}-${key}`} style={{ fontSize: 11, display: "block" }}>
            {label} <span style={{ color: colors.muted }}>({help})</span>
          </label>
          {/* A plain textarea: the UI kit's TextArea pulls in its tooltip and a peer package the app doesn't otherwise need. */}
          <textarea
            id={`${idBase}-${key}`}
            value={draft[key]}
            aria-invalid={issue(key) !== null}
            aria-describedby={`${idBase}-${key}-error`}
            rows={3}
            style={{
              width: "100%",
              boxSizing: "border-box",
              font: "inherit",
              fontSize: 12,
              padding: 4,
              borderRadius: 4,
              border: `1px solid ${colors.muted}`,
              background: colors.background,
              color: colors.text,
            }}
            onChange={(e: ChangeEvent<HTMLTextAreaElement>) => edit({ [key]: e.target.value })}
          />
          <FieldError id={`${idBase}-${key}-error`} message={issue(key)} />
        </div>
      ))}

      <P5 style={{ margin: "8px 0 4px", fontWeight: 600 }}>Outgoing webhooks (Standard Webhooks signatures)</P5>
      {draft.webhooks.length === 0 && <P5>No endpoints. Add one to send alerts to your own systems.</P5>}
      {draft.webhooks.map((hook, i) => {
        const result = tests[hook.id];
        const savedHook = saved.webhooks.find((w) => w.id === hook.id && w.url === hook.url.trim() && w.secretSet);
        const fieldId = (field: string) => `${idBase}-hook-${i}-${field}`;
        const idError = issue(`webhooks.${i}.id`) ?? (duplicateId === i ? "Two endpoints have this name." : null);
        const urlError = hook.url !== "" ? issue(`webhooks.${i}.url`) : null;
        const secretError =
          (hook.secret !== "" ? issue(`webhooks.${i}.secret`) : null) ??
          (missingSecret === i ? "Give this endpoint a signing secret (Generate makes one; give the same to the receiver)." : null);
        const invalid = (field: string, error: string | null) => ({
          error: error !== null,
          "aria-invalid": error !== null,
          "aria-describedby": fieldId(`${field}-error`),
        });
        return (
          <div key={i} style={{ borderTop: "1px solid rgba(0,0,0,0.1)", padding: "6px 0" }}>
            <label htmlFor={`${idBase}-hook-${i}-id`} style={{ fontSize: 11, display: "block" }}>
              Endpoint name
            </label>
            <Input
              id={`${idBase}-hook-${i}-id`}
              value={hook.id}
              placeholder="ops"
              onChange={(e: ChangeEvent<HTMLInputElement>) => editHook(i, { id: e.target.value })}
              {...invalid("id", idError)}
            />
            <FieldError id={fieldId("id-error")} message={idError} />
            <label htmlFor={`${idBase}-hook-${i}-url`} style={{ fontSize: 11, display: "block", marginTop: 4 }}>
              Endpoint URL
            </label>
            <Input
              id={`${idBase}-hook-${i}-url`}
              value={hook.url}
              placeholder="https://ops.example.com/hooks/credits"
              onChange={(e: ChangeEvent<HTMLInputElement>) => editHook(i, { url: e.target.value })}
              {...invalid("url", urlError)}
            />
            <FieldError id={fieldId("url-error")} message={urlError} />
            <label htmlFor={`${idBase}-hook-${i}-secret`} style={{ fontSize: 11, display: "block", marginTop: 4 }}>
              Signing secret {hook.secretSet && hook.savedUrl === hook.url.trim() ? "(set; leave empty to keep)" : ""}
            </label>
            <Input
              id={`${idBase}-hook-${i}-secret`}
              autoComplete="off"
              value={hook.secret}
              placeholder="whsec_…"
              onChange={(e: ChangeEvent<HTMLInputElement>) => editHook(i, { secret: e.target.value })}
              {...invalid("secret", secretError)}
            />
            <FieldError id={fieldId("secret-error")} message={secretError} />
            <Stack gap={6} style={{ marginTop: 4 }}>
              <Button intent="secondary" size="small" text="Generate secret" onClick={() => editHook(i, { secret: newSecret() })} />
              <Button intent="secondary" size="small" text="Remove" onClick={() => edit({ webhooks: draft.webhooks.filter((_, j) => j !== i) })} />
              <Button
                intent="secondary"
                size="small"
                text="Send test event"
                loading={result === "sending"}
                disabled={!savedHook || dirty || result === "sending"}
                title={!savedHook || dirty ? "Save first: the test goes to the saved endpoint" : undefined}
                onClick={() => void test(hook.id)}
              />
            </Stack>
            <div aria-live="polite">{result && result !== "sending" && <Notice tone={result.delivered ? "success" : "warning"}>{result.detail}</Notice>}</div>
          </div>
        );
      })}
      <Button
        intent="secondary"
        size="small"
        text="Add webhook endpoint"
        disabled={draft.webhooks.length >= 10}
        onClick={() => edit({ webhooks: [...draft.webhooks, { id: "", url: "", secret: newSecret(), secretSet: false, savedUrl: null }] })}
      />

      {error !== null && <ErrorNotice error={error} context="The alert settings were not saved." />}
      <StatusMessage message={justSaved && !dirty ? "Alert settings saved. Signing secrets are stored sealed and are not shown again." : null} />
      <Stack gap={6} style={{ marginTop: 8 }}>
        <Button text="Save alert settings" onClick={() => void save()} loading={saving} disabled={!valid || !dirty || saving} />
        <Button intent="secondary" text="Discard changes" disabled={!dirty || saving} onClick={() => setDraft(draftFrom(saved))} />
      </Stack>

      <P5 style={{ margin: "10px 0 4px", fontWeight: 600 }}>Recent deliveries</P5>
      {breakers.map((b) => (
        <BreakerNotice key={b.target} breaker={b} />
      ))}
      {log === null ? (
        <P5>Loading…</P5>
      ) : log.length === 0 ? (
        <P5>No alerts have been sent yet.</P5>
      ) : (
        <table style={{ fontSize: 11, width: "100%", borderCollapse: "collapse" }} data-testid="alert-deliveries">
          <thead>
            <tr style={{ textAlign: "left" }}>
              <th>When</th>
              <th>What</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {log.map((row) => (
              <tr key={row.id} style={{ borderTop: "1px solid rgba(0,0,0,0.08)", verticalAlign: "top" }}>
                <td>{formatDateTime(row.createdAt)}</td>
                <td>
                  {row.kind === "alert.webhook" ? "Webhook" : "Helpdesk"}: {row.summary ?? row.kind}
                  {row.lastError && row.state !== "done" && <div style={{ color: colors.muted }}>{row.lastError}</div>}
                </td>
                <td>{row.state === "done" ? "sent" : row.state === "failed" ? "failed" : `retrying (${row.attempts})`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Button intent="secondary" size="small" text="Refresh deliveries" onClick={loadLog} style={{ marginTop: 4 }} />
    </Section>
  );
}

const TARGET_NAMES: Record<DeliveryBreaker["target"], string> = { helpdesk: "this helpdesk", webhooks: "your webhook endpoints" };

/** A target that has been failing: deliveries paused until a time (open), about to be tried (half open), or still being retried. */
function BreakerNotice({ breaker }: { breaker: DeliveryBreaker }) {
  const where = TARGET_NAMES[breaker.target];
  const failures = `${breaker.failures} ${breaker.failures === 1 ? "delivery" : "deliveries"} in a row to ${where} failed (no answer, or a server error)`;
  const message =
    breaker.state === "open"
      ? `Deliveries to ${where} are paused: ${failures}. Next try ${breaker.nextTryAt ? formatDateTime(breaker.nextTryAt) : "soon"}; nothing is lost meanwhile.`
      : breaker.state === "half_open"
        ? `Deliveries to ${where} were paused: ${failures}. The next one is a trial.`
        : `${failures}; they are being retried.`;
  return (
    <div data-testid={`breaker-${breaker.target}`}>
      <Notice tone="warning">
        {message}
        {breaker.lastError && <div>Last error: {breaker.lastError}</div>}
      </Notice>
    </div>
  );
}
