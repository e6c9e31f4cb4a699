import { useFactsRefresh, useWallet } from "../api/hooks.js";
import { ErrorNotice, Loading, Section } from "../components/common.js";
import { SendBuyLink } from "../components/SendBuyLink.js";
import { useSidebarChrome, WalletSummary } from "../components/WalletSummary.js";
import { AdjustCredits } from "./AdjustCredits.js";
import { AlertLevels } from "./AlertLevels.js";
import { AssignPlan } from "./AssignPlan.js";
import { AutoRechargeStatus } from "./AutoRechargeStatus.js";
import { BurnDown } from "./BurnDown.js";
import { Grants } from "./Grants.js";
import { InvoiceSection } from "./InvoiceSection.js";
import { Statement } from "./Statement.js";
import { embeddingOrigin } from "../deskpro/links.js";
import type { BankScreen } from "./sentences.js";

/** A person's or an organisation's own bank. */
export function BankSidebar({ owner, name, agent, screen }: { owner: string; name: string; agent: string | null; screen: BankScreen }) {
  const wallet = useWallet(owner);
  useFactsRefresh([owner]);
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
        <BurnDown owner={owner} balance={wallet.data.balance} nextTopUpAt={wallet.data.nextTopUpAt} />
      </Section>
      <Section title="Spendable credits">
        <Grants grants={wallet.data.grants} />
      </Section>
      <Section title="Auto-recharge">
        <AutoRechargeStatus owner={owner} />
      </Section>
      <Section title="Add or remove credits">
        <AdjustCredits owner={owner} agent={agent} />
      </Section>
      {screen.screen === "organisation" && <InvoiceSection owner={owner} name={name} agent={agent} />}
      <Section title="Membership plan">
        <AssignPlan wallet={wallet.data} agent={agent} />
      </Section>
      <Section title="Low-balance alerts">
        <AlertLevels wallet={wallet.data} />
      </Section>
      <Section title="Statement">
        <Statement owner={owner} helpdesk={embeddingOrigin()} />
      </Section>
    </main>
  );
}
