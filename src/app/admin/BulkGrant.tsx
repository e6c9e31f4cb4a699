import { useId, useState, type ChangeEvent } from "react";
import { MAX_CREDITS_PER_WRITE, OWNER_PATTERN, type Plan, type WalletList } from "../../contract/index.js";
import { describeError } from "../api/errors.js";
import type { AdminLedgerApi } from "../api/admin-api.js";
import { ErrorNotice, FieldError, Notice, Section, Select, usePalette } from "../components/common.js";
import { Button, P5, Stack } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";
import { formatCredits } from "../format.js";

type Target = { kind: "plan"; plan: string } | { kind: "list"; text: string };

/** "org:42", "person:77", or a bare number for an organisation; one a line or separated by commas. */
export function parseOwners(text: string): { owners: string[]; bad: string[] } {
  const owners: string[] = [];
  const bad: string[] = [];
  for (const raw of text
    .split(/[\n,;]+/)
    .map((t) => t.trim())
    .filter(Boolean)) {
    const owner = /^[1-9][0-9]{0,17}$/.test(raw) ? `org:${raw}` : raw;
    if (OWNER_PATTERN.test(owner)) {
      if (!owners.includes(owner)) owners.push(owner);
    } else bad.push(raw);
  }
  return { owners, bad };
}

type Outcome = { owner: string; ok: true; balance: number } | { owner: string; ok: false; message: string };

/**
 * Grants credits to many banks at once (every organisation on a plan, or a list): a preview of the
 * banks first, then one write per bank, each with its own Idempotency-Key from this batch, so
 * pressing again (or retrying the failed ones) never grants a bank twice.
 */
export function BulkGrant({ api, plans }: { api: AdminLedgerApi; plans: readonly Plan[] }) {
  const colors = usePalette();
  const ids = { target: useId(), plan: useId(), list: useId(), amount: useId(), amountErr: useId(), reason: useId(), reasonErr: useId() };
  const [target, setTarget] = useState<Target>({ kind: "plan", plan: plans[0]?.key ?? "" });
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const [preview, setPreview] = useState<{ banks: WalletList["wallets"]; truncated: boolean; batch: string } | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [running, setRunning] = useState(false);

  const credits = /^\d+$/.test(amount.trim()) ? Number(amount.trim()) : NaN;
  const amountError = !(credits >= 1 && credits <= MAX_CREDITS_PER_WRITE) ? "Enter a whole number of credits, at least 1." : null;
  const reasonError = reason.trim() === "" ? "A reason is required: it goes on every statement." : null;
  const listed = target.kind === "list" ? parseOwners(target.text) : null;
  const listError = listed && listed.bad.length > 0 ? `Not a bank: ${listed.bad.join(", ")}` : null;
  const change = (next: Target) => {
    setTarget(next);
    setPreview(null);
    setOutcomes([]);
  };

  const loadPreview = async () => {
    setTouched(true);
    setPreviewError(null);
    if (amountError || reasonError) return;
    try {
      const batch = `bulk-${crypto.randomUUID()}`;
      if (target.kind === "plan") {
        const list = await api.wallets({ plan: target.plan, type: "org" });
        setPreview({ banks: list.wallets, truncated: list.truncated, batch });
      } else {
        if (!listed || listed.bad.length > 0 || listed.owners.length === 0) return;
        setPreview({ banks: listed.owners.map((owner) => ({ owner, name: null, balance: 0, plan: null })), truncated: false, batch });
      }
      setOutcomes([]);
    } catch (error) {
      setPreviewError(error);
    }
  };

  const run = async (owners: string[]) => {
    if (!preview || running) return;
    setRunning(true);
    const done = new Map(outcomes.map((o) => [o.owner, o]));
    for (const owner of owners) {
      try {
        // One key per bank and batch: a retry replays the first answer instead of granting again.
        const result = await api.grant(owner, { amount: credits, reason: reason.trim(), source: "manual" }, `${preview.batch}:${owner}`);
        done.set(owner, { owner, ok: true, balance: result.balance });
      } catch (error) {
        done.set(owner, { owner, ok: false, message: describeError(error) });
      }
      setOutcomes([...done.values()]);
    }
    setRunning(false);
  };

  const failed = outcomes.filter((o) => !o.ok).map((o) => o.owner);
  const granted = outcomes.filter((o) => o.ok).length;
  const label = { fontSize: 11, display: "block" } as const;
  return (
    <Section title="Grant credits to many banks">
      <P5 style={{ margin: "0 0 6px" }}>Preview the banks first; each gets one grant, and pressing again never grants a bank twice.</P5>
      <div style={{ display: "grid", gap: 6 }}>
        <div>
          <label htmlFor={ids.target} style={label}>
            Banks
          </label>
          <Select
            id={ids.target}
            value={target.kind}
            onChange={(v) => change(v === "plan" ? { kind: "plan", plan: plans[0]?.key ?? "" } : { kind: "list", text: "" })}
            options={[
              { value: "plan", label: "Every organisation on a plan" },
              { value: "list", label: "These banks (a list)" },
            ]}
          />
        </div>
        {target.kind === "plan" ? (
          <div>
            <label htmlFor={ids.plan} style={label}>
              Organisations on the plan
            </label>
            <Select
              id={ids.plan}
              value={target.plan}
              onChange={(plan) => change({ kind: "plan", plan })}
              options={plans.map((p) => ({ value: p.key, label: p.name }))}
            />
          </div>
        ) : (
          <div>
            <label htmlFor={ids.list} style={label}>
              Banks, one a line (org:42, person:77, or an organisation id)
            </label>
            <textarea
              id={ids.list}
              rows={3}
              value={target.text}
              onChange={(e) => change({ kind: "list", text: e.target.value })}
              aria-invalid={listError !== null}
              aria-describedby={`${ids.list}-err`}
              style={{ width: "100%", boxSizing: "border-box", fontSize: 12, background: colors.background, color: colors.text }}
            />
            <FieldError id={`${ids.list}-err`} message={listError} />
          </div>
        )}
        <div>
          <label htmlFor={ids.amount} style={label}>
            Credits for each bank
          </label>
          <Input
            id={ids.amount}
            inputMode="numeric"
            value={amount}
            onChange={(e: ChangeEvent<HTMLInputElement>) => {
              setAmount(e.target.value);
              setPreview(null);
            }}
            error={touched && amountError !== null}
            aria-invalid={touched && amountError !== null}
            aria-describedby={ids.amountErr}
          />
          <FieldError id={ids.amountErr} message={touched ? amountError : null} />
        </div>
        <div>
          <label htmlFor={ids.reason} style={label}>
            Reason (on every statement)
          </label>
          <Input
            id={ids.reason}
            value={reason}
            onChange={(e: ChangeEvent<HTMLInputElement>) => {
              setReason(e.target.value);
              setPreview(null);
            }}
            error={touched && reasonError !== null}
            aria-invalid={touched && reasonError !== null}
            aria-describedby={ids.reasonErr}
            aria-required="true"
          />
          <FieldError id={ids.reasonErr} message={touched ? reasonError : null} />
        </div>
      </div>
      {previewError !== null && <ErrorNotice error={previewError} context="No preview was made." />}
      <Stack gap={6} wrap="wrap" style={{ marginTop: 6 }}>
        <Button intent="secondary" text="Preview" onClick={() => void loadPreview()} disabled={running} />
        {preview && preview.banks.length > 0 && (
          <Button
            text={`Grant ${formatCredits(credits)} credits to ${formatCredits(preview.banks.length)} ${preview.banks.length === 1 ? "bank" : "banks"}`}
            loading={running}
            disabled={running || outcomes.length === preview.banks.length}
            onClick={() => void run(preview.banks.map((b) => b.owner))}
          />
        )}
        {failed.length > 0 && !running && <Button intent="secondary" text="Try the failed ones again" onClick={() => void run(failed)} />}
      </Stack>
      {preview && (
        <div aria-live="polite" data-testid="bulk-preview">
          {preview.banks.length === 0 ? (
            <P5 style={{ marginTop: 6 }}>No organisation is on this plan yet.</P5>
          ) : (
            <ul style={{ listStyle: "none", padding: 0, margin: "6px 0 0", fontSize: 12 }} aria-label="Banks to grant to">
              {preview.banks.map((b) => {
                const outcome = outcomes.find((o) => o.owner === b.owner);
                return (
                  <li key={b.owner} style={{ padding: "2px 0", borderBottom: `1px solid ${colors.track}`, overflowWrap: "anywhere" }}>
                    {b.name ?? b.owner}
                    {target.kind === "plan" ? ` · ${formatCredits(b.balance)} now` : ""}
                    {outcome?.ok === true && ` · granted, balance ${formatCredits(outcome.balance)}`}
                    {outcome?.ok === false && <span style={{ color: colors.depletedText }}> · not granted: {outcome.message}</span>}
                  </li>
                );
              })}
            </ul>
          )}
          {preview.truncated && <P5>Only the first 1,000 banks are shown and granted; run it again for the rest.</P5>}
          {outcomes.length > 0 && !running && (
            <Notice tone={failed.length > 0 ? "warning" : "success"}>
              Granted to {formatCredits(granted)} of {formatCredits(preview.banks.length)} banks{failed.length > 0 ? `; ${failed.length} failed` : ""}.
            </Notice>
          )}
        </div>
      )}
    </Section>
  );
}
