import { useEffect, useId, useMemo, useRef, useState, type ChangeEvent } from "react";
import { DeskproApiKey, type HelpdeskSignup } from "../../contract/index.js";
import { describeError, LedgerProblem } from "../api/errors.js";
import { AdminLedgerApi } from "../api/admin-api.js";
import { adminEndpoint } from "../api/transport.js";
import { ErrorNotice, FieldError, Notice } from "../components/common.js";
import { useDeskpro } from "../deskpro/DeskproProvider.js";
import { embeddingOrigin } from "../deskpro/links.js";
import { Button, P5 } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";
import { CopyValue } from "./CopyValue.js";

/** The plain setting a key is pasted into when Deskpro would not take it from this page (manifest.json). */
export const PASTED_KEY_SETTING_TITLE = "Ledger API key (self-hosted, or when asked to paste it)";

type Outcome =
  | { state: "idle" }
  | { state: "connecting" }
  | { state: "stored"; signup: HelpdeskSignup }
  /** Deskpro has no way for this page to store the key: it is shown once, to paste by hand. */
  | { state: "paste"; signup: HelpdeskSignup }
  | { state: "failed"; error: unknown };

/**
 * How long the page waits for Deskpro to send the form back with the stored key. SDK 6's
 * `setAdminSetting` is a no-op when the parent doesn't provide `_setAdminSetting`, so only the
 * form coming back (`onAdminSettingsChange`) proves the key was stored.
 */
export const STORE_CONFIRM_MS = 2_000;

const text = (value: unknown) => (typeof value === "string" ? value : "");

/**
 * The "Connect this helpdesk" setting: the ledger key's own backend-only setting, whose page asks
 * the ledger to sign this helpdesk up (proven with a Deskpro API key of an admin) and stores the key
 * it answers with `setAdminSetting`, as official apps store tokens. The same Deskpro API key
 * becomes the ledger's helpdesk connection, so one step replaces the terminal's two.
 */
export default function ConnectPage() {
  const { client, adminSettings, ready } = useDeskpro();
  const ids = { helpdesk: useId(), key: useId(), keyError: useId() };
  const ledgerUrl = text(adminSettings?.ledger_url).trim();
  // The key this page stored (Deskpro sends the form back, unsaved values included), or one pasted by hand.
  const connectedKey = text(adminSettings?.ledger_api_key).trim();
  const pastedKey = text(adminSettings?.ledger_api_key_pasted).trim();
  const [helpdeskUrl, setHelpdeskUrl] = useState(() => embeddingOrigin() ?? "");
  const [deskproKey, setDeskproKey] = useState("");
  const [outcome, setOutcome] = useState<Outcome>({ state: "idle" });
  // Whether the saved settings already connect this helpdesk (checked once the page opens).
  const [saved, setSaved] = useState<{ url: string | null } | "none" | null>(null);

  // The key waiting to be seen in the form Deskpro sends back, and what to do when it is.
  const awaitingStore = useRef<{ key: string; stored: () => void } | null>(null);
  useEffect(() => {
    if (awaitingStore.current && connectedKey === awaitingStore.current.key) awaitingStore.current.stored();
  }, [connectedKey]);
  const storeKey = (key: string): Promise<boolean> =>
    new Promise((resolve) => {
      const settle = (stored: boolean) => {
        clearTimeout(timer);
        awaitingStore.current = null;
        resolve(stored);
      };
      const timer = setTimeout(() => settle(false), STORE_CONFIRM_MS);
      awaitingStore.current = { key, stored: () => settle(true) };
      Promise.resolve()
        .then(() => client.setAdminSetting(key))
        .catch(() => settle(false));
    });

  const keyed = useMemo(() => new AdminLedgerApi(adminEndpoint(client, ledgerUrl, connectedKey || pastedKey)), [client, ledgerUrl, connectedKey, pastedKey]);
  useEffect(() => {
    if (!ready || !ledgerUrl) return;
    let live = true;
    keyed.deskproConnection().then(
      (c) => live && setSaved({ url: c.url }),
      () => live && setSaved("none"),
    );
    return () => {
      live = false;
    };
  }, [ready, keyed, ledgerUrl]);

  const keyProblem = deskproKey.trim() === "" ? null : DeskproApiKey.safeParse(deskproKey).success ? null : "Deskpro's API keys look like 12:AbCdEf…";
  const connect = async () => {
    if (!ledgerUrl || keyProblem || !deskproKey.trim() || outcome.state === "connecting") return;
    setOutcome({ state: "connecting" });
    try {
      const signup = await new AdminLedgerApi(adminEndpoint(client, ledgerUrl, null)).signUp({
        helpdeskUrl: helpdeskUrl.trim(),
        deskproApiKey: deskproKey.trim(),
      });
      setDeskproKey("");
      const stored = typeof client.setAdminSetting === "function" && (await storeKey(signup.apiKey));
      setOutcome(stored ? { state: "stored", signup } : { state: "paste", signup });
    } catch (error) {
      setOutcome({ state: "failed", error });
    }
  };

  const connectedAlready = outcome.state !== "stored" && outcome.state !== "paste" && (connectedKey !== "" || (saved !== null && saved !== "none"));
  return (
    <main style={{ paddingTop: 4 }}>
      {connectedAlready && (
        <Notice tone="success">
          Connected{saved !== null && saved !== "none" && saved.url ? ` to ${saved.url}` : ""}. Connect again only to replace the key (the old one keeps working
          for a day, then stops).
        </Notice>
      )}
      <P5 style={{ margin: "0 0 6px" }}>
        Make an API key in Deskpro (Admin → Apps &amp; Integrations → API Keys) bound to an admin, paste it here and connect: the ledger checks with this
        helpdesk that the key is an admin's, and uses it to write priorities and notes back.
      </P5>
      <P5 style={{ margin: "0 0 6px" }} data-testid="connection-identity">
        Bind the key to a dedicated admin agent, such as “Support Credits”: messages to customers (low balance, a declined tier) are posted under that agent's
        name, and time the sidebar writes to the Billing tab counts as that agent's in Deskpro's per-agent reports, not as yours.
      </P5>
      <label htmlFor={ids.helpdesk} style={{ fontSize: 11, display: "block" }}>
        This helpdesk's address
      </label>
      <Input id={ids.helpdesk} value={helpdeskUrl} onChange={(e: ChangeEvent<HTMLInputElement>) => setHelpdeskUrl(e.target.value)} />
      <label htmlFor={ids.key} style={{ fontSize: 11, display: "block", marginTop: 6 }}>
        Deskpro API key
      </label>
      <Input
        id={ids.key}
        type="password"
        autoComplete="off"
        value={deskproKey}
        placeholder="12:AbCdEf…"
        error={keyProblem !== null}
        aria-invalid={keyProblem !== null}
        aria-describedby={ids.keyError}
        onChange={(e: ChangeEvent<HTMLInputElement>) => setDeskproKey(e.target.value)}
      />
      <FieldError id={ids.keyError} message={keyProblem} />
      <Button
        text="Connect this helpdesk"
        style={{ marginTop: 6 }}
        loading={outcome.state === "connecting"}
        disabled={!ledgerUrl || !deskproKey.trim() || keyProblem !== null || outcome.state === "connecting"}
        onClick={() => void connect()}
      />
      <div aria-live="polite">
        {outcome.state === "stored" && (
          <Notice tone="success">
            {outcome.signup.created ? "Connected" : "Connected again (the previous key stops working in a day)"}
            {outcome.signup.adminName ? ` as ${outcome.signup.adminName}` : ""}. Press Save at the bottom of these settings to keep the key.
            {outcome.signup.adminName ? ` Customers will see messages from ${outcome.signup.adminName}.` : ""}
          </Notice>
        )}
        {outcome.state === "paste" && (
          <>
            <Notice tone="warning">
              Deskpro did not let this page store the key. Copy it now (it is shown once), paste it into “{PASTED_KEY_SETTING_TITLE}” in these settings and
              press Save.
            </Notice>
            <CopyValue label="Ledger API key" value={outcome.signup.apiKey} testId="pasted-key" />
          </>
        )}
        {outcome.state === "failed" &&
          (outcome.error instanceof LedgerProblem && outcome.error.problem.code === "signup_disabled" ? (
            <Notice tone="warning">
              {describeError(outcome.error)} Paste it into “{PASTED_KEY_SETTING_TITLE}”.
            </Notice>
          ) : (
            <ErrorNotice error={outcome.error} context="Not connected." />
          ))}
      </div>
    </main>
  );
}
