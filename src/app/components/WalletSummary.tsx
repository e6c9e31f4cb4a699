import { useEffect } from "react";
import type { WalletView } from "../api/ledger.js";
import { periodWord } from "../bank/insights.js";
import { bankSentence, bankStateOf, isUnfunded as isUnfundedState, personPaysOwnTickets, type BankScreen } from "../bank/sentences.js";
import { useDeskpro } from "../deskpro/DeskproProvider.js";
import { formatCredits, formatDate } from "../format.js";
import { BalanceMeter, Facts, Notice } from "./common.js";

/** What the bank can hold in a period: the plan's allocation, else what its grants once held. */
function capacityOf(wallet: WalletView): number {
  const granted = wallet.grants.reduce((sum, g) => sum + Math.max(0, g.amount), 0);
  return Math.max(wallet.plan?.creditsPerPeriod ?? 0, granted);
}

export function WalletSummary({ wallet, screen }: { wallet: WalletView; screen: BankScreen }) {
  const state = bankStateOf(wallet);
  const sentence = bankSentence(state, screen);
  // A person whose tickets go to a known organisation's bank: their own bank running low is no warning.
  const anotherBankPays = screen.screen === "person" && screen.organisation !== null && screen.organisation !== "unknown" && !personPaysOwnTickets(state);
  const nextTopUp = wallet.nextTopUpAt ? new Date(wallet.nextTopUpAt) : null;
  const rows: Array<[string, string]> = [];
  if (wallet.plan) {
    rows.push(["Plan", `${wallet.plan.name}${wallet.planSource === "default" ? " (default)" : ""}`]);
    if (wallet.planRule && wallet.planSource !== "wallet" && wallet.planSource !== "default") rows.push(["Because", wallet.planRule]);
    if (wallet.plan.creditsPerPeriod > 0) {
      rows.push(["Top-up", `${formatCredits(wallet.plan.creditsPerPeriod)} a ${periodWord(wallet.plan.period)}`]);
      if (nextTopUp) rows.push(["Next top-up", formatDate(nextTopUp)]);
    }
  } else {
    rows.push(["Plan", "None"]);
  }
  if (wallet.overdraftLimit > 0) rows.push(["Overdraft", `up to ${formatCredits(wallet.overdraftLimit)}`]);
  const expiring = nextExpiry(wallet);
  if (expiring) rows.push(["Next expiry", expiring]);
  return (
    <div>
      <BalanceMeter
        balance={wallet.balance}
        state={isUnfunded(wallet) ? "ok" : wallet.lowBalance.state}
        threshold={wallet.lowBalance.threshold}
        capacity={capacityOf(wallet)}
      />
      {!anotherBankPays && <LowBalanceBanner wallet={wallet} />}
      <Facts rows={rows} />
      {sentence && (
        <div data-testid="bank-sentence">
          <Notice tone="info">{sentence}</Notice>
        </div>
      )}
    </div>
  );
}

/** The soonest expiry that loses credits, said as the customer hears it: what is lost and what rolls over. */
function nextExpiry(wallet: WalletView): string | null {
  const dated = wallet.grants.filter((g) => g.expiresAt && g.atExpiry && g.remaining > 0);
  const first = dated.sort((a, b) => Date.parse(a.expiresAt!) - Date.parse(b.expiresAt!))[0];
  if (!first) return null;
  const same = dated.filter((g) => g.expiresAt === first.expiresAt);
  const lost = same.reduce((sum, g) => sum + g.atExpiry!.lost, 0);
  const rollsOver = same.reduce((sum, g) => sum + g.atExpiry!.rollsOver, 0);
  const when = formatDate(first.expiresAt!);
  if (lost === 0) return `${formatCredits(rollsOver)} roll over on ${when}`;
  return `${formatCredits(lost)} lost on ${when}${rollsOver > 0 ? ` (${formatCredits(rollsOver)} roll over)` : ""}`;
}

/** A bank that never had credits or a plan works as the helpdesk does today: nothing to warn about. */
function isUnfunded(wallet: WalletView): boolean {
  return isUnfundedState(bankStateOf(wallet));
}

/** Says in words what the meter's colour says, so nobody misses a bank about to run dry. */
function LowBalanceBanner({ wallet }: { wallet: WalletView }) {
  const { state, threshold } = wallet.lowBalance;
  if (state === "ok" || isUnfunded(wallet)) return null;
  return (
    <div role="status" data-testid="low-balance-banner">
      <Notice tone="warning">
        {state === "depleted"
          ? `This bank is empty (${formatCredits(wallet.balance)} credits). Add credits before charging more.`
          : `Running low: ${formatCredits(wallet.balance)} credits left${threshold !== null ? `, below the ${formatCredits(threshold)}-credit alert level` : ""}.`}
      </Notice>
    </div>
  );
}

/**
 * The app's header in Deskpro: the title shows the balance, the badge counts the bank's active
 * low-balance alerts (low or empty).
 */
export function useSidebarChrome(wallet: WalletView | undefined) {
  const { client, ready } = useDeskpro();
  const balance = wallet?.balance;
  const state = wallet && isUnfunded(wallet) ? "ok" : wallet?.lowBalance.state;
  useEffect(() => {
    if (!ready) return;
    client.setTitle(balance === undefined ? "Support Credits" : `Credits: ${formatCredits(balance)}`);
    client.setBadgeCount(state === undefined || state === "ok" ? 0 : 1);
  }, [client, ready, balance, state]);
}
