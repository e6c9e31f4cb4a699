import { type z } from "zod";
import {
  ConfigResponse,
  EntryPage,
  Quote,
  TicketPayer,
  TicketSidebar,
  Wallet,
  WriteResult,
  type AssignPlanRequestInput,
  type DebitRequestInput,
  type GrantRequestInput,
  type LedgerConfigInput,
  type QuoteRequest,
  type ReversalRequest,
  CustomerLink,
  StripeConnection,
  type StripeConnectionRequest,
  DeskproConnection,
  type DeskproConnectionRequest,
  PortalTierLabels,
  WalletProfileRefresh,
  AlertSettings,
  type AlertSettingsInput,
  AlertWebhookTest,
  OutboxPage,
  type AlertLevelsRequest,
  type ChangePayerRequest,
  type EntryKind,
  PlanQuote,
  type PlanQuoteRequest,
  PortalTicket,
  TicketOverage,
  OverageSettingsResponse,
  TicketPayerPin,
  WalletList,
  DeskproBillingStatus,
  type DeskproBillingSettingsInput,
  TicketDeskproBilling,
  DeskproLookups,
  HelpdeskSignup,
  type HelpdeskSignupRequest,
  PortalSettingsResponse,
  type PortalSettingsInput,
  PortalSetup,
  TierFieldCreated,
  WebhookSecretIssued,
  AutoRecharge,
} from "../../contract/index.js";
import { LedgerProblem } from "./errors.js";
import { ledgerRequest, ledgerText, type LedgerEndpoint } from "./transport.js";

/** Which entries a statement shows: a date range (inclusive days, YYYY-MM-DD), a ticket, a kind. */
export interface StatementFilter {
  from?: string;
  to?: string;
  ticketId?: string;
  kind?: EntryKind;
}

/** The wallet as the app reads it: the contract's own. */
export const WalletView = Wallet;
export type WalletView = z.infer<typeof WalletView>;
export const TicketPayerView = TicketPayer.extend({ wallet: WalletView });
export type TicketPayerView = z.infer<typeof TicketPayerView>;

const owner = (o: string) => encodeURIComponent(o);

/** Every ledger call the app makes, each answer parsed with the shared contract. */
export class LedgerApi {
  constructor(readonly endpoint: LedgerEndpoint) {}

  wallet(ownerId: string): Promise<WalletView> {
    return ledgerRequest(this.endpoint, { method: "GET", path: `/v1/wallets/${owner(ownerId)}`, schema: WalletView, what: "wallet" });
  }

  /** The bank's auto-recharge as the customer set it, with this month's use of the cap and the last failure. */
  autoRecharge(ownerId: string): Promise<AutoRecharge> {
    return ledgerRequest(this.endpoint, { method: "GET", path: `/v1/wallets/${owner(ownerId)}/auto-recharge`, schema: AutoRecharge, what: "auto-recharge" });
  }

  /** `orgs`: the ticket's organisation and the person's primary one; the ledger applies the payer rule. */
  payer(ticketId: string, personId: string, orgs: { ticketOrg: string | null; personOrg: string | null }): Promise<TicketPayerView> {
    return ledgerRequest(this.endpoint, {
      method: "GET",
      path: `/v1/tickets/${encodeURIComponent(ticketId)}/payer`,
      query: { person: personId, org: orgs.ticketOrg ?? undefined, personOrg: orgs.personOrg ?? undefined },
      schema: TicketPayerView,
      what: "paying bank",
    });
  }

  /** The payer (with its balance) and the ticket's charges in one request: what the ticket sidebar shows first. */
  ticketSidebar(ticketId: string, personId: string, orgs: { ticketOrg: string | null; personOrg: string | null }): Promise<TicketSidebar> {
    return ledgerRequest(this.endpoint, {
      method: "GET",
      path: `/v1/tickets/${encodeURIComponent(ticketId)}/sidebar`,
      query: { person: personId, org: orgs.ticketOrg ?? undefined, personOrg: orgs.personOrg ?? undefined },
      schema: TicketSidebar,
      what: "ticket sidebar",
    });
  }

  statement(ownerId: string, page: { limit: number; cursor?: string | null }, filter: StatementFilter = {}): Promise<EntryPage> {
    return ledgerRequest(this.endpoint, {
      method: "GET",
      path: `/v1/wallets/${owner(ownerId)}/entries`,
      query: { limit: page.limit, cursor: page.cursor ?? undefined, ...filter },
      schema: EntryPage,
      what: "statement",
    });
  }

  /** The whole statement (as filtered) as CSV, for a download from the sidebar. */
  statementCsv(ownerId: string, filter: StatementFilter = {}): Promise<string> {
    return ledgerText(this.endpoint, {
      method: "GET",
      path: `/v1/wallets/${owner(ownerId)}/entries`,
      query: { ...filter },
      accept: "text/csv",
      what: "statement",
    });
  }

  /** Pins the ticket to another bank, with the agent's reason; later charges go there. */
  changePayer(ticketId: string, request: ChangePayerRequest, idempotencyKey: string): Promise<TicketPayerPin> {
    return ledgerRequest(this.endpoint, {
      method: "PUT",
      path: `/v1/tickets/${encodeURIComponent(ticketId)}/payer`,
      body: request,
      idempotencyKey,
      schema: TicketPayerPin,
      what: "ticket payer",
    });
  }

  /** What the portal flow did with the ticket (the tier asked for and whether it was charged), or null if it never saw it. */
  async portalTicket(ticketId: string): Promise<PortalTicket | null> {
    try {
      return await ledgerRequest(this.endpoint, {
        method: "GET",
        path: `/v1/portal/tickets/${encodeURIComponent(ticketId)}`,
        schema: PortalTicket,
        what: "portal ticket",
      });
    } catch (error) {
      if (error instanceof LedgerProblem && error.problem.status === 404) return null;
      throw error;
    }
  }

  /** The ticket's latest asked-before-overage question and the customer's answer (null: never asked). */
  async ticketOverage(ticketId: string): Promise<TicketOverage["choice"]> {
    const path = `/v1/portal/tickets/${encodeURIComponent(ticketId)}/overage`;
    return (await ledgerRequest(this.endpoint, { method: "GET", path, schema: TicketOverage, what: "overage choice" })).choice;
  }

  /** What putting the bank on a plan would do, before it is saved. */
  planQuote(ownerId: string, request: PlanQuoteRequest): Promise<PlanQuote> {
    return ledgerRequest(this.endpoint, {
      method: "POST",
      path: `/v1/wallets/${owner(ownerId)}/plan-quote`,
      body: request,
      schema: PlanQuote,
      what: "plan preview",
    });
  }

  /** Banks on a plan (or all of one kind), for a bulk grant's preview. */
  wallets(filter: { plan?: string; type?: "org" | "person" }): Promise<WalletList> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/wallets", query: { ...filter, limit: 1000 }, schema: WalletList, what: "banks" });
  }

  quote(ownerId: string, request: QuoteRequest): Promise<Quote> {
    return ledgerRequest(this.endpoint, { method: "POST", path: `/v1/wallets/${owner(ownerId)}/quote`, body: request, schema: Quote, what: "price" });
  }

  debit(ownerId: string, request: DebitRequestInput, idempotencyKey: string): Promise<WriteResult> {
    return ledgerRequest(this.endpoint, {
      method: "POST",
      path: `/v1/wallets/${owner(ownerId)}/debits`,
      body: request,
      idempotencyKey,
      schema: WriteResult,
      what: "charge",
    });
  }

  grant(ownerId: string, request: GrantRequestInput, idempotencyKey: string): Promise<WriteResult> {
    return ledgerRequest(this.endpoint, {
      method: "POST",
      path: `/v1/wallets/${owner(ownerId)}/grants`,
      body: request,
      idempotencyKey,
      schema: WriteResult,
      what: "grant",
    });
  }

  reverse(entryId: string, request: ReversalRequest, idempotencyKey: string): Promise<WriteResult> {
    return ledgerRequest(this.endpoint, {
      method: "POST",
      path: `/v1/entries/${encodeURIComponent(entryId)}/reversal`,
      body: request,
      idempotencyKey,
      schema: WriteResult,
      what: "refund",
    });
  }

  assignPlan(ownerId: string, request: AssignPlanRequestInput, idempotencyKey: string): Promise<WalletView> {
    return ledgerRequest(this.endpoint, {
      method: "PUT",
      path: `/v1/wallets/${owner(ownerId)}/plan`,
      body: request,
      idempotencyKey,
      schema: WalletView,
      what: "wallet",
    });
  }

  /** A signed link to the bank's customer page (balance, usage, buy credits); not a money write. */
  customerLink(ownerId: string): Promise<CustomerLink> {
    return ledgerRequest(this.endpoint, {
      method: "POST",
      path: `/v1/wallets/${owner(ownerId)}/customer-links`,
      body: {},
      schema: CustomerLink,
      what: "buy link",
    });
  }

  /** Asks the ledger to read the bank's facts (custom fields, SLAs) from Deskpro for the plan rules. */
  refreshProfile(ownerId: string): Promise<WalletProfileRefresh> {
    return ledgerRequest(this.endpoint, {
      method: "POST",
      path: `/v1/wallets/${owner(ownerId)}/profile/refresh`,
      body: {},
      schema: WalletProfileRefresh,
      what: "bank facts",
    });
  }

  /** This bank's own low-balance levels (null: back to the plan's or the helpdesk's). */
  setAlertLevels(ownerId: string, request: AlertLevelsRequest): Promise<WalletView> {
    return ledgerRequest(this.endpoint, {
      method: "PUT",
      path: `/v1/wallets/${owner(ownerId)}/alert-levels`,
      body: request,
      schema: WalletView,
      what: "wallet",
    });
  }

  alertSettings(): Promise<AlertSettings> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/alerts/settings", schema: AlertSettings, what: "alert settings" });
  }

  saveAlertSettings(request: AlertSettingsInput): Promise<AlertSettings> {
    return ledgerRequest(this.endpoint, { method: "PUT", path: "/v1/alerts/settings", body: request, schema: AlertSettings, what: "alert settings" });
  }

  testAlertWebhook(id: string): Promise<AlertWebhookTest> {
    return ledgerRequest(this.endpoint, {
      method: "POST",
      path: `/v1/alerts/webhooks/${encodeURIComponent(id)}/test`,
      body: {},
      schema: AlertWebhookTest,
      what: "webhook test",
    });
  }

  /** The newest alert deliveries (messages, notes, webhooks) and how each went. */
  alertDeliveries(): Promise<OutboxPage> {
    return ledgerRequest(this.endpoint, {
      method: "GET",
      path: "/v1/outbox",
      query: { kind: "alert", limit: 20 },
      schema: OutboxPage,
      what: "alert deliveries",
    });
  }

  /** The portal flow's link to this helpdesk: its address and whether the key and secret are set. */
  deskproConnection(): Promise<DeskproConnection> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/integrations/deskpro", schema: DeskproConnection, what: "Deskpro connection" });
  }

  saveDeskproConnection(request: DeskproConnectionRequest): Promise<DeskproConnection> {
    return ledgerRequest(this.endpoint, {
      method: "PUT",
      path: "/v1/integrations/deskpro",
      body: request,
      schema: DeskproConnection,
      what: "Deskpro connection",
    });
  }

  /** Asks the ledger to read the ticket's Billing & Time Log in Deskpro now and count what changed there. */
  readTicketBilling(ticketId: string): Promise<TicketDeskproBilling> {
    return ledgerRequest(this.endpoint, {
      method: "POST",
      path: `/v1/tickets/${encodeURIComponent(ticketId)}/deskpro-billing/read`,
      body: {},
      schema: TicketDeskproBilling,
      what: "Deskpro time log",
    });
  }

  /** Card payments: whether Stripe's keys are set (never their values), automatic tax, and the last event received. */
  stripeConnection(): Promise<StripeConnection> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/integrations/stripe", schema: StripeConnection, what: "card payments" });
  }

  saveStripeConnection(request: StripeConnectionRequest): Promise<StripeConnection> {
    return ledgerRequest(this.endpoint, { method: "PUT", path: "/v1/integrations/stripe", body: request, schema: StripeConnection, what: "card payments" });
  }

  /** The link with Deskpro's Billing & Time Log: its settings, mode and the last charge seen. */
  deskproBilling(): Promise<DeskproBillingStatus> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/integrations/deskpro/billing", schema: DeskproBillingStatus, what: "time log link" });
  }

  /** Asked before overage: the per-ticket limit customers may approve past their balance. */
  overageSettings(): Promise<OverageSettingsResponse> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/portal/overage-settings", schema: OverageSettingsResponse, what: "overage limit" });
  }

  saveOverageSettings(settings: { perTicketLimit: number }): Promise<OverageSettingsResponse> {
    return ledgerRequest(this.endpoint, {
      method: "PUT",
      path: "/v1/portal/overage-settings",
      body: settings,
      schema: OverageSettingsResponse,
      what: "overage limit",
    });
  }

  saveDeskproBilling(request: DeskproBillingSettingsInput): Promise<DeskproBillingStatus> {
    return ledgerRequest(this.endpoint, {
      method: "PUT",
      path: "/v1/integrations/deskpro/billing",
      body: request,
      schema: DeskproBillingStatus,
      what: "time log link",
    });
  }

  /** Connect this helpdesk (self-service sign-up): takes no ledger key; answers the tenant's new one, once. */
  signUp(request: HelpdeskSignupRequest): Promise<HelpdeskSignup> {
    return ledgerRequest(this.endpoint, { method: "POST", path: "/v1/signup", body: request, schema: HelpdeskSignup, what: "sign-up" });
  }

  /** Deskpro's fields with their options, SLAs and priorities, for the settings page's pickers. */
  deskproLookups(): Promise<DeskproLookups> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/integrations/deskpro/lookups", schema: DeskproLookups, what: "Deskpro's lists" });
  }

  /** The guided setup: the web hook actions to make in Deskpro and what has been seen working. */
  portalSetup(): Promise<PortalSetup> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/portal/setup", schema: PortalSetup, what: "portal setup" });
  }

  createTierField(title: string): Promise<TierFieldCreated> {
    return ledgerRequest(this.endpoint, { method: "POST", path: "/v1/portal/tier-field", body: { title }, schema: TierFieldCreated, what: "tier field" });
  }

  /** A new secret for the web hooks, answered once. */
  issueWebhookSecret(): Promise<WebhookSecretIssued> {
    return ledgerRequest(this.endpoint, {
      method: "POST",
      path: "/v1/integrations/deskpro/webhook-secret",
      body: {},
      schema: WebhookSecretIssued,
      what: "webhook secret",
    });
  }

  portalSettings(): Promise<PortalSettingsResponse> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/portal/settings", schema: PortalSettingsResponse, what: "portal settings" });
  }

  savePortalSettings(settings: PortalSettingsInput): Promise<PortalSettingsResponse> {
    return ledgerRequest(this.endpoint, {
      method: "PUT",
      path: "/v1/portal/settings",
      body: settings,
      schema: PortalSettingsResponse,
      what: "portal settings",
    });
  }

  /** The portal field's option titles in Deskpro against the ones the tiers' prices call for. */
  portalTierLabels(): Promise<PortalTierLabels> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/portal/tier-labels", schema: PortalTierLabels, what: "portal form labels" });
  }

  config(): Promise<ConfigResponse> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/config", schema: ConfigResponse, what: "configuration" });
  }

  /** `version` is the one the edit started from: the ledger refuses the write if someone saved since. */
  saveConfig(config: LedgerConfigInput, version: number): Promise<ConfigResponse> {
    return ledgerRequest(this.endpoint, {
      method: "PUT",
      path: "/v1/config",
      body: config,
      ifMatch: `"${version}"`,
      schema: ConfigResponse,
      what: "configuration",
    });
  }
}
