import { useInfiniteQuery, useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef } from "react";
import type { Entry, PlanQuoteRequest, QuoteRequest } from "../../contract/ledger.js";
import { useFocusReturn } from "../components/focus.js";
import { isRetryable, LedgerProblem } from "./errors.js";
import { keys, ticketSidebarQuery, useLedgerApi, walletQuery } from "./first-read.js";
import { useActionKey } from "./idempotency.js";
import type { LedgerApi, StatementFilter } from "./ledger.js";

export function useWallet(owner: string) {
  const api = useLedgerApi();
  return useQuery(walletQuery(api, owner));
}

export function useAutoRecharge(owner: string) {
  const api = useLedgerApi();
  return useQuery({ queryKey: keys.autoRecharge(owner), queryFn: () => api.autoRecharge(owner) });
}

/**
 * Asks the ledger to read these banks' facts from Deskpro (custom fields, SLAs) so the plan rules
 * see what changed there, once per bank every ten minutes while the app is open. Only when plan
 * rules exist; a failure leaves the bank on the plan it has (the portal flow refreshes too).
 */
export function useFactsRefresh(owners: string[], enabled = true) {
  const api = useLedgerApi();
  const queryClient = useQueryClient();
  const config = useConfig(enabled);
  const hasRules = (config.data?.config.planRules.length ?? 0) > 0;
  useQueries({
    queries: owners.map((owner) => ({
      queryKey: ["facts-refresh", owner] as const,
      queryFn: async () => {
        const result = await api.refreshProfile(owner);
        if (result.changed) {
          queryClient.setQueryData(keys.wallet(owner), result.wallet);
          await queryClient.invalidateQueries({
            predicate: (q) => q.queryKey[0] === "ticket-sidebar" || q.queryKey[0] === "statement" || q.queryKey[0] === "history",
          });
        }
        return result;
      },
      enabled: hasRules,
      staleTime: 10 * 60_000,
      retry: false,
      refetchOnWindowFocus: false,
    })),
  });
}

/** `enabled` false holds the read back (the sidebar asks once its first answer is on screen). */
export function useConfig(enabled = true) {
  const api = useLedgerApi();
  return useQuery({ queryKey: keys.config(), queryFn: () => api.config(), staleTime: 60_000, enabled });
}

export function useQuote(owner: string | null, request: QuoteRequest | null) {
  const api = useLedgerApi();
  return useQuery({
    queryKey: owner && request ? keys.quote(owner, request) : ["quote", "none"],
    queryFn: () => api.quote(owner as string, request as QuoteRequest),
    enabled: owner !== null && request !== null,
    staleTime: 5_000,
    placeholderData: (previous) => previous,
  });
}

/**
 * A write the agent starts. One idempotency key per action (kept across retries, automatic or
 * by the agent pressing the button again), and a synchronous guard so a double click sends one
 * request. Every ledger read is refreshed after it succeeds.
 */
export function useLedgerWrite<TBody, TResult>(run: (api: LedgerApi, body: TBody, idempotencyKey: string) => Promise<TResult>) {
  const api = useLedgerApi();
  const queryClient = useQueryClient();
  const actionKey = useActionKey();
  const inFlight = useRef(false);
  const mutation = useMutation({
    mutationFn: ({ body, key }: { body: TBody; key: string }) => run(api, body, key),
    onSuccess: async () => {
      actionKey.done();
      await queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] !== "config" });
    },
    onError: (error) => {
      // A refusal is the key's final answer (the ledger replays it for the same key): pressing
      // again after, say, a top-up is a new action. Only a retryable failure keeps the key.
      if (error instanceof LedgerProblem && !isRetryable(error)) actionKey.done();
    },
    onSettled: () => {
      inFlight.current = false;
    },
  });
  const { mutate, isPending } = mutation;
  const rememberFocus = useFocusReturn(isPending);
  const submit = useCallback(
    (body: TBody, options?: { onSuccess?: (result: TResult) => void }) => {
      if (inFlight.current) return;
      inFlight.current = true;
      rememberFocus();
      mutate({ body, key: actionKey.keyFor(body) }, { onSuccess: (result) => options?.onSuccess?.(result) });
    },
    [mutate, actionKey, rememberFocus],
  );
  return { ...mutation, submit };
}

export { useLedgerApi };

// Reads. The app reads the ledger only through these named hooks (ESLint refuses React Query's
// read hooks anywhere else in src/app), so what a screen asks for is found here by name.

/**
 * What the ticket sidebar shows first, in one request: which bank pays and why (with its balance),
 * and what the ticket cost across banks. Through Deskpro's proxy every request costs a round trip
 * for a proxy token and one for the answer, so the first paint waits on this one only.
 */
export function useTicketSidebar(ticketId: string, personId: string, orgs: { ticketOrg: string | null; personOrg: string | null }) {
  const api = useLedgerApi();
  return useQuery(ticketSidebarQuery(api, ticketId, personId, orgs));
}

/** What the ledger saw and did on a portal ticket (null for a ticket that wasn't one); asked once `enabled`. */
export function usePortalTicket(ticketId: string, enabled = true) {
  const api = useLedgerApi();
  return useQuery({ queryKey: keys.portalTicket(ticketId), queryFn: () => api.portalTicket(ticketId), enabled });
}

/** The ticket's asked-before-overage question (null: never asked). */
export function useTicketOverage(ticketId: string) {
  const api = useLedgerApi();
  return useQuery({ queryKey: keys.ticketOverage(ticketId), queryFn: () => api.ticketOverage(ticketId) });
}

/** What putting a bank on a plan would do; asked only while `enabled` (another plan is picked). */
export function usePlanQuote(owner: string, request: PlanQuoteRequest, enabled: boolean) {
  const api = useLedgerApi();
  return useQuery({ queryKey: keys.planQuote(owner, request), queryFn: () => api.planQuote(owner, request), enabled });
}

/** A bank's statement, a page at a time, newest first. */
export function useStatement(owner: string, filter: StatementFilter, pageSize: number) {
  const api = useLedgerApi();
  return useInfiniteQuery({
    queryKey: [...keys.statement(owner), filter] as const,
    queryFn: ({ pageParam }) => api.statement(owner, { limit: pageSize, cursor: pageParam }, filter),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
}

/** A bank's entries since `since` (ms), for its burn-down: at most `maxPages` pages of `pageSize`, newest first. */
export function useRecentEntries(owner: string, since: number, pageSize: number, maxPages: number) {
  const api = useLedgerApi();
  return useQuery({
    queryKey: keys.history(owner),
    queryFn: async () => {
      const entries: Entry[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < maxPages; page++) {
        const result = await api.statement(owner, { limit: pageSize, cursor });
        entries.push(...result.entries);
        const oldest = result.entries[result.entries.length - 1];
        if (!result.nextCursor || !oldest || Date.parse(oldest.createdAt) < since) break;
        cursor = result.nextCursor;
      }
      return entries;
    },
    staleTime: 60_000,
  });
}

/** Queries that show what a read of the Billing tab may have changed. */
const MOVED_BY_A_READ = new Set(["ticket-sidebar", "wallet", "statement", "history"]);

/**
 * Asks the ledger to read the ticket's Billing & Time Log in Deskpro when the sidebar opens, when
 * the agent refreshes it, and when Deskpro's context lists different charges; what the read
 * charged or reversed shows at once. Deskpro tells apps nothing else about its billing.
 */
export function useDeskproBilling(ticketId: string, billing: string | null, enabled = true) {
  const api = useLedgerApi();
  const queryClient = useQueryClient();
  return useQuery({
    enabled,
    queryKey: keys.deskproBilling(ticketId, billing),
    queryFn: async () => {
      const view = await api.readTicketBilling(ticketId);
      if (view.changed) await queryClient.invalidateQueries({ predicate: (q) => MOVED_BY_A_READ.has(String(q.queryKey[0])) });
      return view;
    },
    retry: false,
    staleTime: 10_000,
  });
}
