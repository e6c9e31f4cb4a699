import { lazy, Suspense, useEffect, useRef, useState } from "react";
import type { DeskproChargeLine } from "../../contract/deskpro-billing.js";
import type { Entry, TicketEntries } from "../../contract/ledger.js";
import { useLedgerWrite } from "../api/hooks.js";
import { Loading, StatusMessage, usePalette } from "../components/common.js";
import { describeEntry, isDebit } from "../components/entries.js";
import { Button, P5, Stack } from "../deskpro/ui.js";
import { formatCredits, formatDateTime, formatMinutes, formatSignedCredits } from "../format.js";

const RefundForm = lazy(() => import("./RefundForm.js").then((m) => ({ default: m.RefundForm })));

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
              <span style={{ fontSize: 12, fontWeight: 600, color: entry.amount < 0 ? colors.text : colors.okText }}>{formatSignedCredits(entry.amount)}</span>
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
            {isDebit(entry) && !isFromDeskpro(deskpro.get(entry.id)) && <RefundControl entry={entry} agent={agent} refunded={reversed.has(entry.id)} />}
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

/**
 * "Refund…" opens a form with a reason (its own chunk, RefundForm.tsx). Focus goes where the agent
 * can carry on: to the form's field when it opens, back to "Refund…" on Cancel or Escape, and to
 * the outcome once refunded (the button and the form are gone then).
 */
function RefundControl({ entry, agent, refunded }: { entry: Entry; agent: string | null; refunded: boolean }) {
  const [open, setOpen] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);
  const returnFocus = useRef(false);
  const refund = useLedgerWrite((api, body: { entryId: string; reason: string; agent?: string }, key) =>
    api.reverse(body.entryId, { reason: body.reason, ...(body.agent ? { agent: body.agent } : {}) }, key),
  );
  useEffect(() => {
    if (outcome) outcomeRef.current?.focus();
  }, [outcome]);
  useEffect(() => {
    if (!open && returnFocus.current) openerRef.current?.focus();
    returnFocus.current = false;
  }, [open]);
  if (refunded) return <StatusMessage message={outcome} focusRef={outcomeRef} />;
  if (!open) {
    return (
      <Button
        ref={openerRef}
        intent="minimal"
        size="small"
        text="Refund…"
        onClick={() => setOpen(true)}
        aria-label={`Refund ${describeEntry(entry)}, ${formatCredits(-entry.amount)} credits`}
      />
    );
  }
  return (
    <Suspense fallback={<Loading />}>
      <RefundForm
        entry={entry}
        refund={{
          submit: (reason) =>
            refund.submit(
              { entryId: entry.id, reason, ...(agent ? { agent } : {}) },
              { onSuccess: () => setOutcome(`Refunded ${formatCredits(-entry.amount)} credits to the bank.`) },
            ),
          isPending: refund.isPending,
          error: refund.error,
        }}
        onClose={() => {
          returnFocus.current = true;
          setOpen(false);
        }}
      />
    </Suspense>
  );
}
