import { createContext, useContext, useEffect, useId, useMemo, useRef, useState, type ChangeEvent } from "react";
import { ErrorCode, Period, type ConfigResponse, type DeskproLookups } from "../../contract/index.js";
import { describeError, LedgerHttpError, LedgerProblem } from "../api/errors.js";
import { LedgerApi } from "../api/ledger.js";
import { adminEndpoint } from "../api/transport.js";
import { ErrorNotice, FieldError, Notice, Section, Select, StatusMessage, usePalette } from "../components/common.js";
import { useFocusReturn } from "../components/focus.js";
import { useDeskpro } from "../deskpro/DeskproProvider.js";
import { Button, Input, P5, Stack } from "../deskpro/ui.js";
import { formatMoney } from "../../ledger/domain/currency.js";
import { formatDateTime } from "../format.js";
import { AlertSettingsForm } from "./AlertSettingsForm.js";
import { BulkGrant } from "./BulkGrant.js";
import { DeskproBillingForm } from "./DeskproBillingForm.js";
import { DeskproConnectionForm } from "./DeskproConnectionForm.js";
import { PortalLabels } from "./PortalLabels.js";
import { PortalSetupGuide } from "./PortalSetupGuide.js";
import { draftFromConfig, summarise, toConfig, type ConfigDraft, type FieldErrors, type PlanRuleDraft } from "./draft.js";

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

/**
 * Whether every field's message shows: after Save was pressed with something wrong. Before that a
 * field's message shows once the admin has left the field, so a new row doesn't open in red.
 */
const RevealErrors = createContext(false);

function useShownError(error: string | undefined): [string | undefined, () => void] {
  const [left, setLeft] = useState(false);
  const reveal = useContext(RevealErrors);
  return [left || reveal ? error : undefined, () => setLeft(true)];
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
  const api = useMemo(() => new LedgerApi(adminEndpoint(client, ledgerUrl, apiKey)), [client, ledgerUrl, apiKey]);

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

  return (
    <main>
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
      {connection.state === "ok" && saved && (
        <PortalSetupGuide api={api} config={saved.config} lookups={lookups} onFieldChanged={setPortalFieldStamp} onConfigChanged={() => void reloadConfig()} />
      )}
      {connection.state === "ok" && saved && <PortalLabels api={api} configVersion={saved.version} fieldStamp={portalFieldStamp} />}
      {connection.state === "ok" && <DeskproConnectionForm api={api} />}
      {connection.state === "ok" && <DeskproBillingForm api={api} />}
      {draft && checked && (
        <RevealErrors.Provider value={revealErrors}>
          <ConfigEditor
            draft={draft}
            lookups={lookups}
            errors={checked.errors}
            onChange={(next) => {
              setDraft(next);
              setOutcome(null);
            }}
          />
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
      {connection.state === "ok" && saved && <BulkGrant api={api} plans={saved.config.plans} />}
      {connection.state === "ok" && <AlertSettingsForm api={api} />}
    </main>
  );
}

function Field({
  label,
  value,
  onChange,
  error,
  inputMode,
  placeholder,
  hint,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  inputMode?: "numeric" | "text";
  placeholder?: string;
  /** A line under the field, read with it (what the value means). */
  hint?: string;
}) {
  const id = useId();
  const errorId = useId();
  const hintId = useId();
  const [shown, left] = useShownError(error);
  return (
    <div style={{ minWidth: 0 }} onBlur={left}>
      <label htmlFor={id} style={{ fontSize: 11, display: "block" }}>
        {label}
      </label>
      <Input
        id={id}
        value={value}
        inputMode={inputMode ?? "text"}
        placeholder={placeholder}
        onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(e.target.value)}
        error={!!shown}
        aria-invalid={!!shown}
        aria-describedby={hint ? `${hintId} ${errorId}` : errorId}
      />
      {hint ? (
        <P5 id={hintId} style={{ margin: "2px 0 0" }}>
          {hint}
        </P5>
      ) : null}
      <FieldError id={errorId} message={shown} />
    </div>
  );
}

/** What a pack's price in the currency's smallest unit comes to ("¥5,000", "$250.00"), while it is a whole number and a code. */
function priceHint(price: string, currency: string): string | undefined {
  const code = currency.trim().toLowerCase();
  if (!/^\d{1,9}$/.test(price.trim()) || !/^[a-z]{3}$/.test(code)) return undefined;
  return `Customers pay ${formatMoney(Number(price.trim()), code)}`;
}

const grid = { display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(130px, 1fr))", gap: 8, alignItems: "start" } as const;

function Row({ children, onRemove, label }: { children: React.ReactNode; onRemove: () => void; label: string }) {
  const colors = usePalette();
  return (
    <fieldset style={{ border: `1px solid ${colors.border}`, borderRadius: 4, padding: 8, margin: "0 0 8px" }}>
      <legend style={{ fontSize: 12, padding: "0 4px" }}>{label}</legend>
      <div style={grid}>{children}</div>
      <Button
        intent="minimal"
        size="small"
        text={`Remove ${label.toLowerCase()}`}
        onClick={(e: React.MouseEvent<HTMLButtonElement>) => removeKeepingFocus(e.currentTarget, onRemove)}
        style={{ marginTop: 4 }}
      />
    </fieldset>
  );
}

/** The row goes with its button: focus moves to the first field of the row now in its place (or the one before), else to the list's Add button. */
function removeKeepingFocus(button: HTMLElement, remove: () => void) {
  const row = button.closest("fieldset");
  const list = row?.parentElement;
  const index = list ? [...list.querySelectorAll(":scope > fieldset")].indexOf(row!) : -1;
  remove();
  setTimeout(() => {
    if (!list) return;
    const rows = list.querySelectorAll(":scope > fieldset");
    const next = rows[Math.min(index, rows.length - 1)];
    (next ? next.querySelector<HTMLElement>("input, select, button") : list.querySelector<HTMLElement>(":scope > button"))?.focus();
  }, 0);
}

function ConfigEditor({
  draft,
  errors,
  lookups,
  onChange,
}: {
  draft: ConfigDraft;
  errors: FieldErrors;
  lookups: DeskproLookups | null;
  onChange: (d: ConfigDraft) => void;
}) {
  const update = <K extends keyof ConfigDraft>(key: K, value: ConfigDraft[K]) => onChange({ ...draft, [key]: value });
  const patch = <T,>(list: T[], i: number, p: Partial<T>): T[] => list.map((item, j) => (j === i ? { ...item, ...p } : item));
  const without = <T,>(list: T[], i: number): T[] => list.filter((_, j) => j !== i);
  const e = (path: string) => errors[path];

  return (
    <>
      <Section title="Response tiers">
        {draft.tiers.map((t, i) => (
          <Row key={i} label={`Tier ${i + 1}`} onRemove={() => update("tiers", without(draft.tiers, i))}>
            <Field
              label="Short name (used in reports)"
              value={t.key}
              onChange={(v) => update("tiers", patch(draft.tiers, i, { key: v }))}
              error={e(`tiers.${i}.key`)}
              placeholder="1-hour"
            />
            <Field
              label="Label (shown to customers)"
              value={t.label}
              onChange={(v) => update("tiers", patch(draft.tiers, i, { label: v }))}
              error={e(`tiers.${i}.label`)}
            />
            <Field
              label="Price (credits)"
              inputMode="numeric"
              value={t.price}
              onChange={(v) => update("tiers", patch(draft.tiers, i, { price: v }))}
              error={e(`tiers.${i}.price`)}
            />
            <Field
              label="Response target (minutes)"
              inputMode="numeric"
              value={t.responseMinutes}
              onChange={(v) => update("tiers", patch(draft.tiers, i, { responseMinutes: v }))}
              error={e(`tiers.${i}.responseMinutes`)}
              placeholder="none"
            />
            {lookups && lookups.priorities.length > 0 ? (
              <LabelledSelect
                label="Deskpro priority"
                value={t.deskproPriorityId}
                onChange={(v) => update("tiers", patch(draft.tiers, i, { deskproPriorityId: v }))}
                options={withCurrent(
                  [{ value: "", label: "Leave alone" }, ...lookups.priorities.map((p) => ({ value: String(p.id), label: p.title }))],
                  t.deskproPriorityId,
                  `Priority ${t.deskproPriorityId}`,
                )}
              />
            ) : (
              <Field
                label="Deskpro priority id"
                inputMode="numeric"
                value={t.deskproPriorityId}
                onChange={(v) => update("tiers", patch(draft.tiers, i, { deskproPriorityId: v }))}
                error={e(`tiers.${i}.deskproPriorityId`)}
                placeholder="leave alone"
              />
            )}
          </Row>
        ))}
        <Button
          intent="secondary"
          size="small"
          text="Add tier"
          onClick={() => update("tiers", [...draft.tiers, { key: "", label: "", responseMinutes: "", price: "0", deskproPriorityId: "" }])}
        />
      </Section>

      <Section title="Plans">
        {draft.plans.map((p, i) => (
          <Row key={i} label={`Plan ${i + 1}`} onRemove={() => update("plans", without(draft.plans, i))}>
            <Field
              label="Short name (used in reports)"
              value={p.key}
              onChange={(v) => update("plans", patch(draft.plans, i, { key: v }))}
              error={e(`plans.${i}.key`)}
              placeholder="gold"
            />
            <Field label="Name" value={p.name} onChange={(v) => update("plans", patch(draft.plans, i, { name: v }))} error={e(`plans.${i}.name`)} />
            <Field
              label="Credits per period"
              inputMode="numeric"
              value={p.creditsPerPeriod}
              onChange={(v) => update("plans", patch(draft.plans, i, { creditsPerPeriod: v }))}
              error={e(`plans.${i}.creditsPerPeriod`)}
            />
            <LabelledSelect
              label="Period"
              value={p.period}
              onChange={(v) => update("plans", patch(draft.plans, i, { period: Period.parse(v) }))}
              options={Period.options.map((o) => ({ value: o, label: o }))}
            />
            <LabelledSelect
              label="Rollover"
              value={p.rolloverType}
              onChange={(v) => update("plans", patch(draft.plans, i, { rolloverType: v as "none" | "credits" | "percent" }))}
              options={[
                { value: "none", label: "None" },
                { value: "credits", label: "Up to N credits" },
                { value: "percent", label: "Up to N percent" },
              ]}
            />
            {p.rolloverType !== "none" && (
              <Field
                label="Rollover cap"
                inputMode="numeric"
                value={p.rolloverMax}
                onChange={(v) => update("plans", patch(draft.plans, i, { rolloverMax: v }))}
                error={e(`plans.${i}.rollover.max`)}
              />
            )}
            <Field
              label="Grant lifetime (days)"
              inputMode="numeric"
              value={p.grantLifetimeDays}
              onChange={(v) => update("plans", patch(draft.plans, i, { grantLifetimeDays: v }))}
              error={e(`plans.${i}.grantLifetimeDays`)}
              placeholder="end of period"
            />
            <Field
              label="Overdraft limit"
              inputMode="numeric"
              value={p.overdraftLimit}
              onChange={(v) => update("plans", patch(draft.plans, i, { overdraftLimit: v }))}
              error={e(`plans.${i}.overdraftLimit`)}
            />
            <TiersOffered
              tiers={draft.tiers}
              value={p.tiers}
              onChange={(v) => update("plans", patch(draft.plans, i, { tiers: v }))}
              error={Object.entries(errors).find(([k]) => k.startsWith(`plans.${i}.tiers`))?.[1]}
            />
          </Row>
        ))}
        <Button
          intent="secondary"
          size="small"
          text="Add plan"
          onClick={() =>
            update("plans", [
              ...draft.plans,
              {
                key: "",
                name: "",
                creditsPerPeriod: "0",
                period: "month",
                rolloverType: "none",
                rolloverMax: "",
                grantLifetimeDays: "",
                overdraftLimit: "0",
                tiers: "",
                alertLevels: null,
              },
            ])
          }
        />
        <div style={{ marginTop: 8, maxWidth: 300 }}>
          <LabelledSelect
            label="Default plan (banks nobody assigned a plan to)"
            value={draft.defaultPlan}
            onChange={(v) => update("defaultPlan", v)}
            options={[
              { value: "", label: "No plan (no credits, as today)" },
              ...draft.plans.filter((p) => p.key.trim()).map((p) => ({ value: p.key.trim(), label: p.name || p.key })),
            ]}
            error={e("defaultPlan")}
          />
        </div>
      </Section>

      <Section title="Plan rules (first match wins: organisation field, then SLA, then person field)">
        {draft.planRules.map((r, i) => (
          <Row key={i} label={`Rule ${i + 1}`} onRemove={() => update("planRules", without(draft.planRules, i))}>
            <LabelledSelect
              label="When"
              value={r.type}
              onChange={(v) =>
                update("planRules", patch(draft.planRules, i, { type: v as PlanRuleDraft["type"], field: "", value: "", fieldTitle: null, valueTitle: null }))
              }
              options={[
                { value: "org_field", label: "Organisation field is" },
                { value: "sla", label: "SLA applies" },
                { value: "person_field", label: "Person field is (registration choice)" },
              ]}
            />
            <RuleFact
              rule={r}
              lookups={lookups}
              errors={{ field: e(`planRules.${i}.field`), value: e(`planRules.${i}.value`) }}
              onChange={(p) => update("planRules", patch(draft.planRules, i, p))}
            />
            <LabelledSelect
              label="Plan"
              value={r.plan}
              onChange={(v) => update("planRules", patch(draft.planRules, i, { plan: v }))}
              options={[
                { value: "", label: "Choose a plan" },
                ...draft.plans.filter((p) => p.key.trim()).map((p) => ({ value: p.key.trim(), label: p.name || p.key })),
              ]}
              error={e(`planRules.${i}.plan`)}
            />
          </Row>
        ))}
        <Button
          intent="secondary"
          size="small"
          text="Add rule"
          onClick={() => update("planRules", [...draft.planRules, { type: "org_field", field: "", value: "", plan: "", fieldTitle: null, valueTitle: null }])}
        />
      </Section>

      <Section title="Credit packs (card purchases)">
        {draft.packs.map((p, i) => (
          <Row key={i} label={`Pack ${i + 1}`} onRemove={() => update("packs", without(draft.packs, i))}>
            <Field
              label="Id"
              value={p.id}
              onChange={(v) => update("packs", patch(draft.packs, i, { id: v }))}
              error={e(`packs.${i}.id`)}
              placeholder="pack-500"
            />
            <Field label="Label" value={p.label} onChange={(v) => update("packs", patch(draft.packs, i, { label: v }))} error={e(`packs.${i}.label`)} />
            <Field
              label="Credits"
              inputMode="numeric"
              value={p.credits}
              onChange={(v) => update("packs", patch(draft.packs, i, { credits: v }))}
              error={e(`packs.${i}.credits`)}
            />
            <Field
              label="Price (smallest unit)"
              inputMode="numeric"
              value={p.price}
              onChange={(v) => update("packs", patch(draft.packs, i, { price: v }))}
              error={e(`packs.${i}.price`)}
              hint={priceHint(p.price, p.currency)}
            />
            <Field
              label="Currency"
              value={p.currency}
              onChange={(v) => update("packs", patch(draft.packs, i, { currency: v }))}
              error={e(`packs.${i}.currency`)}
              placeholder="usd"
            />
          </Row>
        ))}
        <Button
          intent="secondary"
          size="small"
          text="Add pack"
          onClick={() => update("packs", [...draft.packs, { id: "", label: "", credits: "", price: "", currency: "usd" }])}
        />
      </Section>

      <Section title="Time rate and rounding">
        <P5 style={{ margin: "0 0 6px" }}>Credits per block of minutes, charged on each ticket's total rounded up to the increment (never per entry).</P5>
        <div style={grid}>
          <Field
            label="Credits"
            inputMode="numeric"
            value={draft.time.credits}
            onChange={(v) => update("time", { ...draft.time, credits: v })}
            error={e("time.credits")}
          />
          <Field
            label="Per minutes"
            inputMode="numeric"
            value={draft.time.perMinutes}
            onChange={(v) => update("time", { ...draft.time, perMinutes: v })}
            error={e("time.perMinutes")}
          />
          <Field
            label="Round up to (minutes)"
            inputMode="numeric"
            value={draft.time.incrementMinutes}
            onChange={(v) => update("time", { ...draft.time, incrementMinutes: v })}
            error={e("time.incrementMinutes")}
          />
          <Field
            label="Minimum per ticket (minutes)"
            inputMode="numeric"
            value={draft.time.minimumMinutes}
            onChange={(v) => update("time", { ...draft.time, minimumMinutes: v })}
            error={e("time.minimumMinutes")}
          />
        </div>
      </Section>

      <Section title="Low-balance alerts">
        {draft.alerts.map((a, i) => (
          <Row key={i} label={`Level ${i + 1}`} onRemove={() => update("alerts", without(draft.alerts, i))}>
            <LabelledSelect
              label="Kind"
              value={a.type}
              onChange={(v) => update("alerts", patch(draft.alerts, i, { type: v as "credits" | "percent" }))}
              options={[
                { value: "credits", label: "Credits left" },
                { value: "percent", label: "Percent of the plan's allocation" },
              ]}
            />
            <Field
              label={a.type === "credits" ? "Credits" : "Percent"}
              inputMode="numeric"
              value={a.value}
              onChange={(v) => update("alerts", patch(draft.alerts, i, { value: v }))}
              error={e(`alerts.levels.${i}.value`)}
            />
          </Row>
        ))}
        <Button intent="secondary" size="small" text="Add alert level" onClick={() => update("alerts", [...draft.alerts, { type: "credits", value: "" }])} />
        <div style={{ marginTop: 8 }}>
          <Field
            label="Warn this many days before credits expire (0: never)"
            inputMode="numeric"
            value={draft.expiringDays}
            onChange={(v) => update("expiringDays", v)}
            error={e("alerts.expiringDays")}
          />
        </div>
      </Section>
    </>
  );
}

/**
 * The tiers a plan offers, ticked from the tiers above. All ticked is saved as "every tier" (so a
 * tier added later is offered too); the last ticked box can't be unticked. A name no tier has any
 * more (a tier removed or renamed) is listed, ticked, to untick.
 */
function TiersOffered({ tiers, value, onChange, error }: { tiers: ConfigDraft["tiers"]; value: string; onChange: (v: string) => void; error?: string }) {
  const errorId = useId();
  const [shown, left] = useShownError(error);
  const names = tiers.map((t) => t.key.trim()).filter(Boolean);
  const picked = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const all = picked.length === 0;
  const gone = picked.filter((k) => !names.includes(k));
  const isTicked = (k: string) => all || picked.includes(k);
  const toggle = (k: string) => {
    const current = all ? names : picked;
    const next = current.includes(k) ? current.filter((x) => x !== k) : [...current, k];
    onChange(names.every((n) => next.includes(n)) && next.every((n) => names.includes(n)) ? "" : next.join(", "));
  };
  const ticked = [...names, ...gone].filter(isTicked);
  return (
    <fieldset onBlur={left} aria-describedby={errorId} style={{ border: "none", padding: 0, margin: 0, minWidth: 0, gridColumn: "1 / -1" }}>
      <legend style={{ fontSize: 11, padding: 0 }}>Tiers offered{all ? " (all, also ones added later)" : ""}</legend>
      {[...names, ...gone].map((k) => {
        const tier = tiers.find((t) => t.key.trim() === k);
        return (
          <label key={k} style={{ display: "block", fontSize: 12 }}>
            <input
              type="checkbox"
              checked={isTicked(k)}
              disabled={isTicked(k) && ticked.length === 1}
              aria-invalid={gone.includes(k) && !!shown}
              onChange={() => toggle(k)}
            />{" "}
            {tier ? tier.label || k : `${k} (no tier has this name now)`}
          </label>
        );
      })}
      <FieldError id={errorId} message={shown} />
    </fieldset>
  );
}

function LabelledSelect({
  label,
  value,
  onChange,
  options,
  error,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: Array<{ value: string; label: string }>;
  error?: string;
}) {
  const id = useId();
  const errorId = useId();
  const [shown, left] = useShownError(error);
  return (
    <div onBlur={left}>
      <label htmlFor={id} style={{ fontSize: 11, display: "block" }}>
        {label}
      </label>
      <Select id={id} value={value} onChange={onChange} options={options} invalid={!!shown} describedBy={error !== undefined ? errorId : undefined} />
      {error !== undefined && <FieldError id={errorId} message={shown} />}
    </div>
  );
}

/** A list's options, plus the current value when the list no longer has it (typed earlier, or gone from Deskpro). */
function withCurrent(options: Array<{ value: string; label: string }>, current: string, label: string) {
  return current === "" || options.some((o) => o.value === current) ? options : [...options, { value: current, label }];
}

/**
 * What a plan rule looks at, picked from Deskpro's lists: a field and one of its options, or an
 * SLA. The titles are kept with the rule so the sidebars say it in words. Where Deskpro would not
 * give the list, the id is typed instead.
 */
function RuleFact({
  rule,
  lookups,
  errors,
  onChange,
}: {
  rule: PlanRuleDraft;
  lookups: DeskproLookups | null;
  errors: { field?: string; value?: string };
  onChange: (patch: Partial<PlanRuleDraft>) => void;
}) {
  const listName = rule.type === "sla" ? "slas" : rule.type === "org_field" ? "organizationFields" : "personFields";
  const listed = lookups !== null && !lookups.unavailable.includes(listName);
  if (!listed) {
    return (
      <>
        <Field
          label={rule.type === "sla" ? "SLA id" : "Field id or alias"}
          value={rule.field}
          onChange={(v) => onChange({ field: v, fieldTitle: null })}
          error={errors.field}
        />
        {rule.type !== "sla" && (
          <Field label="Value" value={rule.value} onChange={(v) => onChange({ value: v, valueTitle: null })} error={errors.value} placeholder="Gold" />
        )}
      </>
    );
  }
  if (rule.type === "sla") {
    return (
      <LabelledSelect
        label="SLA"
        value={rule.field}
        onChange={(v) => onChange({ field: v, fieldTitle: lookups.slas.find((s) => String(s.id) === v)?.title ?? null })}
        options={withCurrent(
          [{ value: "", label: "Choose an SLA" }, ...lookups.slas.map((s) => ({ value: String(s.id), label: s.title }))],
          rule.field,
          rule.fieldTitle ?? `SLA ${rule.field}`,
        )}
      />
    );
  }
  const fields = rule.type === "org_field" ? lookups.organizationFields : lookups.personFields;
  const field = fields.find((f) => String(f.id) === rule.field || (f.alias !== null && f.alias === rule.field));
  return (
    <>
      <LabelledSelect
        label={rule.type === "org_field" ? "Organisation field" : "Person field"}
        value={field ? String(field.id) : rule.field}
        onChange={(v) => onChange({ field: v, fieldTitle: fields.find((f) => String(f.id) === v)?.title ?? null, value: "", valueTitle: null })}
        options={withCurrent(
          [{ value: "", label: "Choose a field" }, ...fields.map((f) => ({ value: String(f.id), label: f.title }))],
          rule.field,
          rule.fieldTitle ?? `Field ${rule.field}`,
        )}
      />
      {field && field.choices.length > 0 ? (
        <LabelledSelect
          label="Is"
          value={rule.value}
          onChange={(v) => onChange({ value: v, valueTitle: field.choices.find((c) => String(c.id) === v)?.title ?? null })}
          options={withCurrent(
            [{ value: "", label: "Choose an option" }, ...field.choices.map((c) => ({ value: String(c.id), label: c.title }))],
            rule.value,
            rule.valueTitle ?? rule.value,
          )}
        />
      ) : (
        <Field label="Value" value={rule.value} onChange={(v) => onChange({ value: v, valueTitle: null })} error={errors.value} placeholder="Gold" />
      )}
    </>
  );
}
