import { useEffect, useId, useRef, useState, type ChangeEvent } from "react";
import type { PortalTicket, Tier } from "../../contract/index.js";
import { useConfig, useDeskproBilling, useFactsRefresh, useLedgerWrite, usePortalTicket, useTicketSidebar } from "../api/hooks.js";
import type { TicketPayerView } from "../api/ledger.js";
import { ErrorNotice, FieldError, Loading, Notice, Section, Select, StatusMessage } from "../components/common.js";
import { focusFirstInvalid } from "../components/focus.js";
import { SendBuyLink } from "../components/SendBuyLink.js";
import { useSidebarChrome, WalletSummary } from "../components/WalletSummary.js";
import type { AppTarget } from "../deskpro/context.js";
import { Button, Input, P5, Stack } from "../deskpro/ui.js";
import { formatCredits, formatDate } from "../format.js";
import { ChargeTier } from "./ChargeTier.js";
import { deskproEntries, DeskproTimeLog } from "./DeskproTimeLog.js";
import { LogTime } from "./LogTime.js";
import { TicketCharges } from "./TicketCharges.js";

type TicketTarget = Extract<AppTarget, { kind: "ticket" }>;

/**
 * The organisation that pays when the person doesn't, by the ledger's payer rule: the ticket's own
 * organisation, else the person's primary one.
 */
const payingOrg = (target: TicketTarget) => target.ticketOrg ?? target.personOrg;

/** "Ada Lovelace's own bank", "Analytical Engines Ltd's bank": a bank as agents know it. */
export function bankName(owner: string, target: TicketTarget): string {
  if (owner === `person:${target.personId}`) return `${target.personName}'s own bank`;
  const org = [target.ticketOrg, target.personOrg].find((o) => o !== null && owner === `org:${o.id}`);
  if (org) return org.name ? `${org.name}'s bank` : org === target.ticketOrg ? "The ticket's organisation's bank" : "Their organisation's bank";
  return owner.startsWith("org:") ? `Organisation #${owner.slice(4)}'s bank` : `Person #${owner.slice(7)}'s bank`;
}

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
        <ChangePayer target={target} current={owner} />
      </Section>
      <Section title="This ticket">
        {portal.data && <DeclinedTier portal={portal.data} />}
        <TicketCharges data={charges} agent={target.agent} payer={owner} bankName={(o) => bankName(o, target)} deskpro={deskproEntries(timeLog.data)} />
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
      <Section title="Response tier">
        <ChargeTier wallet={wallet} ticketId={target.ticketId} agent={target.agent} alreadyCharged={chargedTier} />
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

/** An explicit, recorded change of the bank that pays for this ticket; charges already made stay where they are. */
function ChangePayer({ target, current }: { target: TicketTarget; current: string }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const ids = { bank: useId(), reason: useId(), reasonErr: useId() };
  // Closing the form (Cancel, Escape or a change made) puts focus back on "Change who pays…".
  const openerRef = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);
  const orgs = [target.ticketOrg, target.personOrg].flatMap((o) => (o ? [`org:${o.id}`] : []));
  const candidates = [...new Set([`person:${target.personId}`, ...orgs])].filter((o) => o !== current);
  const [choice, setChoice] = useState(candidates[0] ?? "");
  const change = useLedgerWrite((api, body: { owner: string; reason: string; agent?: string }, key) => api.changePayer(target.ticketId, body, key));
  useEffect(() => {
    if (!open && returnFocus.current) openerRef.current?.focus();
    returnFocus.current = false;
  }, [open]);
  if (candidates.length === 0) return null;
  const close = () => {
    returnFocus.current = true;
    setOpen(false);
  };
  const reasonError = reason.trim() === "" ? "Say why this ticket should be paid by another bank." : null;
  return (
    <div>
      {!open ? (
        <Button
          ref={openerRef}
          intent="minimal"
          size="small"
          text="Change who pays…"
          onClick={() => {
            setDone(null);
            setOpen(true);
          }}
          style={{ marginTop: 4 }}
        />
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setTouched(true);
            if (reasonError || !choice) {
              focusFirstInvalid(e.currentTarget);
              return;
            }
            change.submit(
              { owner: choice, reason: reason.trim(), ...(target.agent ? { agent: target.agent } : {}) },
              {
                onSuccess: () => {
                  close();
                  setReason("");
                  setTouched(false);
                  setDone(`${bankName(choice, target)} pays for this ticket from now on. Earlier charges stay with the bank that paid them.`);
                },
              },
            );
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape" && !change.isPending) close();
          }}
          style={{ marginTop: 6 }}
        >
          <label htmlFor={ids.bank} style={{ fontSize: 12 }}>
            New paying bank
          </label>
          <Select id={ids.bank} value={choice} onChange={setChoice} options={candidates.map((o) => ({ value: o, label: bankName(o, target) }))} />
          <label htmlFor={ids.reason} style={{ fontSize: 12, display: "block", marginTop: 4 }}>
            Reason
          </label>
          <Input
            id={ids.reason}
            value={reason}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setReason(e.target.value)}
            error={touched && reasonError !== null}
            aria-invalid={touched && reasonError !== null}
            aria-describedby={ids.reasonErr}
            aria-required="true"
            autoFocus
          />
          <FieldError id={ids.reasonErr} message={touched ? reasonError : null} />
          {change.error && <ErrorNotice error={change.error} context="The payer was not changed." />}
          <Stack gap={6} style={{ marginTop: 4 }}>
            <Button type="submit" size="small" text="Change who pays" loading={change.isPending} disabled={change.isPending} />
            <Button intent="secondary" size="small" text="Cancel" onClick={close} disabled={change.isPending} />
          </Stack>
        </form>
      )}
      <StatusMessage message={done} />
    </div>
  );
}
