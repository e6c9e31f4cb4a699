/**
 * Stripe's objects as the stand-in makes them: a Checkout Session, the Charge and Invoice a paid
 * session leaves, and the Event that carries one of them, each with the fields Stripe documents
 * for it (docs/stripe-fidelity.md lists the sources). Only what a merchant's integration reads is
 * filled in; ids have Stripe's prefixes.
 */
import { randomBytes } from "node:crypto";

export const stripeId = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;
const unix = (at: Date) => Math.floor(at.getTime() / 1000);

export interface Address {
  line1: string | null;
  line2: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string | null;
}

export interface CustomerDetails {
  email: string;
  name: string | null;
  address: Address;
  tax_exempt: "none";
  tax_ids: { type: string; value: string }[];
}

export interface CheckoutSessionObject {
  id: string;
  object: "checkout.session";
  mode: "payment";
  status: "open" | "complete" | "expired";
  payment_status: "unpaid" | "paid";
  url: string | null;
  success_url: string;
  cancel_url: string;
  client_reference_id: string | null;
  metadata: Record<string, string>;
  currency: string;
  amount_subtotal: number;
  amount_total: number;
  total_details: { amount_discount: number; amount_shipping: number; amount_tax: number };
  billing_address_collection: "auto" | "required" | null;
  tax_id_collection: { enabled: boolean };
  automatic_tax: { enabled: boolean; status: "complete" | null; liability: null };
  invoice_creation: { enabled: boolean; invoice_data: { metadata: Record<string, string> } } | null;
  invoice: string | null;
  payment_intent: string | null;
  customer: string | null;
  customer_details: CustomerDetails | null;
  payment_method_types: ["card"];
  created: number;
  expires_at: number;
  livemode: false;
  /** Fields starting with `_` are the stand-in's own notes, kept out of what the API returns. */
  _lineItem: { name: string; unitAmount: number; quantity: number };
  /** The charge a payment made, kept so a refund finds it. */
  _charge: string | null;
  /** `payment_intent_data.metadata`: copied onto the payment's charge. */
  _paymentIntentMetadata: Record<string, string>;
}

export interface ChargeObject {
  id: string;
  object: "charge";
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: true;
  paid: true;
  refunded: boolean;
  status: "succeeded";
  currency: string;
  payment_intent: string;
  metadata: Record<string, string>;
  billing_details: { address: Address; email: string; name: string | null };
  receipt_email: string;
  receipt_url: string;
  created: number;
  livemode: false;
}

export interface InvoiceObject {
  id: string;
  object: "invoice";
  status: "paid";
  number: string;
  currency: string;
  amount_due: number;
  amount_paid: number;
  customer_email: string;
  customer_address: Address;
  hosted_invoice_url: string;
  invoice_pdf: null;
  metadata: Record<string, string>;
  created: number;
  livemode: false;
}

export interface EventObject {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  type: string;
  data: { object: Record<string, unknown> };
}

/** What the API shows of a session: the stand-in's own notes left out. */
export function publicSession(session: CheckoutSessionObject): Record<string, unknown> {
  return Object.fromEntries(Object.entries(session).filter(([key]) => !key.startsWith("_")));
}

export function makeEvent(type: string, object: Record<string, unknown>, apiVersion: string, at: Date): EventObject {
  return {
    id: stripeId("evt"),
    object: "event",
    api_version: apiVersion,
    created: unix(at),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

export const unixTime = unix;
