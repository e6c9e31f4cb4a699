import type { DeskproChargeLine, DeskproChargeState, TicketDeskproBilling } from "../../contract/deskpro-billing.js";
import { ErrorCode } from "../../contract/ledger.js";
import { LedgerProblem } from "../api/errors.js";
import type { useDeskproBilling } from "../api/hooks.js";
import { usePalette } from "../components/common.js";
import { P5 } from "../deskpro/ui.js";
import { formatElapsed } from "../format.js";

/** The debits a read of the Billing tab posted for Deskpro's charges, by entry: how the ticket's charges are labelled. */
export function deskproEntries(view: TicketDeskproBilling | undefined): Map<string, DeskproChargeLine> {
  return new Map((view?.charges ?? []).flatMap((c) => (c.entryId !== null ? [[c.entryId, c] as const] : [])));
}

const STATE_WORDS: Record<DeskproChargeState, string> = {
  charged: "counted",
  unpaid: "waiting: the bank is short of credits",
  refunded: "refunded here",
  removed: "changed or deleted in Deskpro, reversed",
  money_not_counted: "money, not counted",
  before_link: "made before the link started, not counted",
  no_customer: "no customer to charge",
  refused: "refused",
  logged_here: "logged here, not counted again",
  writing: "being written to Deskpro",
  write_failed: "Deskpro refused it",
};

const what = (line: DeskproChargeLine) => (line.part === "time" && line.seconds !== null ? formatElapsed(line.seconds * 1000) : (line.amount ?? ""));

/** What the ledger did with each charge on the ticket's Billing tab, in a line each. */
export function DeskproTimeLog({ query }: { query: ReturnType<typeof useDeskproBilling> }) {
  const colors = usePalette();
  if (query.error) {
    // Not connected, or an older ledger: nothing to say here (the settings page explains).
    const quiet = query.error instanceof LedgerProblem && (query.error.problem.status === 404 || query.error.problem.status === 409);
    if (quiet) return null;
    // Deskpro answered more than the ledger reads: refreshing won't change that, so say what happened.
    if (query.error instanceof LedgerProblem && query.error.code === ErrorCode.deskproOverLimit) {
      return (
        <P5 style={{ color: colors.muted }} data-testid="deskpro-time-log-over-limit">
          Deskpro's time log for this ticket is more than the ledger reads at once, so nothing from it was counted. {query.error.problem.detail}
        </P5>
      );
    }
    return <P5 style={{ color: colors.muted }}>Deskpro's time log couldn't be read just now; refresh to try again.</P5>;
  }
  const view = query.data;
  if (!view || view.mode === "off" || !view.linked) return null;
  return (
    <div data-testid="deskpro-time-log" style={{ marginTop: 8 }}>
      <P5 style={{ margin: "0 0 2px", color: colors.text }}>
        <strong>Deskpro's time log</strong>
        {view.mode === "both_ways" && " · counted here, and time logged here goes there"}
        {view.mode === "from_deskpro" && " · counted here"}
        {view.mode === "to_deskpro" && " · time logged here goes there"}
      </P5>
      {view.charges.length === 0 ? (
        <P5 style={{ color: colors.muted, margin: 0 }}>No charges on this ticket's Billing tab.</P5>
      ) : (
        <ul style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Charges on Deskpro's Billing tab">
          {view.charges.map((line) => (
            <li key={`${line.chargeId ?? line.entryId}:${line.part}`} style={{ fontSize: 11, color: colors.muted, padding: "1px 0" }}>
              {line.chargeId ? `#${line.chargeId}` : "New"}
              {what(line) !== "" && ` · ${what(line)}`} · {STATE_WORDS[line.state]}
              {line.refusal && (
                <>
                  : <span style={{ color: colors.text }}>{line.refusal.detail}</span> Not counted; the ticket's other charges are.
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {view.unreadable > 0 && (
        <P5 style={{ color: colors.muted, margin: "2px 0 0" }} data-testid="deskpro-time-log-unreadable">
          {view.unreadable === 1 ? "1 entry" : `${view.unreadable} entries`} on the Billing tab couldn't be read as charges and{" "}
          {view.unreadable === 1 ? "was" : "were"} left out; no charge counted here is taken as deleted while Deskpro lists{" "}
          {view.unreadable === 1 ? "it" : "them"}.
        </P5>
      )}
    </div>
  );
}
