import { z } from "zod";

/**
 * What the app needs from the context Deskpro sends with onReady/onShow/onChange. Deskpro
 * sends ids as strings (sometimes numbers in older builds); both are accepted. Everything else
 * in the context is ignored, so a richer context never breaks the app.
 */
const DeskproId = z.union([z.string().regex(/^[1-9][0-9]{0,17}$/), z.int().positive()]).transform(String);

const OrgMembership = z.object({ organization: z.object({ id: DeskproId, name: z.string().optional() }) });

const Person = z.object({
  id: DeskproId,
  displayName: z.string().optional(),
  name: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  primaryOrgMember: OrgMembership.nullish().catch(null),
  orgMembers: z.array(OrgMembership).nullish().catch(null),
});
type Person = z.infer<typeof Person>;

const Agent = z.object({ id: DeskproId.optional(), name: z.string().optional(), firstName: z.string().optional(), lastName: z.string().optional() });

const Organisation = z.object({ id: DeskproId, name: z.string().optional() });

/** The ticket's Billing & Time Log as the context lists it (every value a string in Deskpro's SDK types). */
const BillingCharges = z.array(
  z
    .object({ id: z.union([z.string(), z.number()]), chargeTime: z.unknown().optional(), amount: z.unknown().optional() })
    .transform((c) => `${String(c.id)}:${String(c.chargeTime ?? "")}:${String(c.amount ?? "")}`),
);

const TicketData = z.object({
  ticket: z.object({
    id: DeskproId,
    subject: z.string().optional(),
    /** The ticket's address in the agent interface, for links (`…/app#/t/ticket/<id>`). */
    permalinkUrl: z.string().optional().catch(undefined),
    primaryUser: Person,
    /** The ticket's own organisation (Deskpro's spelling); absent or null when it has none. */
    organization: Organisation.nullish().catch(null),
    billingCharges: BillingCharges.nullish().catch(null),
  }),
  currentAgent: Agent.optional().catch(undefined),
});
const UserData = z.object({ user: Person, currentAgent: Agent.optional().catch(undefined) });
const OrganisationData = z.object({
  organisation: z.object({ id: DeskproId, name: z.string().optional() }),
  currentAgent: Agent.optional().catch(undefined),
});

export interface Org {
  id: string;
  name: string | null;
}

export type AppTarget =
  | {
      kind: "ticket";
      ticketId: string;
      permalinkUrl: string | null;
      personId: string;
      personName: string;
      /** The ticket's organisation, and the person's primary one: the ledger picks the payer from them. */
      ticketOrg: Org | null;
      personOrg: Org | null;
      agent: string | null;
      /** What Deskpro's context lists on the ticket's Billing tab, in short; null when it lists nothing. */
      billing: string | null;
    }
  | {
      kind: "user";
      personId: string;
      personName: string;
      /** The person's primary organisation; "unknown" when the context lists no memberships (Deskpro's user context doesn't). */
      personOrg: Org | null | "unknown";
      agent: string | null;
    }
  | { kind: "organisation"; orgId: string; orgName: string; agent: string | null }
  | { kind: "unsupported"; reason: string };

function personName(person: Person): string {
  const full = [person.firstName, person.lastName].filter(Boolean).join(" ");
  return person.displayName ?? person.name ?? (full || `Person #${person.id}`);
}

function agentName(agent: z.infer<typeof Agent> | undefined): string | null {
  if (!agent) return null;
  const full = [agent.firstName, agent.lastName].filter(Boolean).join(" ");
  return agent.name ?? (full || (agent.id ? `agent #${agent.id}` : null));
}

/** The person's primary organisation, else the first one they belong to. */
function primaryOrg(person: Person): Org | null {
  const org = person.primaryOrgMember?.organization ?? person.orgMembers?.[0]?.organization;
  return org ? { id: org.id, name: org.name ?? null } : null;
}

export function targetFromContext(context: { type: string; data?: unknown } | null): AppTarget | null {
  if (!context) return null;
  switch (context.type) {
    case "ticket": {
      const parsed = TicketData.safeParse(context.data);
      if (!parsed.success) return { kind: "unsupported", reason: "Deskpro did not say who this ticket belongs to." };
      const { ticket, currentAgent } = parsed.data;
      return {
        kind: "ticket",
        ticketId: ticket.id,
        permalinkUrl: ticket.permalinkUrl ?? null,
        personId: ticket.primaryUser.id,
        personName: personName(ticket.primaryUser),
        ticketOrg: ticket.organization ? { id: ticket.organization.id, name: ticket.organization.name ?? null } : null,
        personOrg: primaryOrg(ticket.primaryUser),
        agent: agentName(currentAgent),
        billing: ticket.billingCharges?.join(",") ?? null,
      };
    }
    case "user": {
      const parsed = UserData.safeParse(context.data);
      if (!parsed.success) return { kind: "unsupported", reason: "Deskpro did not say which person this is." };
      const { user } = parsed.data;
      const listsMemberships = user.primaryOrgMember !== undefined || user.orgMembers !== undefined;
      return {
        kind: "user",
        personId: user.id,
        personName: personName(user),
        personOrg: listsMemberships ? primaryOrg(user) : "unknown",
        agent: agentName(parsed.data.currentAgent),
      };
    }
    case "organisation": {
      const parsed = OrganisationData.safeParse(context.data);
      if (!parsed.success) return { kind: "unsupported", reason: "Deskpro did not say which organisation this is." };
      const { organisation, currentAgent } = parsed.data;
      return { kind: "organisation", orgId: organisation.id, orgName: organisation.name ?? `Organisation #${organisation.id}`, agent: agentName(currentAgent) };
    }
    default:
      return { kind: "unsupported", reason: `This app has nothing to show in the ${context.type} view.` };
  }
}
