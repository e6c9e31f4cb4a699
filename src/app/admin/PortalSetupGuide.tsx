import { useCallback, useEffect, useState } from "react";
import type { DeskproLookups, LedgerConfig, PortalSetup, TierFieldCreated } from "../../contract/index.js";
import type { AdminLedgerApi } from "../api/admin-api.js";
import { ErrorNotice, Loading, Notice, Section, Select, usePalette } from "../components/common.js";
import { Button, P5 } from "../deskpro/ui.js";
import { formatDateTime } from "../format.js";
import { CopyValue } from "./CopyValue.js";

const CHECKS: Array<[keyof PortalSetup["checklist"], string]> = [
  ["connected", "Helpdesk connected"],
  ["fieldFound", "Tier field found in Deskpro, an option for every paid tier"],
  ["webhookReceived", "A web hook received from a real ticket"],
  ["priorityWritten", "A priority written back to a ticket"],
];

/**
 * Paid tiers on the portal without a terminal: (1) the tier field, made in Deskpro through its API
 * (or, where Deskpro refuses, an existing field picked and its options mapped from lists), (2) the
 * three web hook actions with every value to copy and the secret made here, shown once, (3) a
 * checklist that turns green as the ledger sees each piece work.
 */
export function PortalSetupGuide({
  api,
  config,
  lookups,
  onFieldChanged,
  onConfigChanged,
}: {
  api: AdminLedgerApi;
  config: LedgerConfig;
  lookups: DeskproLookups | null;
  /** Told when the tier field or its options change, so the option titles are read again (no reload needed). */
  onFieldChanged?: (stamp: string) => void;
  /** Told when making the field saved the configuration too (paid tiers given priorities). */
  onConfigChanged?: () => void;
}) {
  const colors = usePalette();
  const [setup, setSetup] = useState<PortalSetup | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<"field" | "secret" | "mapping" | null>(null);
  const [fieldError, setFieldError] = useState<unknown>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [prioritiesSet, setPrioritiesSet] = useState<TierFieldCreated["prioritiesSet"]>([]);

  const load = useCallback(() => {
    api.portalSetup().then(
      (s) => {
        setSetup(s);
        setError(null);
      },
      (e: unknown) => setError(e),
    );
  }, [api]);
  // A tier added, removed or repriced changes what the field needs: the checklist is read again at once, even when it was all green.
  const tiersStamp = config.tiers.map((t) => `${t.key}:${t.label}:${t.price}`).join("|");
  useEffect(load, [load, tiersStamp]);
  const fieldStamp = setup === null ? null : `${setup.tierFieldId}:${setup.checklist.fieldFound.done}:${setup.checklist.fieldFound.detail}`;
  useEffect(() => {
    if (fieldStamp !== null) onFieldChanged?.(fieldStamp);
  }, [fieldStamp, onFieldChanged]);
  // While something is still to be seen (a web hook, a priority), look again every few seconds.
  const allDone = setup !== null && CHECKS.every(([key]) => setup.checklist[key].done);
  useEffect(() => {
    if (setup === null || allDone) return;
    const timer = setInterval(load, 4000);
    return () => clearInterval(timer);
  }, [setup, allDone, load]);

  const createField = async () => {
    setBusy("field");
    setFieldError(null);
    try {
      // With a field set, the same call finds options added to it since (by the titles named), and makes no second field.
      const created = await api.createTierField("Response time");
      if (created.prioritiesSet.length > 0) {
        setPrioritiesSet(created.prioritiesSet);
        onConfigChanged?.();
      }
      load();
    } catch (e) {
      setFieldError(e);
    } finally {
      setBusy(null);
    }
  };
  const makeSecret = async () => {
    setBusy("secret");
    try {
      setSecret((await api.issueWebhookSecret()).webhookSecret);
      load();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  if (error !== null && setup === null) return <ErrorNotice error={error} onRetry={load} context="The portal setup could not be read." />;
  if (setup === null) return <Loading label="Reading the portal setup…" />;
  const check = (key: keyof PortalSetup["checklist"]) => setup.checklist[key];
  // A paid tier that sets no priority changes nothing agents see, and the last check can't turn green.
  const paidWithoutPriority = config.tiers.filter((t) => t.price > 0 && t.deskproPriorityId === null);
  const priorityHint =
    paidWithoutPriority.length === 0
      ? null
      : `${paidWithoutPriority.map((t) => t.label).join(", ")} ${paidWithoutPriority.length === 1 ? "sets" : "set"} no Deskpro priority, so nothing is written back for ${paidWithoutPriority.length === 1 ? "it" : "them"}: pick a priority under Response tiers and save.`;

  return (
    <Section title="Paid tiers on the portal: setup">
      <ol aria-label="Setup checklist" style={{ listStyle: "none", padding: 0, margin: "0 0 8px" }}>
        {CHECKS.map(([key, label]) => {
          const item = check(key);
          return (
            <li key={key} data-testid={`check-${key}`} data-done={item.done} style={{ padding: "3px 0", fontSize: 12 }}>
              <span aria-hidden style={{ color: item.done ? colors.ok : colors.muted, fontWeight: 700 }}>
                {item.done ? "✓" : "○"}
              </span>{" "}
              {label}
              {item.done ? "" : " (not yet)"}
              {(item.detail || item.at || item.ticketId) && (
                <div style={{ color: colors.muted, fontSize: 11, marginLeft: 16 }}>
                  {[item.detail, item.ticketId ? `ticket ${item.ticketId}` : null, item.at ? formatDateTime(item.at) : null].filter(Boolean).join(" · ")}
                </div>
              )}
              {key === "priorityWritten" && !item.done && priorityHint && (
                <div data-testid="priority-hint" style={{ color: colors.depletedText, fontSize: 11, marginLeft: 16 }}>
                  {priorityHint}
                </div>
              )}
            </li>
          );
        })}
      </ol>

      <h3 style={{ fontSize: 12, margin: "8px 0 4px" }}>1. The tier field on the portal form</h3>
      {check("fieldFound").done ? (
        <P5 style={{ margin: 0 }}>Done. Put the field on the portal's new-ticket form (Admin → Tickets → Ticket layouts) if it isn't yet.</P5>
      ) : setup.tierFieldId !== null ? (
        <>
          <P5 style={{ margin: "0 0 6px" }} data-testid="field-next-step">
            {check("fieldFound").detail ?? "The field is set, but Deskpro didn't give it: check it still exists in Admin → Tickets → Fields."}
          </P5>
          <Button text="Find the new options" loading={busy === "field"} disabled={busy !== null} onClick={() => void createField()} />
          {fieldError !== null && <ErrorNotice error={fieldError} context="The options were not found." />}
          <MapExistingField api={api} config={config} lookups={lookups} onSaved={load} />
        </>
      ) : (
        <>
          <P5 style={{ margin: "0 0 6px" }}>
            A choice field with one option per tier, each titled with the tier's price, made in Deskpro for you. Then put it on the portal's new-ticket form
            (Admin → Tickets → Ticket layouts).
          </P5>
          <Button text="Create the Response time field in Deskpro" loading={busy === "field"} disabled={busy !== null} onClick={() => void createField()} />
          {fieldError !== null && (
            <>
              <ErrorNotice error={fieldError} context="The field was not created." />
              <MapExistingField api={api} config={config} lookups={lookups} onSaved={load} />
            </>
          )}
        </>
      )}

      {prioritiesSet.length > 0 && (
        <Notice tone="success">
          Paid tiers now set a Deskpro priority:{" "}
          {prioritiesSet.map((p) => `${config.tiers.find((t) => t.key === p.tier)?.label ?? p.tier} → ${p.title}`).join(", ")}. Change them under Response
          tiers.
        </Notice>
      )}
      <h3 style={{ fontSize: 12, margin: "10px 0 4px" }}>2. The web hooks that tell the ledger</h3>
      <P5 style={{ margin: "0 0 6px" }}>
        Deskpro's API can't create triggers, so add each below by hand with a <em>Call web hook</em> action: method POST, the URL and the two custom headers.
      </P5>
      {secret !== null ? (
        <>
          <Notice tone="warning">The secret is shown this once: put it in every web hook action below now.</Notice>
          <CopyValue label="X-Credits-Webhook-Secret" value={secret} testId="webhook-secret" />
        </>
      ) : (
        <P5 style={{ margin: "0 0 6px" }}>
          {setup.webhookSecretSet
            ? "A secret is set (shown only when made). Make a new one only if it was lost: then update every web hook action."
            : "First make the secret the web hooks send."}
        </P5>
      )}
      <Button
        intent={setup.webhookSecretSet ? "secondary" : "primary"}
        size="small"
        text={setup.webhookSecretSet ? "Make a new secret" : "Make the webhook secret"}
        loading={busy === "secret"}
        disabled={busy !== null}
        onClick={() => void makeSecret()}
      />
      {setup.actions.map((action) => (
        <fieldset key={action.event} style={{ border: `1px solid ${colors.border}`, borderRadius: 4, padding: 8, margin: "8px 0 0", minWidth: 0 }}>
          <legend style={{ fontSize: 12, padding: "0 4px" }}>{action.where}</legend>
          <P5 style={{ margin: "0 0 4px" }}>When {action.when}: Call web hook, method POST.</P5>
          <CopyValue label="URL" value={action.url} testId={`hook-url-${action.event}`} />
          {action.headers.map((header) => (
            <CopyValue
              key={header.name}
              label={`Header ${header.name}`}
              value={header.value ?? secret ?? "(the secret made above)"}
              testId={`hook-header-${action.event}-${header.name.toLowerCase()}`}
            />
          ))}
        </fieldset>
      ))}

      <h3 style={{ fontSize: 12, margin: "10px 0 4px" }}>3. Try it</h3>
      <P5 style={{ margin: "0 0 6px" }}>
        Submit a ticket on the portal choosing a paid tier for a customer with credits: the checklist above turns green as the ledger sees the web hook and
        writes the priority back.
      </P5>
      <Button intent="secondary" size="small" text="Check again" onClick={load} />
    </Section>
  );
}

/** Where Deskpro won't create the field: pick an existing choice field and which option is which tier. */
function MapExistingField({
  api,
  config,
  lookups,
  onSaved,
}: {
  api: AdminLedgerApi;
  config: LedgerConfig;
  lookups: DeskproLookups | null;
  onSaved: () => void;
}) {
  const fields = (lookups?.ticketFields ?? []).filter((f) => f.choices.length > 0);
  const [fieldId, setFieldId] = useState("");
  const [options, setOptions] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const field = fields.find((f) => String(f.id) === fieldId);
  if (fields.length === 0) return <Notice tone="info">Make a choice ticket field in Deskpro with one option per tier, then open this page again.</Notice>;
  const save = async () => {
    if (!field) return;
    try {
      const { settings } = await api.portalSettings();
      await api.savePortalSettings({
        ...settings,
        tierFieldId: field.id,
        tierOptions: config.tiers.filter((t) => options[t.key]).map((t) => ({ tier: t.key, optionId: Number(options[t.key]), title: null })),
      });
      onSaved();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div style={{ marginTop: 6 }}>
      <P5 style={{ margin: "0 0 4px" }}>Or use a field you made in Deskpro:</P5>
      <Select
        aria-label="Tier field"
        value={fieldId}
        onChange={setFieldId}
        options={[{ value: "", label: "Choose a ticket field" }, ...fields.map((f) => ({ value: String(f.id), label: f.title }))]}
      />
      {field &&
        config.tiers.map((tier) => (
          <div key={tier.key} style={{ marginTop: 4 }}>
            <Select
              aria-label={`Option for ${tier.label}`}
              value={options[tier.key] ?? ""}
              onChange={(v) => setOptions({ ...options, [tier.key]: v })}
              options={[
                { value: "", label: `${tier.label}: no option` },
                ...field.choices.map((c) => ({ value: String(c.id), label: `${tier.label}: ${c.title}` })),
              ]}
            />
          </div>
        ))}
      {error !== null && <ErrorNotice error={error} context="The mapping was not saved." />}
      <Button intent="secondary" size="small" text="Save the mapping" disabled={!field} onClick={() => void save()} style={{ marginTop: 6 }} />
    </div>
  );
}
