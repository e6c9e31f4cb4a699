import { useQuery } from "@tanstack/react-query";
import { keys, useFactsRefresh, useLedgerApi } from "../api/hooks.js";
import type { TicketPayerView } from "../api/ledger.js";
import { ErrorNotice, Loading, Section } from "../components/common.js";
import { SendBuyLink } from "../components/SendBuyLink.js";
import { useSidebarChrome, WalletSummary } from "../components/WalletSummary.js";
import type { AppTarget } from "../deskpro/context.js";
import { P5 } from "../deskpro/ui.js";
import { ChargeTier } from "./ChargeTier.js";
import { deskproEntries, DeskproTimeLog, useDeskproBilling } from "./DeskproTimeLog.js";
import { LogTime } from "./LogTime.js";
import { TicketCharges } from "./TicketCharges.js";

type TicketTarget = Extract<AppTarget, { kind: "ticket" }>;

/** "Paid by … because …": the ledger's payer and its reason in words, with names from the context. */
function payerWords(payer: Pick<TicketPayerView, "reason" | "organisationFrom">, target: TicketTarget): { who: string; why: string } {
  switch (payer.reason) {
    case "person_has_plan":
      return { who: `${target.personName}'s own bank`, why: "They have a plan of their own." };
    case "person_has_credits":
      return { who: `${target.personName}'s own bank`, why: "They have credits of their own." };
    case "organisation": {
      const fromTicket = payer.organisationFrom !== "person";
      const org = fromTicket ? target.ticketOrg : target.personOrg;
      const which = fromTicket ? "The ticket's organisation." : "Their primary organisation (the ticket has none).";
      return {
        who: org?.name ? `${org.name}'s bank` : fromTicket ? "The ticket's organisation's bank" : "Their organisation's bank",
        why: `${which} ${target.personName} has no plan or credits of their own.`,
      };
    }
    case "person_no_org":
      return { who: `${target.personName}'s own bank`, why: "They belong to no organisation." };
  }
}

export function TicketSidebar({ target }: { target: TicketTarget }) {
  const api = useLedgerApi();
  const orgs = { ticketOrg: target.ticketOrg?.id ?? null, personOrg: target.personOrg?.id ?? null };
  const payer = useQuery({
    queryKey: keys.payer(target.ticketId, target.personId, orgs.ticketOrg, orgs.personOrg),
    queryFn: () => api.payer(target.ticketId, target.personId, orgs),
  });
  const charges = useQuery({ queryKey: keys.ticketEntries(target.ticketId), queryFn: () => api.ticketEntries(target.ticketId) });
  const timeLog = useDeskproBilling(target.ticketId, target.billing);
  useFactsRefresh([`person:${target.personId}`, ...[orgs.ticketOrg ?? orgs.personOrg].flatMap((id) => (id ? [`org:${id}`] : []))]);
  useSidebarChrome(payer.data?.wallet);

  if (payer.isPending) return <Loading label="Loading the paying bank…" />;
  if (payer.error) return <ErrorNotice error={payer.error} onRetry={() => void payer.refetch()} />;

  const { wallet, owner } = payer.data;
  const words = payerWords(payer.data, target);
  const reversed = new Set(charges.data?.entries.map((e) => e.reversesEntryId) ?? []);
  const chargedTier = charges.data?.entries.find((e) => e.kind === "priority" && !reversed.has(e.id))?.tier ?? null;

  return (
    <main>
      <Section title="Paid by">
        <P5 style={{ margin: "0 0 4px" }} data-testid="payer">
          <strong>{words.who}</strong> — {words.why}
        </P5>
        <WalletSummary wallet={wallet} />
        <SendBuyLink owner={owner} />
      </Section>
      <Section title="This ticket">
        {charges.isPending && <Loading label="Loading charges…" />}
        {charges.error && <ErrorNotice error={charges.error} onRetry={() => void charges.refetch()} />}
        {charges.data && <TicketCharges data={charges.data} agent={target.agent} deskpro={deskproEntries(timeLog.data)} />}
        <DeskproTimeLog query={timeLog} />
      </Section>
      <Section title="Log time">
        <LogTime
          owner={owner}
          ticketId={target.ticketId}
          agent={target.agent}
          toDeskpro={timeLog.data?.linked === true && (timeLog.data.mode === "both_ways" || timeLog.data.mode === "to_deskpro")}
        />
      </Section>
      <Section title="Tier fee">
        <ChargeTier wallet={wallet} ticketId={target.ticketId} agent={target.agent} alreadyCharged={chargedTier} />
      </Section>
    </main>
  );
}
