import { lazy, Suspense, useEffect, type ReactNode } from "react";
import { useFactsRefresh, useWallet } from "../api/hooks.js";
import { ErrorNotice, Loading, Section } from "../components/common.js";
import { SendBuyLink } from "../components/SendBuyLink.js";
import { useSidebarChrome, WalletSummary } from "../components/WalletSummary.js";
import { AutoRechargeStatus } from "./AutoRechargeStatus.js";
import { Grants } from "./Grants.js";
import { embeddingOrigin } from "../deskpro/links.js";
import type { BankScreen } from "./sentences.js";

// The chart, the forms and the statement are chunks of their own, fetched as the sidebar opens
// (beside its ledger read): the first bundle holds what the ticket sidebar's first paint shows.
const loadParts = {
  burnDown: () => import("./BurnDown.js"),
  adjustCredits: () => import("./AdjustCredits.js"),
  assignPlan: () => import("./AssignPlan.js"),
  alertLevels: () => import("./AlertLevels.js"),
  statement: () => import("./Statement.js"),
  invoices: () => import("./InvoiceSection.js"),
};
const BurnDown = lazy(() => loadParts.burnDown().then((m) => ({ default: m.BurnDown })));
const AdjustCredits = lazy(() => loadParts.adjustCredits().then((m) => ({ default: m.AdjustCredits })));
const AssignPlan = lazy(() => loadParts.assignPlan().then((m) => ({ default: m.AssignPlan })));
const AlertLevels = lazy(() => loadParts.alertLevels().then((m) => ({ default: m.AlertLevels })));
const Statement = lazy(() => loadParts.statement().then((m) => ({ default: m.Statement })));
const InvoiceSection = lazy(() => loadParts.invoices().then((m) => ({ default: m.InvoiceSection })));

const OnDemand = ({ children }: { children: ReactNode }) => <Suspense fallback={<Loading />}>{children}</Suspense>;

/** A person's or an organisation's own bank. */
export function BankSidebar({ owner, name, agent, screen }: { owner: string; name: string; agent: string | null; screen: BankScreen }) {
  const wallet = useWallet(owner);
  useFactsRefresh([owner]);
  const organisation = screen.screen === "organisation";
  useEffect(() => {
    // Invoices are sent to organisations only: a person's bank doesn't fetch that form.
    for (const [part, load] of Object.entries(loadParts)) if (part !== "invoices" || organisation) void load();
  }, [organisation]);
  useSidebarChrome(wallet.data);
  if (wallet.isPending) return <Loading label="Loading the bank…" />;
  if (wallet.error) return <ErrorNotice error={wallet.error} onRetry={() => void wallet.refetch()} />;
  return (
    <main>
      <Section title={`${name}'s bank`}>
        <WalletSummary wallet={wallet.data} screen={screen} />
        <SendBuyLink owner={owner} onTicket={false} />
      </Section>
      <Section title="Last 90 days">
        <OnDemand>
          <BurnDown owner={owner} balance={wallet.data.balance} nextTopUpAt={wallet.data.nextTopUpAt} />
        </OnDemand>
      </Section>
      <Section title="Spendable credits">
        <Grants grants={wallet.data.grants} />
      </Section>
      <Section title="Auto-recharge">
        <AutoRechargeStatus owner={owner} />
      </Section>
      <Section title="Add or remove credits">
        <OnDemand>
          <AdjustCredits owner={owner} agent={agent} />
        </OnDemand>
      </Section>
      {organisation && (
        <OnDemand>
          <InvoiceSection owner={owner} name={name} agent={agent} />
        </OnDemand>
      )}
      <Section title="Membership plan">
        <OnDemand>
          <AssignPlan wallet={wallet.data} agent={agent} />
        </OnDemand>
      </Section>
      <Section title="Low-balance alerts">
        <OnDemand>
          <AlertLevels wallet={wallet.data} />
        </OnDemand>
      </Section>
      <Section title="Statement">
        <OnDemand>
          <Statement owner={owner} helpdesk={embeddingOrigin()} />
        </OnDemand>
      </Section>
    </main>
  );
}
