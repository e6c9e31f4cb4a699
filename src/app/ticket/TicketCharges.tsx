import { useId, useState, type ChangeEvent } from "react";
import type { DeskproChargeLine, Entry, TicketEntries } from "../../contract/index.js";
import { useLedgerWrite } from "../api/hooks.js";
import { ErrorNotice, FieldError, usePalette } from "../components/common.js";
import { describeEntry, isDebit } from "../components/entries.js";
import { Button, Input, P5, Stack } from "../deskpro/ui.js";
import { formatCredits, formatDateTime, formatMinutes, formatSignedCredits } from "../format.js";

/** Where an entry stands with Deskpro's Billing tab: counted from it, or logged here and written there. */
function deskproTag(line: DeskproChargeLine | undefined): string | null {
  if (!line) return null;
  const charge = line.chargeId ? ` #${line.chargeId}` : "";
  if (line.state === "logged_here" || line.state === "writing") return `Also in Deskpro's time log${charge}`;
  if (line.state === "write_failed") return null;
  return `From Deskpro's ${line.part === "time" ? "time log" : "billing"}${charge}`;
}

/**
 * This ticket's charges and refunds, the net total, and a refund for each charge. A charge paid by
 * another bank than the current payer (the ticket was moved) says which bank paid it. A charge
 * counted from Deskpro's Billing tab is changed there (an edit or delete there is reversed here),
 * so it has no refund button.
 */
export function TicketCharges({
  data,
  agent,
  payer,
  bankName,
  deskpro,
}: {
  data: TicketEntries;
  agent: string | null;
  payer: string;
  bankName: (owner: string) => string;
  deskpro: Map<string, DeskproChargeLine>;
}) {
  const colors = usePalette();
  const reversed = new Set(data.entries.map((e) => e.reversesEntryId).filter((id): id is string => id !== null));
  if (data.entries.length === 0) return <P5>Nothing has been charged to this ticket yet.</P5>;
  return (
    <div>
      <ul style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Charges on this ticket">
        {data.entries.map((entry) => (
          <li key={entry.id} style={{ padding: "5px 0", borderBottom: `1px solid ${colors.track}` }}>
            <Stack justify="space-between" align="baseline">
              <span style={{ fontSize: 12, color: colors.text }}>{describeEntry(entry)}</span>
              <span style={{ fontSize: 12, fontWeight: 600, color: entry.amount < 0 ? colors.text : colors.ok }}>{formatSignedCredits(entry.amount)}</span>
            </Stack>
            <span style={{ fontSize: 11, color: colors.muted }}>
              {formatDateTime(entry.createdAt)}
              {entry.agent ? ` · ${entry.agent}` : ""}
              {entry.reason ? ` · ${entry.reason}` : ""}
              {reversed.has(entry.id) ? " · refunded" : ""}
              {entry.owner !== payer ? ` · paid by ${bankName(entry.owner)}` : ""}
            </span>
            {deskproTag(deskpro.get(entry.id)) && (
              <span style={{ display: "block", fontSize: 11, color: colors.accent }} data-testid="deskpro-tag">
                {deskproTag(deskpro.get(entry.id))}
              </span>
            )}
            {isDebit(entry) && !reversed.has(entry.id) && !isFromDeskpro(deskpro.get(entry.id)) && <RefundControl entry={entry} agent={agent} />}
          </li>
        ))}
      </ul>
      <Stack justify="space-between" style={{ marginTop: 6, fontSize: 12, color: colors.text }}>
        <strong>Total</strong>
        <strong data-testid="ticket-total">
          {formatCredits(data.totals.net)} credits{data.totals.minutes > 0 ? ` · ${formatMinutes(data.totals.minutes)} logged` : ""}
        </strong>
      </Stack>
      {data.totals.unbilledMinutes > 0 && (
        <P5 style={{ margin: "2px 0 0", color: colors.muted }} data-testid="unbilled-total">
          Also {formatMinutes(data.totals.unbilledMinutes)} worked and not billed.
        </P5>
      )}
    </div>
  );
}

const isFromDeskpro = (line: DeskproChargeLine | undefined) => line !== undefined && !["logged_here", "writing", "write_failed"].includes(line.state);

function RefundControl({ entry, agent }: { entry: Entry; agent: string | null }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const inputId = useId();
  const errorId = useId();
  const refund = useLedgerWrite((api, body: { entryId: string; reason: string; agent?: string }, key) =>
    api.reverse(body.entryId, { reason: body.reason, ...(body.agent ? { agent: body.agent } : {}) }, key),
  );
  if (!open) {
    return (
      <Button
        intent="minimal"
        size="small"
        text="Refund…"
        onClick={() => setOpen(true)}
        aria-label={`Refund ${describeEntry(entry)}, ${formatCredits(-entry.amount)} credits`}
      />
    );
  }
  const reasonError = reason.trim() === "" ? "Say why you are refunding this." : null;
  const send = () => {
    setTouched(true);
    if (reasonError) return;
    refund.submit({ entryId: entry.id, reason: reason.trim(), ...(agent ? { agent } : {}) }, { onSuccess: () => setOpen(false) });
  };
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
      style={{ marginTop: 4 }}
    >
      <label htmlFor={inputId} style={{ fontSize: 11 }}>
        Reason for the refund
      </label>
      <Input
        id={inputId}
        value={reason}
        onChange={(e: ChangeEvent<HTMLInputElement>) => setReason(e.target.value)}
        error={touched && reasonError !== null}
        aria-invalid={touched && reasonError !== null}
        aria-describedby={errorId}
        aria-required="true"
        autoFocus
      />
      <FieldError id={errorId} message={touched ? reasonError : null} />
      {refund.error && <ErrorNotice error={refund.error} />}
      <Stack gap={6} style={{ marginTop: 4 }}>
        <Button type="submit" size="small" text={`Refund ${formatCredits(-entry.amount)} credits`} loading={refund.isPending} disabled={refund.isPending} />
        <Button intent="secondary" size="small" text="Cancel" onClick={() => setOpen(false)} disabled={refund.isPending} />
      </Stack>
    </form>
  );
}
