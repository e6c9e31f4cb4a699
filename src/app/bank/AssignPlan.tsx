import { useId, useState } from "react";
import type { FirstPeriod, PlanQuote } from "../../contract/ledger.js";
import { useConfig, useLedgerWrite, usePlanQuote } from "../api/hooks.js";
import type { WalletView } from "../api/ledger.js";
import { ErrorNotice, Loading, Select, StatusMessage, usePalette } from "../components/common.js";
import { Button, P5 } from "../deskpro/ui.js";
import { formatCredits, formatDate } from "../format.js";
import { periodWord } from "./insights.js";

const DEFAULT = "__default__";

/** What saving would do, in words: credits now and when they expire, then the next top-up. */
export function planOutlookWords(quote: PlanQuote): string {
  if (!quote.plan || quote.fullPeriodCredits === 0) return "No credits come with this plan.";
  const next = quote.nextTopUpAt ? `The next top-up is ${formatCredits(quote.nextTopUpCredits)} credits on ${formatDate(quote.nextTopUpAt)}.` : "";
  if (quote.allocatedThisPeriod) return `This bank already had this ${periodWord(quote.plan.period)}'s credits, so nothing is added now. ${next}`;
  const expiry = quote.creditsNowExpireAt ? `, expiring on ${formatDate(quote.creditsNowExpireAt)}` : "";
  return `Adds ${formatCredits(quote.creditsNow)} credits now${expiry}. ${next}`;
}

/** Put the bank on a plan by hand, or back on the plan rules, seeing first what that will do. */
export function AssignPlan({ wallet, agent }: { wallet: WalletView; agent: string | null }) {
  const colors = usePalette();
  const config = useConfig();
  const current = wallet.planSource === "wallet" && wallet.plan ? wallet.plan.key : DEFAULT;
  const [choice, setChoice] = useState(current);
  const [firstPeriod, setFirstPeriod] = useState<FirstPeriod>("full");
  const [done, setDone] = useState<string | null>(null);
  const id = useId();
  const periodName = useId();
  const plan = choice === DEFAULT ? null : choice;
  const quote = usePlanQuote(wallet.owner, { plan, firstPeriod }, choice !== current);
  const assign = useLedgerWrite((api, body: { plan: string | null; firstPeriod: FirstPeriod; agent?: string }, key) => api.assignPlan(wallet.owner, body, key));

  if (config.isPending) return <Loading label="Loading plans…" />;
  if (config.error) return <ErrorNotice error={config.error} onRetry={() => void config.refetch()} />;
  const { plans, defaultPlan } = config.data.config;
  if (plans.length === 0) return <P5>No plans are set up yet. An admin can add them on the app's settings page.</P5>;
  const defaultName = plans.find((p) => p.key === defaultPlan)?.name ?? "no plan";
  const preview = choice !== current && quote.data && !quote.isFetching ? quote.data : null;
  const canProrate = preview !== null && !preview.allocatedThisPeriod && preview.fullPeriodCredits > 0;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        assign.submit(
          { plan, firstPeriod: canProrate ? firstPeriod : "full", ...(agent ? { agent } : {}) },
          { onSuccess: (w) => setDone(`The bank is now on ${w.plan?.name ?? "no plan"}. Balance ${formatCredits(w.balance)}.`) },
        );
      }}
    >
      <label htmlFor={id} style={{ fontSize: 12 }}>
        Plan
      </label>
      <Select
        id={id}
        value={choice}
        onChange={(v) => {
          setChoice(v);
          setFirstPeriod("full");
          setDone(null);
        }}
        options={[
          // Not set by hand: the plan rules decide, then the helpdesk's default plan.
          {
            value: DEFAULT,
            label:
              wallet.planSource === "wallet" ? `By the plan rules (default: ${defaultName})` : `By the plan rules (now: ${wallet.plan?.name ?? defaultName})`,
          },
          ...plans.map((p) => ({
            value: p.key,
            label: p.creditsPerPeriod > 0 ? `${p.name} — ${formatCredits(p.creditsPerPeriod)} a ${periodWord(p.period)}` : p.name,
          })),
        ]}
      />
      {canProrate && preview.proratedCredits < preview.fullPeriodCredits && (
        <fieldset style={{ border: 0, padding: 0, margin: "6px 0 0", fontSize: 12, color: colors.text }}>
          <legend style={{ padding: 0, fontSize: 12 }}>First {periodWord(preview.plan!.period)}</legend>
          <label style={{ display: "block" }}>
            <input type="radio" name={periodName} checked={firstPeriod === "full"} onChange={() => setFirstPeriod("full")} /> Full:{" "}
            {formatCredits(preview.fullPeriodCredits)} credits
          </label>
          <label style={{ display: "block" }}>
            <input type="radio" name={periodName} checked={firstPeriod === "prorated"} onChange={() => setFirstPeriod("prorated")} /> Pro-rated for the days
            left: {formatCredits(preview.proratedCredits)} credits
          </label>
        </fieldset>
      )}
      <div aria-live="polite" style={{ fontSize: 12, marginTop: 4, minHeight: 18, color: colors.text }} data-testid="plan-preview">
        {preview && planOutlookWords(preview)}
      </div>
      {quote.error && <ErrorNotice error={quote.error} context="Couldn't preview this plan." />}
      {assign.error && <ErrorNotice error={assign.error} context="The plan was not changed." />}
      <StatusMessage message={done} />
      <Button
        type="submit"
        text="Assign plan"
        loading={assign.isPending}
        disabled={assign.isPending || choice === current || preview === null}
        style={{ marginTop: 6 }}
      />
    </form>
  );
}
