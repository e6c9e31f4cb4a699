import { useEffect, useId, useState, type ChangeEvent } from "react";
import type { DeskproBillingMode, DeskproBillingStatus, DeskproChargeState } from "../../contract/index.js";
import type { AdminLedgerApi } from "../api/admin-api.js";
import { ErrorNotice, Facts, FieldError, Loading, Notice, Section } from "../components/common.js";
import { Button, P5 } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";
import { formatDateTime, formatElapsed } from "../format.js";

const MODE_WORDS: Record<DeskproBillingMode, string> = {
  both_ways: "Both ways: time charges on Deskpro's Billing tab are charged to the ticket's bank, and time logged in the sidebar is written to the Billing tab.",
  from_deskpro: "Deskpro → banks: time charges on Deskpro's Billing tab are charged to the ticket's bank. Sidebar time stays in the ledger.",
  to_deskpro: "Banks → Deskpro: time logged in the sidebar is written to the Billing tab. Charges made in Deskpro are not counted.",
  off: "Off: Deskpro's Billing tab and the banks don't meet.",
};

const STATE_WORDS: Partial<Record<DeskproChargeState, string>> = {
  charged: "counted",
  unpaid: "waiting for credits",
  refunded: "refunded by an agent",
  removed: "changed or deleted in Deskpro, reversed",
  money_not_counted: "money, not counted",
  before_link: "made before the link started",
  no_customer: "no customer to charge",
  refused: "refused",
};

/** The rate field: empty for none, else whole credits per 1.00. */
function parseRate(text: string): { rate: number | null; error: string | null } {
  const trimmed = text.trim();
  if (trimmed === "") return { rate: null, error: null };
  if (!/^\d{1,7}$/.test(trimmed) || Number(trimmed) < 1) return { rate: null, error: "Use whole credits, e.g. 10 (or leave it empty)." };
  return { rate: Number(trimmed), error: null };
}

/**
 * The link with Deskpro's own Billing & Time Log: which mode is in use, the last Deskpro charge the
 * ledger saw, and a switch for each way.
 */
export function DeskproBillingForm({ api }: { api: AdminLedgerApi }) {
  const rateId = useId();
  const rateErrorId = useId();
  const [status, setStatus] = useState<DeskproBillingStatus | null>(null);
  const [fromDeskpro, setFromDeskpro] = useState(true);
  const [toDeskpro, setToDeskpro] = useState(true);
  const [rateText, setRateText] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);

  const show = (s: DeskproBillingStatus) => {
    setStatus(s);
    setFromDeskpro(s.settings.fromDeskpro);
    setToDeskpro(s.settings.toDeskpro);
    setRateText(s.settings.creditsPerCurrencyUnit === null ? "" : String(s.settings.creditsPerCurrencyUnit));
  };
  useEffect(() => {
    api.deskproBilling().then(show, (e: unknown) => setError(e));
  }, [api]);

  if (!status) return <Section title="Deskpro's Billing & Time Log">{error !== null ? <ErrorNotice error={error} /> : <Loading />}</Section>;

  const { rate, error: rateError } = parseRate(rateText);
  const dirty =
    fromDeskpro !== status.settings.fromDeskpro ||
    toDeskpro !== status.settings.toDeskpro ||
    (rateError === null && rate !== status.settings.creditsPerCurrencyUnit);
  const save = async () => {
    if (rateError !== null || saving) return;
    setSaving(true);
    setError(null);
    try {
      show(await api.saveDeskproBilling({ fromDeskpro, toDeskpro, creditsPerCurrencyUnit: rate }));
      setSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };
  const edit = (change: () => void) => {
    change();
    setSaved(false);
  };

  const last = status.lastCharge;
  const rows: Array<[string, string]> = [
    ["Linked since", status.linkedFrom ? `${formatDateTime(status.linkedFrom)} (older charges are never counted)` : "Not yet"],
    [
      "Last Deskpro charge",
      last
        ? `#${last.chargeId} on ticket #${last.ticketId} · ${last.part === "time" && last.seconds !== null ? formatElapsed(last.seconds * 1000) : last.amount} · seen ${formatDateTime(last.seenAt)} · ${STATE_WORDS[last.state] ?? last.state}`
        : "None seen yet",
    ],
    [
      "Last read",
      status.lastRead
        ? `${formatDateTime(status.lastRead.at)}, ticket #${status.lastRead.ticketId}${status.lastRead.error ? `: ${status.lastRead.error}` : ", fine"}`
        : "Never",
    ],
  ];

  return (
    <Section title="Deskpro's Billing & Time Log">
      <P5 style={{ margin: "0 0 6px" }} data-testid="billing-mode">
        <strong>In use:</strong> {MODE_WORDS[status.mode]}
      </P5>
      {status.linkedFrom === null && status.mode !== "off" && (
        <Notice tone="info">
          The link starts the first time the ledger reads a ticket's Billing tab, when an agent opens a ticket's sidebar. Nothing is counted or written before
          that, and charges made before it are never counted.
        </Notice>
      )}
      <Facts rows={rows} />
      {status.refused.count > 0 && (
        <Notice tone="warning">
          <span data-testid="billing-refused">
            {status.refused.count === 1 ? "1 Deskpro charge was refused" : `${status.refused.count} Deskpro charges were refused`}: the ledger can't take{" "}
            {status.refused.count === 1 ? "it" : "them"}, and each ticket's other charges still count. Correct {status.refused.count === 1 ? "it" : "them"} on
            the ticket's Billing tab and {status.refused.count === 1 ? "it is" : "they are"} counted at the next read.
          </span>
          <ul style={{ margin: "4px 0 0", paddingLeft: 16 }} aria-label="Refused Deskpro charges">
            {status.refused.latest.map((line) => (
              <li key={`${line.chargeId}:${line.part}`} style={{ fontSize: 11 }}>
                #{line.chargeId} on ticket #{line.ticketId} ({line.part === "time" ? "time" : "amount"}): {line.refusal?.detail ?? STATE_WORDS[line.state]}
              </li>
            ))}
          </ul>
        </Notice>
      )}
      {status.unpaid > 0 && (
        <Notice tone="warning">
          {status.unpaid === 1 ? "1 Deskpro charge waits for its bank" : `${status.unpaid} Deskpro charges wait for their banks`} to have credits; each is
          charged when its ticket is next read after credits arrive.
        </Notice>
      )}
      <label style={{ fontSize: 12, display: "flex", gap: 6, alignItems: "center", margin: "6px 0" }}>
        <input type="checkbox" checked={fromDeskpro} onChange={(e: ChangeEvent<HTMLInputElement>) => edit(() => setFromDeskpro(e.target.checked))} />
        Charge time from Deskpro's Billing tab to the ticket's bank
      </label>
      <label style={{ fontSize: 12, display: "flex", gap: 6, alignItems: "center", margin: "0 0 6px" }}>
        <input type="checkbox" checked={toDeskpro} onChange={(e: ChangeEvent<HTMLInputElement>) => edit(() => setToDeskpro(e.target.checked))} />
        Write time logged in the sidebar to Deskpro's Billing tab
      </label>
      <label htmlFor={rateId} style={{ fontSize: 11, display: "block" }}>
        Credits per 1.00 of a money charge (empty: money charges are not counted)
      </label>
      <Input
        id={rateId}
        inputMode="numeric"
        value={rateText}
        placeholder="not counted"
        onChange={(e: ChangeEvent<HTMLInputElement>) => edit(() => setRateText(e.target.value))}
        error={rateError !== null}
        aria-invalid={rateError !== null}
        aria-describedby={rateErrorId}
      />
      <FieldError id={rateErrorId} message={rateError} />
      {error !== null && <ErrorNotice error={error} context="The link's settings were not saved." />}
      {saved && !dirty && <Notice tone="success">Saved.</Notice>}
      <Button
        text="Save time log link"
        onClick={() => void save()}
        loading={saving}
        disabled={!dirty || rateError !== null || saving}
        style={{ marginTop: 6 }}
      />
    </Section>
  );
}
