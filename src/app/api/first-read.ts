import { QueryClient } from "@tanstack/react-query";
import { createContext, useContext } from "react";
import type { PlanQuoteRequest, QuoteRequest } from "../../contract/ledger.js";
import { isRetryable } from "./errors.js";
import type { LedgerApi } from "./ledger.js";

// What the app's shell needs before a view's chunk is in: the query client, the query keys, the
// API's context and each view's first read. The read hooks (hooks.ts) load with the views.

export const LedgerApiContext = createContext<LedgerApi | null>(null);

export function useLedgerApi(): LedgerApi {
  const api = useContext(LedgerApiContext);
  if (!api) throw new Error("LedgerApiContext is missing");
  return api;
}

/** How long an answer counts as fresh: a screen mounted within it shows it without asking again. */
const FRESH_FOR_MS = 15_000;

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: FRESH_FOR_MS,
        retry: (failures, error) => failures < 2 && isRetryable(error),
        refetchOnWindowFocus: true,
      },
      mutations: { retry: (failures, error) => failures < 2 && isRetryable(error) },
    },
  });
}

/** Query keys: plain data only (never the SDK client), so they hash and compare cleanly. */
export const keys = {
  wallet: (owner: string) => ["wallet", owner] as const,
  autoRecharge: (owner: string) => ["auto-recharge", owner] as const,
  /** The ticket sidebar's first read: its payer (with the balance) and its charges. */
  ticketSidebar: (ticketId: string, personId: string, ticketOrg: string | null, personOrg: string | null) =>
    ["ticket-sidebar", ticketId, personId, ticketOrg, personOrg] as const,
  statement: (owner: string) => ["statement", owner] as const,
  history: (owner: string) => ["history", owner] as const,
  quote: (owner: string, request: QuoteRequest) => ["quote", owner, request] as const,
  config: () => ["config"] as const,
  portalTicket: (ticketId: string) => ["portal-ticket", ticketId] as const,
  ticketOverage: (ticketId: string) => ["ticket-overage", ticketId] as const,
  planQuote: (owner: string, request: PlanQuoteRequest) => ["plan-quote", owner, request.plan, request.firstPeriod] as const,
  /** A read of the ticket's Billing tab; a new `billing` (what Deskpro's context lists) reads it again. */
  deskproBilling: (ticketId: string, billing: string | null) => ["deskpro-billing", ticketId, billing] as const,
};

/**
 * How a view's first read is asked: App.tsx asks for it as the view is known, before the sidebar's
 * chunk is in, and the sidebar shows what that got when it mounts rather than asking again: a
 * fresh answer whatever a client's default freshness, and a failure with its Try again.
 */
const FIRST_READ = { staleTime: FRESH_FOR_MS, retryOnMount: false };

/** A bank's balance and grants: the bank sidebars' first read. */
export const walletQuery = (api: LedgerApi, owner: string) => ({
  queryKey: keys.wallet(owner),
  queryFn: () => api.wallet(owner),
  ...FIRST_READ,
});

/** The ticket sidebar's first read. */
export const ticketSidebarQuery = (api: LedgerApi, ticketId: string, personId: string, orgs: { ticketOrg: string | null; personOrg: string | null }) => ({
  queryKey: keys.ticketSidebar(ticketId, personId, orgs.ticketOrg, orgs.personOrg),
  queryFn: () => api.ticketSidebar(ticketId, personId, orgs),
  ...FIRST_READ,
});
