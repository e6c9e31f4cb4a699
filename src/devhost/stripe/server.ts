/**
 * Stripe on the laptop: the few API calls the ledger's `stripe` package makes, a page standing in
 * for Stripe-hosted Checkout where the customer sees the pack and price and presses Pay, and
 * webhook deliveries signed with the endpoint's secret by the `stripe` package, as Stripe sends
 * them. docs/stripe-fidelity.md lists each behaviour with Stripe's documentation of it.
 */
import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import Stripe from "stripe";
import { z } from "zod";
import { parseStripeForm } from "./form.js";
import {
  makeEvent,
  publicSession,
  stripeId,
  unixTime,
  type ChargeObject,
  type CheckoutSessionObject,
  type CustomerDetails,
  type EventObject,
  type InvoiceObject,
} from "./objects.js";
import { checkoutPage, dashboardPage, documentPage, notFoundPage } from "./pages.js";

const alnum = (length: number) =>
  randomBytes(length * 2)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "")
    .slice(0, length);

interface StandInState {
  secretKey: string;
  /** The webhook endpoint Stripe would deliver to, as an admin registers it in the Dashboard. */
  endpoint: { url: string; secret: string } | null;
  endpointSecret: string;
  sessions: Record<string, CheckoutSessionObject>;
  charges: Record<string, ChargeObject>;
  invoices: Record<string, InvoiceObject>;
  /** Idempotency keys: the first request's body and the answer given. */
  keys: Record<string, { body: string; sessionId: string }>;
  events: Record<string, EventObject>;
}

export interface Delivery {
  eventId: string;
  type: string;
  status: number;
  body: string;
}

export interface StripeStandIn {
  /** The API's address: what LEDGER_STRIPE_API_URL is set to. */
  url: string;
  secretKey: string;
  /** The signing secret of the webhook endpoint (whsec_…). */
  webhookSecret: string;
  /** Registers the webhook endpoint (the ledger's `/hooks/stripe/<tenant>`). */
  setEndpoint(url: string): void;
  /** Every delivery made since start, oldest first. */
  deliveries: Delivery[];
  /** Sends an event again, as Stripe does when a delivery is retried or resent from the Dashboard. */
  resend(eventId: string): Promise<Delivery>;
  close(): Promise<void>;
}

const stripeError = (c: Context, status: 400 | 401 | 404, type: string, message: string, param?: string) =>
  c.json({ error: { type, message, ...(param ? { param } : {}) } }, status);

const SessionParams = z.object({
  mode: z.literal("payment"),
  success_url: z.string().url(),
  cancel_url: z.string().url(),
  client_reference_id: z.string().optional(),
  metadata: z.record(z.string(), z.string()).default({}),
  line_items: z.object({
    "0": z.object({
      quantity: z.coerce.number().int().min(1),
      price_data: z.object({
        currency: z.string().regex(/^[a-z]{3}$/),
        unit_amount: z.coerce.number().int().min(0),
        product_data: z.object({ name: z.string().min(1) }),
      }),
    }),
  }),
  billing_address_collection: z.enum(["auto", "required"]).optional(),
  tax_id_collection: z.object({ enabled: z.enum(["true", "false"]) }).optional(),
  automatic_tax: z.object({ enabled: z.enum(["true", "false"]) }).optional(),
  invoice_creation: z
    .object({ enabled: z.enum(["true", "false"]), invoice_data: z.object({ metadata: z.record(z.string(), z.string()).default({}) }).optional() })
    .optional(),
  payment_intent_data: z.object({ metadata: z.record(z.string(), z.string()).default({}) }).optional(),
});

const PayForm = z.object({
  email: z.string().trim().email(),
  name: z.string().trim().max(200).default(""),
  line1: z.string().trim().max(200).default(""),
  city: z.string().trim().max(100).default(""),
  postal_code: z.string().trim().max(20).default(""),
  country: z
    .string()
    .trim()
    .regex(/^[A-Z]{2}$/),
  tax_id: z.string().trim().max(40).default(""),
});

export interface StripeStandInOptions {
  /** Where the stand-in keeps its keys and objects between starts (a JSON file); memory only when omitted. */
  stateFile?: string;
  /** 0 picks a free port. */
  port: number;
  clock?: () => Date;
}

export async function startStripeStandIn(options: StripeStandInOptions): Promise<StripeStandIn> {
  const clock = options.clock ?? (() => new Date());
  const fresh: StandInState = {
    secretKey: `sk_test_${alnum(24)}`,
    endpoint: null,
    endpointSecret: `whsec_${alnum(32)}`,
    sessions: {},
    charges: {},
    invoices: {},
    keys: {},
    events: {},
  };
  const state: StandInState = options.stateFile && existsSync(options.stateFile) ? { ...fresh, ...JSON.parse(readFileSync(options.stateFile, "utf8")) } : fresh;
  const save = () => {
    if (options.stateFile) writeFileSync(options.stateFile, JSON.stringify(state));
  };
  save();
  const signer = new Stripe(state.secretKey);
  const deliveries: Delivery[] = [];
  let origin = "";

  const deliver = async (event: EventObject): Promise<Delivery> => {
    state.events[event.id] = event;
    save();
    if (!state.endpoint) {
      const skipped = { eventId: event.id, type: event.type, status: 0, body: "no webhook endpoint registered" };
      deliveries.push(skipped);
      return skipped;
    }
    const payload = JSON.stringify(event);
    const signature = signer.webhooks.generateTestHeaderString({ payload, secret: state.endpoint.secret });
    let delivery: Delivery;
    try {
      const response = await fetch(state.endpoint.url, {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          "stripe-signature": signature,
          "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        },
        body: payload,
      });
      delivery = { eventId: event.id, type: event.type, status: response.status, body: await response.text() };
    } catch (error) {
      delivery = { eventId: event.id, type: event.type, status: 0, body: (error as Error).message };
    }
    deliveries.push(delivery);
    return delivery;
  };
  const send = (type: string, object: object) => deliver(makeEvent(type, object as Record<string, unknown>, Stripe.API_VERSION, clock()));

  const app = new Hono();

  // --- The API, authenticated by the secret key as Stripe's is (Bearer).
  app.use("/v1/*", async (c, next) => {
    const auth = c.req.header("authorization") ?? "";
    if (auth !== `Bearer ${state.secretKey}`) return stripeError(c, 401, "invalid_request_error", "Invalid API Key provided.");
    await next();
  });

  app.post("/v1/checkout/sessions", async (c) => {
    const text = await c.req.text();
    const key = c.req.header("idempotency-key");
    if (key && key.length > 255) return stripeError(c, 400, "invalid_request_error", "Keys for idempotent requests can only be 255 characters long.");
    const saved = key ? state.keys[key] : undefined;
    if (saved) {
      if (saved.body !== text)
        return stripeError(c, 400, "idempotency_error", "Keys for idempotent requests can only be used with the same parameters they were first used with.");
      c.header("idempotent-replayed", "true");
      return c.json(publicSession(state.sessions[saved.sessionId]!));
    }
    const parsed = SessionParams.safeParse(parseStripeForm(text));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return stripeError(c, 400, "invalid_request_error", `Invalid or missing parameter: ${issue.path.join(".")}.`, issue.path.join("."));
    }
    const p = parsed.data;
    const item = p.line_items["0"];
    const now = clock();
    const id = stripeId("cs_test");
    const amount = item.price_data.unit_amount * item.quantity;
    const session: CheckoutSessionObject = {
      id,
      object: "checkout.session",
      mode: "payment",
      status: "open",
      payment_status: "unpaid",
      url: `${origin}/c/pay/${id}`,
      success_url: p.success_url,
      cancel_url: p.cancel_url,
      client_reference_id: p.client_reference_id ?? null,
      metadata: p.metadata,
      currency: item.price_data.currency,
      amount_subtotal: amount,
      amount_total: amount,
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      billing_address_collection: p.billing_address_collection ?? null,
      tax_id_collection: { enabled: p.tax_id_collection?.enabled === "true" },
      automatic_tax: { enabled: p.automatic_tax?.enabled === "true", status: null, liability: null },
      invoice_creation: p.invoice_creation
        ? { enabled: p.invoice_creation.enabled === "true", invoice_data: { metadata: p.invoice_creation.invoice_data?.metadata ?? {} } }
        : null,
      invoice: null,
      payment_intent: null,
      customer: null,
      customer_details: null,
      payment_method_types: ["card"],
      created: unixTime(now),
      expires_at: unixTime(now) + 24 * 3600,
      livemode: false,
      _lineItem: { name: item.price_data.product_data.name, unitAmount: item.price_data.unit_amount, quantity: item.quantity },
      _charge: null,
      _paymentIntentMetadata: p.payment_intent_data?.metadata ?? {},
    };
    state.sessions[id] = session;
    if (key) state.keys[key] = { body: text, sessionId: id };
    save();
    return c.json(publicSession(session));
  });

  app.get("/v1/checkout/sessions/:id", (c) => {
    const session = state.sessions[c.req.param("id")];
    if (!session) return stripeError(c, 404, "invalid_request_error", `No such checkout.session: '${c.req.param("id")}'`, "id");
    return c.json(publicSession(session));
  });

  app.get("/v1/charges/:id", (c) => {
    const charge = state.charges[c.req.param("id")];
    return charge ? c.json(charge) : stripeError(c, 404, "invalid_request_error", `No such charge: '${c.req.param("id")}'`, "id");
  });

  app.get("/v1/invoices/:id", (c) => {
    const invoice = state.invoices[c.req.param("id")];
    return invoice ? c.json(invoice) : stripeError(c, 404, "invalid_request_error", `No such invoice: '${c.req.param("id")}'`, "id");
  });

  // --- The hosted Checkout page.
  const dashboard = (error: string | null) =>
    dashboardPage({ secretKey: state.secretKey, endpointUrl: state.endpoint?.url ?? null, endpointSecret: state.endpointSecret, error });
  app.get("/", (c) => c.html(dashboard(null)));
  // The endpoint the admin gives "Stripe": only a ledger on this machine (the simulation posts to it).
  app.post("/dashboard/webhook", async (c) => {
    const url = z.url({ protocol: /^https?$/, hostname: /^(127\.0\.0\.1|localhost|\[::1\])$/ }).safeParse(String((await c.req.parseBody()).url ?? "").trim());
    if (!url.success) return c.html(dashboard("Give the ledger's webhook address on this machine (http://127.0.0.1:…/hooks/stripe/…)."), 400);
    state.endpoint = { url: url.data, secret: state.endpointSecret };
    save();
    return c.redirect("/", 303);
  });

  app.get("/c/pay/:id", (c) => {
    const session = state.sessions[c.req.param("id")];
    if (!session) return c.html(notFoundPage(), 404);
    return c.html(checkoutPage(session, null));
  });

  app.post("/c/pay/:id", async (c) => {
    const session = state.sessions[c.req.param("id")];
    if (!session) return c.html(notFoundPage(), 404);
    if (session.status !== "open") return c.redirect(session.success_url, 303);
    const form = PayForm.safeParse(await c.req.parseBody());
    const requiresAddress = session.billing_address_collection === "required";
    if (!form.success || (requiresAddress && (!form.data.line1 || !form.data.city || !form.data.postal_code)))
      return c.html(checkoutPage(session, "Fill in your email and billing address."), 400);
    const f = form.data;
    const now = clock();
    const address = { line1: f.line1 || null, line2: null, city: f.city || null, state: null, postal_code: f.postal_code || null, country: f.country };
    const details: CustomerDetails = {
      email: f.email,
      name: f.name || null,
      address,
      tax_exempt: "none",
      tax_ids: session.tax_id_collection.enabled && f.tax_id ? [{ type: "eu_vat", value: f.tax_id }] : [],
    };
    const paymentIntent = stripeId("pi");
    const charge: ChargeObject = {
      id: stripeId("ch"),
      object: "charge",
      amount: session.amount_total,
      amount_captured: session.amount_total,
      amount_refunded: 0,
      captured: true,
      paid: true,
      refunded: false,
      status: "succeeded",
      currency: session.currency,
      payment_intent: paymentIntent,
      metadata: session._paymentIntentMetadata,
      billing_details: { address, email: f.email, name: f.name || null },
      receipt_email: f.email,
      receipt_url: "",
      created: unixTime(now),
      livemode: false,
    };
    charge.receipt_url = `${origin}/receipts/${charge.id}`;
    state.charges[charge.id] = charge;
    let invoice: InvoiceObject | null = null;
    if (session.invoice_creation?.enabled) {
      const id = stripeId("in");
      invoice = {
        id,
        object: "invoice",
        status: "paid",
        number: `LOCAL-${String(Object.keys(state.invoices).length + 1).padStart(4, "0")}`,
        currency: session.currency,
        amount_due: session.amount_total,
        amount_paid: session.amount_total,
        customer_email: f.email,
        customer_address: address,
        hosted_invoice_url: `${origin}/invoices/${id}`,
        invoice_pdf: null,
        metadata: session.invoice_creation.invoice_data.metadata,
        created: unixTime(now),
        livemode: false,
      };
      state.invoices[id] = invoice;
    }
    Object.assign(session, {
      status: "complete",
      payment_status: "paid",
      url: null,
      payment_intent: paymentIntent,
      customer_details: details,
      invoice: invoice?.id ?? null,
      automatic_tax: { ...session.automatic_tax, status: session.automatic_tax.enabled ? "complete" : null },
      _charge: charge.id,
    });
    save();
    // Delivered before the customer is sent back, so the page they return to shows the credits.
    await send("charge.succeeded", charge);
    await send("checkout.session.completed", publicSession(session));
    if (invoice) {
      await send("invoice.finalized", invoice);
      await send("invoice.paid", invoice);
    }
    return c.redirect(session.success_url, 303);
  });

  app.post("/c/cancel/:id", (c) => {
    const session = state.sessions[c.req.param("id")];
    if (!session) return c.html(notFoundPage(), 404);
    return c.redirect(session.status === "open" ? session.cancel_url : session.success_url, 303);
  });

  // --- A charge's receipt and an invoice's hosted page, with a refund button for trying refunds locally.
  app.get("/receipts/:id", (c) => {
    const charge = state.charges[c.req.param("id")];
    return charge ? c.html(documentPage({ kind: "receipt", charge })) : c.html(notFoundPage(), 404);
  });
  app.get("/invoices/:id", (c) => {
    const invoice = state.invoices[c.req.param("id")];
    const charge =
      invoice && Object.values(state.charges).find((ch) => Object.values(state.sessions).some((s) => s.invoice === invoice.id && s._charge === ch.id));
    return invoice && charge ? c.html(documentPage({ kind: "invoice", charge, invoice })) : c.html(notFoundPage(), 404);
  });
  app.post("/receipts/:id/refund", async (c) => {
    const charge = state.charges[c.req.param("id")];
    if (!charge) return c.html(notFoundPage(), 404);
    const form = await c.req.parseBody();
    const asked = Number(form.amount);
    const left = charge.amount - charge.amount_refunded;
    const amount = Number.isInteger(asked) && asked > 0 ? Math.min(asked, left) : left;
    if (amount > 0) {
      charge.amount_refunded += amount;
      charge.refunded = charge.amount_refunded >= charge.amount;
      save();
      await send("charge.refunded", charge);
    }
    return c.redirect(`/receipts/${charge.id}`, 303);
  });

  let server: ServerType | null = null;
  const port = await new Promise<number>((resolvePort, reject) => {
    server = serve({ fetch: app.fetch, port: options.port, hostname: "127.0.0.1" }, (info) => resolvePort(info.port));
    server.once("error", reject);
  });
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    secretKey: state.secretKey,
    webhookSecret: state.endpointSecret,
    setEndpoint(url) {
      state.endpoint = { url, secret: state.endpointSecret };
      save();
    },
    deliveries,
    async resend(eventId) {
      const event = state.events[eventId];
      if (!event) throw new Error(`No such event: ${eventId}`);
      return deliver(event);
    },
    close: () => new Promise<void>((done) => (server ? server.close(() => done()) : done())),
  };
}
