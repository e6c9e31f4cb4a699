import {
  AlertSettings,
  AlertWebhookTest,
  ConfigResponse,
  DeskproBillingStatus,
  DeskproConnection,
  DeskproLookups,
  HelpdeskSignup,
  OutboxPage,
  OverageSettingsResponse,
  PortalSettingsResponse,
  PortalSetup,
  PortalTierLabels,
  StripeConnection,
  TierFieldCreated,
  WalletList,
  WebhookSecretIssued,
  type AlertSettingsInput,
  type DeskproBillingSettingsInput,
  type DeskproConnectionRequest,
  type HelpdeskSignupRequest,
  type LedgerConfigInput,
  type PortalSettingsInput,
  type StripeConnectionRequest,
} from "../../contract/index.js";
import { LedgerApi } from "./ledger.js";
import { ledgerRequest } from "./transport.js";

/**
 * The settings page's ledger calls (and the Connect page's) on top of the sidebar's: a module of
 * their own so their schemas load with that page, not with every sidebar.
 */
export class AdminLedgerApi extends LedgerApi {
  /** Banks on a plan (or all of one kind), for a bulk grant's preview. */
  wallets(filter: { plan?: string; type?: "org" | "person" }): Promise<WalletList> {
    return ledgerRequest(this.endpoint, { method: "GET", path: "/v1/wallets", query: { ...filter, limit: 1000 }, schema: WalletList, what: "banks" });
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
