import { AUTO_RECHARGE_WORDS, type AutoRecharge } from "../../contract/recharge.js";
import { formatMoney } from "../../ledger/domain/currency.js";
import { useAutoRecharge } from "../api/hooks.js";
import { ErrorNotice, Tag, usePalette } from "../components/common.js";
import { P5, Stack } from "../deskpro/ui.js";
import { formatCredits, formatDate } from "../format.js";

/** What agents need to know about a bank's auto-recharge, in a sentence or two (the customer sets it on their page). */
export function autoRechargeLines(r: AutoRecharge): string[] {
  const money = (amount: number | null) => (amount === null || r.currency === null ? "" : formatMoney(amount, r.currency));
  if (!r.enabled && r.threshold === null)
    return [r.cardSaved ? "Off. The customer saved a card but hasn't turned it on." : "Off. The customer can turn it on from their credits page."];
  const lines: string[] = [];
  lines.push(
    r.enabled
      ? `On: buys ${formatCredits(r.credits ?? 0)} credits for ${money(r.price)} when the balance falls below ${formatCredits(r.threshold ?? 0)}.`
      : `Off${r.switchedOffReason ? `: ${r.switchedOffReason}` : " (stopped by the customer)"}.`,
  );
  if (r.monthlyCap !== null)
    lines.push(`${money(r.usedThisMonth)} of the ${money(r.monthlyCap)} monthly cap used this month.${r.pending ? " A payment is under way." : ""}`);
  if (r.lastFailure) lines.push(`Last failure ${formatDate(r.lastFailure.at)}: ${r.lastFailure.words}.`);
  return lines;
}

/** The bank's auto-recharge in its sidebar: on or off, threshold, pack, cap used this month, last failure. */
export function AutoRechargeStatus({ owner }: { owner: string }) {
  const recharge = useAutoRecharge(owner);
  const colors = usePalette();
  if (recharge.isPending) return <P5>Loading {AUTO_RECHARGE_WORDS.toLowerCase()}…</P5>;
  if (recharge.error) return <ErrorNotice error={recharge.error} onRetry={() => void recharge.refetch()} context={AUTO_RECHARGE_WORDS} />;
  const r = recharge.data;
  const [first, ...rest] = autoRechargeLines(r);
  return (
    <div data-testid="auto-recharge">
      <Stack gap={6} align="center">
        <Tag tone={r.lastFailure && r.failuresInRow > 0 ? "warning" : "neutral"}>{r.enabled ? "On" : "Off"}</Tag>
        <span style={{ fontSize: 12, color: colors.text }}>{first}</span>
      </Stack>
      {rest.map((line) => (
        <span key={line} style={{ color: colors.muted, fontSize: 11, display: "block" }}>
          {line}
        </span>
      ))}
    </div>
  );
}
