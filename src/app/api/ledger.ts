import { type z } from "zod";
// The contract's files by name, never its index: each schema is built (and registered) when its
// module loads, so importing the index would put every feature's schemas in the first bundle.
import { ConfigResponse } from "../../contract/config.js";
import type { TicketDeskproBilling } from "../../contract/deskpro-billing.js";
import {
  EntryPage,
  PlanQuote,
  Quote,
  TicketPayer,
  TicketPayerPin,
  Wallet,
  WalletProfileRefresh,
  WriteResult,
  type AlertLevelsRequest,
  type AssignPlanRequestInput,
  type ChangePayerRequest,
  type DebitRequestInput,
  type EntryKind,
  type GrantRequestInput,
  type PlanQuoteRequest,
  type QuoteRequest,
  type ReversalRequest,
} from "../../contract/ledger.js";
import type { TicketOverage } from "../../contract/overage.js";
import type { PortalTicket } from "../../contract/portal.js";
import type { AutoRecharge } from "../../contract/recharge.js";
import { TicketSidebar } from "../../contract/sidebar.js";
import type { CustomerLink } from "../../contract/stripe.js";
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

/**
 * The ledger calls of the sidebars (and their forms), each answer parsed with the shared contract.
 * The settings page's own calls are AdminLedgerApi's (admin-api.ts), loaded with that page.
 */
export class LedgerApi {
  constructor(readonly endpoint: LedgerEndpoint) {}

  wallet(ownerId: string): Promise<WalletView> {
    return ledgerRequest(this.endpoint, { method: "GET", path: `/v1/wallets/${owner(ownerId)}`, schema: WalletView, what: "wallet" });
  }

  /** The bank's auto-recharge as the customer set it, with this month's use of the cap and the last failure. */
  autoRecharge(ownerId: string): Promise<AutoRecharge> {
    return ledgerRequest(this.endpoint, {
      method: "GET",
      path: `/v1/wallets/${owner(ownerId)}/auto-recharge`,
      schema: () => import("./later-schemas.js").then((m) => m.AutoRecharge),
      what: "auto-recharge",
    });
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
        schema: () => import("./later-schemas.js").then((m) => m.PortalTicket),
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
    return (
      await ledgerRequest(this.endpoint, {
        method: "GET",
        path,
        schema: () => import("./later-schemas.js").then((m) => m.TicketOverage),
        what: "overage choice",
      })
    ).choice;
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
      schema: () => import("./later-schemas.js").then((m) => m.CustomerLink),
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

  /** Asks the ledger to read the ticket's Billing & Time Log in Deskpro now and count what changed there. */
  readTicketBilling(ticketId: string): Promise<TicketDeskproBilling> {
    return ledgerRequest(this.endpoint, {
      method: "POST",
      path: `/v1/tickets/${encodeURIComponent(ticketId)}/deskpro-billing/read`,
      body: {},
      schema: () => import("./later-schemas.js").then((m) => m.TicketDeskproBilling),
      what: "Deskpro time log",
    });
  }

  config(): Promise<ConfigResponse> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/config", schema: ConfigResponse, what: "configuration" });
  }
}
