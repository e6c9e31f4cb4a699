import { useId, useState } from "react";
import { useConfig, useLedgerWrite } from "../api/hooks.js";
import type { WalletView } from "../api/ledger.js";
import { ErrorNotice, Loading, Notice, Select } from "../components/common.js";
import { Button, P5 } from "../deskpro/ui.js";
import { formatCredits } from "../format.js";
import { periodWord } from "./insights.js";

const DEFAULT = "__default__";

/** Put the bank on a plan by hand, or back on the helpdesk's default plan. */
export function AssignPlan({ wallet, agent }: { wallet: WalletView; agent: string | null }) {
  const config = useConfig();
  const current = wallet.planSource === "wallet" && wallet.plan ? wallet.plan.key : DEFAULT;
  const [choice, setChoice] = useState(current);
  const [done, setDone] = useState<string | null>(null);
  const id = useId();
  const assign = useLedgerWrite((api, body: { plan: string | null; agent?: string }, key) => api.assignPlan(wallet.owner, body, key));

  if (config.isPending) return <Loading label="Loading plans…" />;
  if (config.error) return <ErrorNotice error={config.error} onRetry={() => void config.refetch()} />;
  const { plans, defaultPlan } = config.data.config;
  if (plans.length === 0) return <P5>No plans are set up yet. An admin can add them on the app's settings page.</P5>;
  const defaultName = plans.find((p) => p.key === defaultPlan)?.name ?? "no plan";
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        assign.submit(
          { plan: choice === DEFAULT ? null : choice, ...(agent ? { agent } : {}) },
          { onSuccess: (w) => setDone(`The bank is now on ${w.plan?.name ?? "no plan"}.`) },
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
      {assign.error && <ErrorNotice error={assign.error} context="The plan was not changed." />}
      {done && <Notice tone="success">{done}</Notice>}
      <Button type="submit" text="Assign plan" loading={assign.isPending} disabled={assign.isPending || choice === current} style={{ marginTop: 6 }} />
    </form>
  );
}
