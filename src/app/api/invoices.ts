import { useQuery } from "@tanstack/react-query";
import { Invoice, InvoicePage, type InvoiceRequestInput } from "../../contract/invoices.js";
import { useLedgerApi } from "./hooks.js";
import type { LedgerApi } from "./ledger.js";
import { ledgerRequest } from "./transport.js";

/** Buying by invoice: the ledger calls of the organisation sidebar's invoice form, apart from LedgerApi's. */

/** Issues a Stripe invoice for a pack; the credits come when it is paid, not now. */
export function issueInvoice(api: LedgerApi, request: InvoiceRequestInput, idempotencyKey: string): Promise<Invoice> {
  return ledgerRequest(api.endpoint, { method: "POST", path: "/v1/invoices", body: request, idempotencyKey, schema: Invoice, what: "invoice" });
}

export const invoicesKey = (owner: string) => ["invoices", owner] as const;

/** The bank's invoices, newest first (refreshed after every write, as every ledger read is). */
export function useInvoices(owner: string) {
  const api = useLedgerApi();
  return useQuery({
    queryKey: invoicesKey(owner),
    queryFn: async () =>
      (
        await ledgerRequest(api.endpoint, {
          method: "GET",
          path: `/v1/wallets/${encodeURIComponent(owner)}/invoices`,
          schema: InvoicePage,
          what: "invoices",
        })
      ).invoices,
  });
}
