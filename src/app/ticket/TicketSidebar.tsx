import { lazy, Suspense, useEffect } from "react";
import type { Tier } from "../../contract/config.js";
import type { PortalTicket } from "../../contract/portal.js";
import { useConfig, useDeskproBilling, useFactsRefresh, usePortalTicket, useTicketSidebar } from "../api/hooks.js";
import type { TicketPayerView } from "../api/ledger.js";
import { ErrorNotice, Loading, Notice, Section } from "../components/common.js";
import { SendBuyLink } from "../components/SendBuyLink.js";
import { useSidebarChrome, WalletSummary } from "../components/WalletSummary.js";
import { P5, Stack } from "../deskpro/ui.js";
import { formatCredits, formatDate } from "../format.js";
import { bankName, type TicketTarget } from "./bank-name.js";
import { deskproEntries, DeskproTimeLog } from "./DeskproTimeLog.js";
import { OverageChoice } from "./OverageChoice.js";
import { TicketCharges } from "./TicketCharges.js";

// The forms (log time, charge a tier, change who pays) are their own chunks: the first bundle
// holds what the first paint shows. Their download starts as the sidebar opens, beside its ledger
// read, so they are there by the time that answer is.
const loadForms = {
  logTime: () => import("./LogTime.js"),
  chargeTier: () => import("./ChargeTier.js"),
  changePayer: () => import("./ChangePayer.js"),
};
const LogTime = lazy(() => loadForms.logTime().then((m) => ({ default: m.LogTime })));
const ChargeTier = lazy(() => loadForms.chargeTier().then((m) => ({ default: m.ChargeTier })));
const ChangePayer = lazy(() => loadForms.changePayer().then((m) => ({ default: m.ChangePayer })));

/**
 * The organisation that pays when the person doesn't, by the ledger's payer rule: the ticket's own
 * organisation, else the person's primary one.
 */
const payingOrg = (target: TicketTarget) => target.ticketOrg ?? target.personOrg;

function ruleWhy(rule: Pick<TicketPayerView, "reason" | "organisationFrom">, target: TicketTarget): string {
  switch (rule.reason) {
    case "person_has_plan":
      return "They have a plan of their own.";
    case "person_has_credits":
      return "They have credits of their own.";
    case "organisation": {
      const which = rule.organisationFrom === "person" ? "Their primary organisation (the ticket has none)." : "The ticket's organisation.";
      return `${which} ${target.personName} has no plan or credits of their own.`;
    }
    case "person_no_org":
      return "They belong to no organisation.";
  }
}

/** Why this bank pays: the pin (first charge, or an agent's change) once there is one, else the payer rule. */
function payerWhy(payer: TicketPayerView, target: TicketTarget): string {
  const { pin } = payer;
  if (!pin) return ruleWhy(payer, target);
  if (pin.how === "first_charge") return `It paid this ticket's first charge on ${formatDate(pin.at)}, so the ticket stays with it.`;
  return `${pin.agent ?? "An agent"} moved the ticket here on ${formatDate(pin.at)}${pin.note ? `: “${pin.note}”` : ""}.`;
}

export function TicketSidebar({ target }: { target: TicketTarget }) {
  useEffect(() => {
    for (const load of Object.values(loadForms)) void load();
  }, []);
  const orgs = { ticketOrg: target.ticketOrg?.id ?? null, personOrg: target.personOrg?.id ?? null };
  // The first paint waits on one request (payer, balance, the ticket's charges); what shows below
  // it or only sometimes (a portal tier's refusal, Deskpro's time log, fresh plan facts) is asked
  // for once that answer is in, so it doesn't queue in front of it.
  const sidebar = useTicketSidebar(target.ticketId, target.personId, orgs);
  const shown = sidebar.isSuccess;
  const portal = usePortalTicket(target.ticketId, shown);
  const timeLog = useDeskproBilling(target.ticketId, target.billing, shown);
  const org = payingOrg(target);
  useFactsRefresh([`person:${target.personId}`, ...(org ? [`org:${org.id}`] : [])], shown);
  useSidebarChrome(sidebar.data?.payer.wallet);

  if (sidebar.isPending) return <Loading label="Loading the paying bank…" />;
  if (sidebar.error) return <ErrorNotice error={sidebar.error} onRetry={() => void sidebar.refetch()} />;

  const { payer, charges } = sidebar.data;
  const { wallet, owner, pin, rule } = payer;
  const reversed = new Set(charges.entries.map((e) => e.reversesEntryId));
  const chargedTier = charges.entries.find((e) => e.kind === "priority" && !reversed.has(e.id))?.tier ?? null;

  return (
    <main>
      <Section title="Paid by">
        <P5 style={{ margin: "0 0 4px" }} data-testid="payer">
          <strong>{bankName(owner, target)}</strong> — {payerWhy(payer, target)}
        </P5>
        {pin && rule && rule.owner !== owner && (
          <P5 style={{ margin: "0 0 4px" }} data-testid="payer-rule">
            The payer rule would now pick {bankName(rule.owner, target)}:{" "}
            {ruleWhy({ reason: rule.reason, organisationFrom: payer.organisationFrom }, target).toLowerCase()}
          </P5>
        )}
        <WalletSummary wallet={wallet} screen={{ screen: "ticket", bankName: bankName(owner, target) }} />
        <Stack gap={6} wrap="wrap" style={{ marginTop: 4 }}>
          <SendBuyLink owner={owner} onTicket />
        </Stack>
        <Suspense fallback={null}>
          <ChangePayer target={target} current={owner} />
        </Suspense>
      </Section>
      <Section title="This ticket">
        {portal.data && <DeclinedTier portal={portal.data} />}
        {portal.data && <OverageChoice ticketId={target.ticketId} />}
        <TicketCharges data={charges} agent={target.agent} payer={owner} bankName={(o) => bankName(o, target)} deskpro={deskproEntries(timeLog.data)} />
        <DeskproTimeLog query={timeLog} />
      </Section>
      <Section title="Log time">
        <Suspense fallback={<Loading />}>
          <LogTime
            owner={owner}
            ticketId={target.ticketId}
            agent={target.agent}
            toDeskpro={timeLog.data?.linked === true && (timeLog.data.mode === "both_ways" || timeLog.data.mode === "to_deskpro")}
          />
        </Suspense>
      </Section>
      <Section title="Response tier">
        <Suspense fallback={<Loading />}>
          <ChargeTier wallet={wallet} ticketId={target.ticketId} agent={target.agent} alreadyCharged={chargedTier} />
        </Suspense>
      </Section>
    </main>
  );
}

const DECLINED: Partial<Record<PortalTicket["outcome"], { why: string; told: string }>> = {
  unaffordable: { why: "the bank didn't have enough credits", told: "the customer was told their balance and how to buy credits" },
  not_offered: { why: "it isn't part of the bank's plan", told: "the customer was told it isn't part of their plan" },
};

/** What the customer asked for on the portal and why it wasn't charged (they were told the same). */
function DeclinedTier({ portal }: { portal: PortalTicket }) {
  const config = useConfig();
  const declined = DECLINED[portal.outcome];
  if (!declined || !portal.requestedTier) return null;
  const tier: Tier | undefined = config.data?.config.tiers.find((t) => t.key === portal.requestedTier);
  const asked = tier ? `${tier.label} (${formatCredits(tier.price)} credits)` : portal.requestedTier;
  return (
    <div data-testid="declined-tier">
      <Notice tone="warning">
        The customer asked for {asked} on the portal. It wasn't charged because {declined.why}; the ticket kept the standard response, and {declined.told}.
      </Notice>
    </div>
  );
}
