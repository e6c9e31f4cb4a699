import { useEffect, useMemo, useRef, useState } from "react";
import { ErrorCode, type ConfigResponse, type DeskproLookups } from "../../contract/index.js";
import { describeError, LedgerHttpError, LedgerProblem } from "../api/errors.js";
import { AdminLedgerApi } from "../api/admin-api.js";
import { adminEndpoint } from "../api/transport.js";
import { ErrorNotice, Notice, Section, StatusMessage, usePalette } from "../components/common.js";
import { useFocusReturn } from "../components/focus.js";
import { useDeskpro } from "../deskpro/DeskproProvider.js";
import { Button, P5, Stack } from "../deskpro/ui.js";
import { formatDateTime } from "../format.js";
import { AlertLevelsSection } from "./AlertLevelsSection.js";
import { AlertSettingsForm } from "./AlertSettingsForm.js";
import { BulkGrant } from "./BulkGrant.js";
import { CardPaymentsSection } from "./CardPaymentsSection.js";
import { CreditPacksSection } from "./CreditPacksSection.js";
import { DeskproBillingForm } from "./DeskproBillingForm.js";
import { DeskproConnectionForm } from "./DeskproConnectionForm.js";
import { FinanceReportSection } from "./FinanceReportSection.js";
import { PortalLabels } from "./PortalLabels.js";
import { PortalSetupGuide } from "./PortalSetupGuide.js";
import { draftFromConfig, summarise, toConfig, type ConfigDraft } from "./draft.js";
import { RevealErrors } from "./form-fields.js";
import { OverageSection } from "./OverageSection.js";
import { PlansSection } from "./PlansSection.js";
import { ResponseTiersSection } from "./ResponseTiersSection.js";
import { TimeLogSection } from "./TimeLogSection.js";

const SAVED_KEY_REFUSED =
  "Not connected yet, or the ledger refused the saved key: press Connect this helpdesk above (or paste a self-hosted ledger's key into its field), then verify again.";

/** The ledger (or Deskpro's proxy) refused the key, rather than failing in another way. */
const isRefusedKey = (error: unknown) =>
  (error instanceof LedgerProblem && (error.problem.status === 401 || error.problem.status === 403) && error.code !== ErrorCode.tenantSuspended) ||
  (error instanceof LedgerHttpError && (error.status === 401 || error.status === 403));

/** Plain https, or plain http on this machine for development. No trailing slash, query or fragment. */
export function checkLedgerUrl(raw: string): string | null {
  const value = raw.trim();
  if (value === "") return "Enter the ledger URL.";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "That isn't a URL. It looks like https://credits.example.com";
  }
  const local = url.protocol === "http:" && (url.hostname === "localhost" || url.hostname === "127.0.0.1");
  if (url.protocol !== "https:" && !local) return "The ledger URL must start with https://";
  if (url.search || url.hash || url.username || url.password) return "Leave out any query, fragment or credentials.";
  if (value.endsWith("/")) return "Leave out the trailing slash.";
  return null;
}

type Connection = { state: "idle" } | { state: "checking" } | { state: "ok"; response: ConfigResponse } | { state: "failed"; message: string };

export default function AdminPage() {
  const { client, adminSettings, ready } = useDeskpro();
  const colors = usePalette();
  const ledgerUrl = typeof adminSettings?.ledger_url === "string" ? adminSettings.ledger_url : "";
  // Deskpro doesn't send a saved backend-only setting back: no key in the form means "use the saved one".
  // The form holds one when Connect has just stored it, or when one was pasted by hand.
  const formKey = (name: string) => (typeof adminSettings?.[name] === "string" ? (adminSettings[name] as string).trim() : "");
  const apiKey = formKey("ledger_api_key") || formKey("ledger_api_key_pasted");
  const savedKey = apiKey.trim() === "";
  const urlProblem = checkLedgerUrl(ledgerUrl);
  const api = useMemo(() => new AdminLedgerApi(adminEndpoint(client, ledgerUrl, apiKey)), [client, ledgerUrl, apiKey]);

  const [connection, setConnection] = useState<Connection>({ state: "idle" });
  const [draft, setDraft] = useState<ConfigDraft | null>(null);
  const [saved, setSaved] = useState<ConfigResponse | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [revealErrors, setRevealErrors] = useState(false);
  // The portal tier field as the setup guide last saw it: the option titles are read again when it changes.
  const [portalFieldStamp, setPortalFieldStamp] = useState<string | null>(null);
  // Deskpro's fields, options, SLAs and priorities for the pickers; null until read (or if unreadable: ids are typed then).
  const [lookups, setLookups] = useState<DeskproLookups | null>(null);
  useEffect(() => {
    if (connection.state !== "ok") return;
    let live = true;
    api.deskproLookups().then(
      (l) => live && setLookups(l),
      () => live && setLookups(null),
    );
    return () => {
      live = false;
    };
  }, [api, connection.state]);
  // What the last Save or Discard did, said in the Save section (which then takes focus: both buttons turn off).
  const [outcome, setOutcome] = useState<"saved" | "discarded" | null>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);
  const rememberFocus = useFocusReturn(saving);
  useEffect(() => {
    if (outcome) outcomeRef.current?.focus();
  }, [outcome]);

  // The URL and key last checked: a check already made (by the button, or on opening) isn't repeated.
  const checkedFor = useRef<string | null>(null);
  const verify = async () => {
    if (urlProblem) return;
    checkedFor.current = `${ledgerUrl}\n${apiKey}`;
    setConnection({ state: "checking" });
    try {
      const response = await api.config();
      setConnection({ state: "ok", response });
      setSaved(response);
      setDraft(draftFromConfig(response.config));
      setSaveError(null);
    } catch (error) {
      setConnection({ state: "failed", message: savedKey && isRefusedKey(error) ? SAVED_KEY_REFUSED : describeError(error) });
    }
  };
  // The page opens ready, as an installed app's does: the saved URL and key are checked at once, and
  // a different URL or key typed in is a different connection, checked again once typing pauses.
  const verifyNow = useRef(verify);
  verifyNow.current = verify;
  useEffect(() => {
    if (checkedFor.current === `${ledgerUrl}\n${apiKey}`) return;
    setConnection({ state: "idle" });
    if (!ready || urlProblem) return;
    const timer = setTimeout(() => {
      if (checkedFor.current !== `${ledgerUrl}\n${apiKey}`) void verifyNow.current();
    }, 500);
    return () => clearTimeout(timer);
  }, [ready, ledgerUrl, apiKey, urlProblem]);

  const checked = draft ? toConfig(draft) : null;
  const dirty = draft !== null && saved !== null && JSON.stringify(draft) !== JSON.stringify(draftFromConfig(saved.config));

  // Deskpro's own Save button for the app's settings: blocked while anything here is wrong or unsaved.
  const invalidMessage =
    urlProblem ??
    (connection.state === "failed" ? connection.message : null) ??
    (checked && !checked.valid ? summarise(checked.errors) : null) ??
    (dirty ? "Save or discard the credits configuration first." : null);
  useEffect(() => {
    if (!ready) return;
    if (invalidMessage) client.setAdminSettingInvalid(invalidMessage);
    else client.setAdminSetting(JSON.stringify({ configVersion: saved?.version ?? null }));
  }, [client, ready, invalidMessage, saved?.version]);

  // The guide saved the configuration (priorities given to paid tiers): read it again, keeping edits in progress.
  const reloadConfig = async () => {
    try {
      const response = await api.config();
      setSaved(response);
      if (!dirty) setDraft(draftFromConfig(response.config));
    } catch (error) {
      setSaveError(error);
    }
  };

  const save = async () => {
    if (!draft || !saved || saving) return;
    if (!checked?.valid) {
      // Every message shows now, and the first field to fix takes focus.
      setRevealErrors(true);
      setTimeout(() => document.querySelector<HTMLElement>('main [aria-invalid="true"]')?.focus(), 0);
      return;
    }
    rememberFocus();
    setSaving(true);
    setSaveError(null);
    try {
      const response = await api.saveConfig(checked.config, saved.version);
      setSaved(response);
      setDraft(draftFromConfig(response.config));
      setOutcome("saved");
    } catch (error) {
      setSaveError(error);
    } finally {
      setSaving(false);
    }
  };

  const editor =
    draft && checked
      ? {
          draft,
          lookups,
          errors: checked.errors,
          onChange: (next: typeof draft) => {
            setDraft(next);
            setOutcome(null);
          },
        }
      : null;

  return (
    <main>
      {connection.state === "ok" && <JumpTo />}
      <div id="settings-connection" tabIndex={-1}>
        <Section title="Connection">
          <P5 style={{ margin: "0 0 6px" }}>
            The ledger URL and API key are checked as soon as this page opens, and again when you type new ones above. Leave the key empty to keep the saved one
            (a saved key isn't shown).
          </P5>
          {urlProblem && ledgerUrl !== "" && <Notice tone="warning">{urlProblem}</Notice>}
          <Button
            text="Verify connection"
            onClick={() => void verify()}
            loading={connection.state === "checking"}
            disabled={urlProblem !== null || connection.state === "checking"}
          />
          <div aria-live="polite">
            {connection.state === "ok" && (
              <Notice tone="success">
                Connected.{" "}
                {connection.response.updatedAt
                  ? `Settings last saved ${formatDateTime(connection.response.updatedAt)}.`
                  : "No settings saved yet: the defaults below apply."}
              </Notice>
            )}
            {connection.state === "failed" && <Notice tone="warning">{connection.message}</Notice>}
          </div>
        </Section>
      </div>
      <div id="settings-portal-tiers" tabIndex={-1}>
        {connection.state === "ok" && saved && (
          <PortalSetupGuide
            api={api}
            config={saved.config}
            lookups={lookups}
            onFieldChanged={setPortalFieldStamp}
            onConfigChanged={() => void reloadConfig()}
          />
        )}
        {connection.state === "ok" && saved && <PortalLabels api={api} configVersion={saved.version} fieldStamp={portalFieldStamp} />}
        {connection.state === "ok" && <DeskproConnectionForm api={api} />}
        {connection.state === "ok" && <OverageSection api={api} />}
      </div>
      {connection.state === "ok" && <DeskproBillingForm api={api} />}
      {connection.state === "ok" && <CardPaymentsSection api={api} />}
      {editor && (
        <RevealErrors.Provider value={revealErrors}>
          <div id="settings-portal-tiers-editor">
            <ResponseTiersSection {...editor} />
          </div>
          <div id="settings-plans" tabIndex={-1}>
            <PlansSection {...editor} />
          </div>
          <div id="settings-card-payments" tabIndex={-1}>
            <CreditPacksSection {...editor} />
          </div>
          <div id="settings-time-log" tabIndex={-1}>
            <TimeLogSection {...editor} />
          </div>
          <AlertLevelsSection {...editor} />
        </RevealErrors.Provider>
      )}
      {draft && (
        <Section title="Save">
          {saveError !== null && <ErrorNotice error={saveError} context="The configuration was not saved." />}
          <StatusMessage
            focusRef={outcomeRef}
            message={dirty || !outcome ? null : outcome === "saved" ? "Saved." : "Changes discarded: the saved settings are shown."}
          />
          {checked && !checked.valid && revealErrors && <P5 style={{ color: colors.depletedText }}>Fix the fields marked above to save.</P5>}
          <Stack gap={6}>
            <Button text="Save configuration" onClick={() => void save()} loading={saving} disabled={!dirty || saving} />
            <Button
              intent="secondary"
              text="Discard changes"
              disabled={!dirty || saving}
              onClick={() => {
                if (!saved) return;
                setDraft(draftFromConfig(saved.config));
                setRevealErrors(false);
                setOutcome("discarded");
              }}
            />
          </Stack>
        </Section>
      )}
      <div id="settings-bulk-grants" tabIndex={-1}>
        {connection.state === "ok" && saved && <BulkGrant api={api} plans={saved.config.plans} />}
      </div>
      <div id="settings-alerts" tabIndex={-1}>
        {connection.state === "ok" && <AlertSettingsForm api={api} />}
      </div>
      <div id="settings-finance" tabIndex={-1}>
        {connection.state === "ok" && <FinanceReportSection api={api} />}
      </div>
    </main>
  );
}

/** The page's parts as an admin thinks of them; each button brings its part into view and moves focus there. */
const PARTS: Array<[id: string, label: string]> = [
  ["settings-connection", "Connection"],
  ["settings-portal-tiers", "Portal tiers"],
  ["settings-plans", "Plans and rules"],
  ["settings-time-log", "Time log"],
  ["settings-card-payments", "Card payments"],
  ["settings-alerts", "Alerts"],
  ["settings-bulk-grants", "Bulk grants"],
  ["settings-finance", "Finance report"],
];

function JumpTo() {
  // Buttons rather than #links: the app's own route is the page's hash.
  const jump = (id: string) => {
    // Focusing the part scrolls it into view too (inside Deskpro's iframe, the host page scrolls).
    document.getElementById(id)?.focus();
  };
  return (
    <nav aria-label="Jump to" style={{ display: "flex", flexWrap: "wrap", gap: 4, padding: "8px 0" }}>
      {PARTS.map(([id, label]) => (
        <Button key={id} intent="minimal" size="small" text={label} onClick={() => jump(id)} />
      ))}
    </nav>
  );
}
