/**
 * The contexts Deskpro sends a sidebar app with onReady/onShow/onChange, built from the demo
 * helpdesk. Shapes follow Deskpro's SDK types (ids as strings, camelCase, the ticket's own
 * `organization`, its primary user with `primaryOrgMember` and `orgMembers`, its Billing & Time Log
 * as `billingCharges` with every value a string, the current agent);
 * settings carry only the settings that are not backend-only, as in Deskpro.
 */
import type { Helpdesk, HelpdeskPerson } from "./store.js";
import { DEMO_AGENT_ID, fullName } from "./store.js";

export type View =
  { type: "ticket"; id: number } | { type: "user"; id: number } | { type: "organisation"; id: number } | { type: "admin" } | { type: "portal" };

export interface DeskproContext {
  type: string;
  settings: Record<string, string>;
  data?: Record<string, unknown>;
}

function personData(desk: Helpdesk, person: HelpdeskPerson) {
  const org = person.organization === null ? null : (desk.organizations.find((o) => o.id === person.organization) ?? null);
  const membership = org ? { position: "", isManager: "0", organization: { id: String(org.id), name: org.name } } : undefined;
  return {
    id: String(person.id),
    isAgent: person.is_agent,
    firstName: person.first_name,
    lastName: person.last_name,
    name: fullName(person),
    displayName: fullName(person),
    titlePrefix: "",
    primaryEmail: person.primary_email,
    emails: [person.primary_email],
    language: "en",
    locale: "en-GB",
    primaryOrgMember: membership,
    orgMembers: membership ? [membership] : [],
  };
}

function currentAgent(desk: Helpdesk) {
  const agent = desk.people.find((p) => p.id === DEMO_AGENT_ID);
  return agent
    ? { id: String(agent.id), name: fullName(agent), firstName: agent.first_name, lastName: agent.last_name, primaryEmail: agent.primary_email }
    : undefined;
}

export function contextFor(view: View, desk: Helpdesk, publicSettings: Record<string, string>, hostOrigin: string): DeskproContext | null {
  switch (view.type) {
    case "ticket": {
      const ticket = desk.tickets.find((t) => t.id === view.id);
      const person = ticket && desk.people.find((p) => p.id === ticket.person);
      if (!ticket || !person) return null;
      const ticketOrg = desk.organizations.find((o) => o.id === ticket.organization) ?? null;
      return {
        type: "ticket",
        settings: publicSettings,
        data: {
          ticket: {
            id: String(ticket.id),
            subject: ticket.subject,
            status: ticket.status,
            // Deskpro's permalink format (the agent interface's route to the ticket).
            permalinkUrl: `${hostOrigin}/app#/t/ticket/${ticket.id}`,
            primaryUser: personData(desk, person),
            // The ticket's own organisation (it may differ from the primary user's); null without one.
            organization: ticketOrg ? { id: String(ticketOrg.id), name: ticketOrg.name, customFields: {} } : null,
            billingCharges: desk.charges
              .filter((charge) => charge.ticket === ticket.id)
              .map((charge) => ({
                id: String(charge.id),
                amount: charge.amount === null ? "" : charge.amount.toFixed(2),
                chargeTime: charge.charge_time === null ? "" : String(charge.charge_time),
                dateCreated: charge.date_created,
                fields: { comment: charge.comment },
              })),
          },
          currentAgent: currentAgent(desk),
        },
      };
    }
    case "user": {
      const person = desk.people.find((p) => p.id === view.id);
      if (!person) return null;
      return { type: "user", settings: publicSettings, data: { user: personData(desk, person), currentAgent: currentAgent(desk) } };
    }
    case "organisation": {
      const org = desk.organizations.find((o) => o.id === view.id);
      if (!org) return null;
      return {
        type: "organisation",
        settings: publicSettings,
        data: { organisation: { id: String(org.id), name: org.name }, currentAgent: currentAgent(desk) },
      };
    }
    case "portal":
      return null;
    case "admin":
      // The settings page gets its context through onAdminSettingsChange as the admin types.
      return { type: "admin", settings: publicSettings };
  }
}
