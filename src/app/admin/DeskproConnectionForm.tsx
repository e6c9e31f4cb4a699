import { useEffect, useId, useState, type ChangeEvent } from "react";
import { DeskproConnectionRequest, type DeskproConnection } from "../../contract/index.js";
import type { AdminLedgerApi } from "../api/admin-api.js";
import { ErrorNotice, FieldError, Notice, Section } from "../components/common.js";
import { Button, P5 } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";

/**
 * The portal flow's connection: where this helpdesk is, the Deskpro API key the ledger writes back
 * with, and the secret the triggers' webhooks send. Secrets go to the ledger (sealed there) and
 * never come back; empty fields keep what is stored.
 */
export function DeskproConnectionForm({ api }: { api: AdminLedgerApi }) {
  const ids = { url: useId(), key: useId(), secret: useId(), urlError: useId(), keyError: useId(), secretError: useId() };
  const [current, setCurrent] = useState<DeskproConnection | null>(null);
  const [url, setUrl] = useState("");
  const [apiKey, setApiKey] = useState("");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    api.deskproConnection().then(
      (c) => {
        setCurrent(c);
        setUrl(c.url ?? "");
      },
      (e: unknown) => setError(e),
    );
  }, [api]);

  const request = { url: url.trim(), ...(apiKey.trim() ? { apiKey: apiKey.trim() } : {}), ...(secret ? { webhookSecret: secret } : {}) };
  const checked = DeskproConnectionRequest.safeParse(request);
  const fieldError = (field: string) => (checked.success ? null : (checked.error.issues.find((i) => i.path[0] === field)?.message ?? null));
  const touched = url !== (current?.url ?? "") || apiKey !== "" || secret !== "";
  // A field's error shows once something is typed in it; the element is always there, so the
  // field's aria-describedby names something and a new message is announced.
  const urlError = url !== "" ? fieldError("url") : null;
  const keyError = apiKey !== "" ? fieldError("apiKey") : null;
  const secretError = secret !== "" ? fieldError("webhookSecret") : null;

  const save = async () => {
    if (!checked.success || saving) return;
    setSaving(true);
    setError(null);
    try {
      setCurrent(await api.saveDeskproConnection(checked.data));
      setApiKey("");
      setSecret("");
      setSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Section title="Portal tiers: this helpdesk">
      <P5 style={{ margin: "0 0 6px" }}>
        The ledger charges tiers chosen on the portal form and writes the priority and notes back through Deskpro's API. See the setup guide.
      </P5>
      <label htmlFor={ids.url} style={{ fontSize: 11, display: "block" }}>
        Helpdesk address
      </label>
      <Input
        id={ids.url}
        value={url}
        placeholder="https://support.example.com"
        error={urlError !== null}
        aria-invalid={urlError !== null}
        aria-describedby={ids.urlError}
        onChange={(e: ChangeEvent<HTMLInputElement>) => {
          setUrl(e.target.value);
          setSaved(false);
        }}
      />
      <FieldError id={ids.urlError} message={urlError} />
      <label htmlFor={ids.key} style={{ fontSize: 11, display: "block", marginTop: 6 }}>
        Deskpro API key {current?.apiKeySet ? `(set, id ${current.apiKeyId}; leave empty to keep)` : ""}
      </label>
      <Input
        id={ids.key}
        type="password"
        autoComplete="off"
        value={apiKey}
        placeholder="12:abcdef…"
        error={keyError !== null}
        aria-invalid={keyError !== null}
        aria-describedby={ids.keyError}
        onChange={(e: ChangeEvent<HTMLInputElement>) => {
          setApiKey(e.target.value);
          setSaved(false);
        }}
      />
      <FieldError id={ids.keyError} message={keyError} />
      <label htmlFor={ids.secret} style={{ fontSize: 11, display: "block", marginTop: 6 }}>
        Webhook secret {current?.webhookSecretSet ? "(set; leave empty to keep)" : ""}
      </label>
      <Input
        id={ids.secret}
        type="password"
        autoComplete="off"
        value={secret}
        error={secretError !== null}
        aria-invalid={secretError !== null}
        aria-describedby={ids.secretError}
        onChange={(e: ChangeEvent<HTMLInputElement>) => {
          setSecret(e.target.value);
          setSaved(false);
        }}
      />
      <FieldError id={ids.secretError} message={secretError} />
      {error !== null && <ErrorNotice error={error} context="The connection was not saved." />}
      {saved && <Notice tone="success">Saved. The key and secret are stored sealed and are not shown again.</Notice>}
      <Button
        text="Save helpdesk connection"
        onClick={() => void save()}
        loading={saving}
        disabled={!checked.success || !touched || saving}
        style={{ marginTop: 6 }}
      />
    </Section>
  );
}
