/**
 * What a customer page calls a bank and its helpdesk: the organisation's or person's name as
 * Deskpro has it, read through the tenant's Deskpro connection and kept on the wallet for a day,
 * and the helpdesk's address. Without a connection (or when Deskpro can't answer) the page says
 * "your organisation" or "your account", never an id.
 */
import { parseOwner } from "../../contract/primitives.js";
import type { LedgerContext } from "../core/context.js";
import type { DeskproClientFactory } from "../integrations/deskpro/connection.js";
import { clientFor } from "../integrations/deskpro/connection.js";
import type { DeskproPerson } from "../integrations/deskpro/schemas.js";
import * as connections from "../storage/deskpro-connections.js";
import * as wallets from "../storage/wallets.js";

const FRESH_MS = 24 * 60 * 60_000;

export interface BankNames {
  /** "Analytical Engines Ltd", or "your organisation" / "your account" when unknown. */
  bank: string;
  /** Whether `bank` is the real name (and so reads as a name, not a phrase). */
  known: boolean;
  /** The helpdesk's address without the scheme ("support.example.com"), or null without a connection. */
  helpdesk: string | null;
}

export const fallbackBankName = (owner: string) => (parseOwner(owner).type === "org" ? "your organisation" : "your account");

/** The person's full name, else any name Deskpro gives. */
const personName = (p: DeskproPerson) =>
  [p.first_name, typeof p.last_name === "string" ? p.last_name : null].filter(Boolean).join(" ") || p.display_name || p.name || null;

export async function bankNames(ctx: LedgerContext, tenantId: string, owner: string, factory: DeskproClientFactory): Promise<BankNames> {
  const connection = await connections.getDeskproConnection(ctx.db, tenantId);
  const helpdesk = connection ? new URL(connection.url).host : null;
  const cached = await wallets.findDisplayName(ctx.db, tenantId, owner);
  const now = ctx.clock();
  let name = cached.name;
  if (connection?.apiKeyCiphertext && (!cached.at || now.getTime() - cached.at.getTime() > FRESH_MS)) {
    try {
      const client = await clientFor(ctx.db, tenantId, factory);
      const { type, id } = parseOwner(owner);
      const fresh = type === "org" ? ((await client.getOrganization(id)).name ?? null) : personName(await client.getPerson(id));
      if (fresh) {
        name = fresh.trim().slice(0, 200);
        await wallets.setDisplayName(ctx.db, tenantId, owner, name, now);
      }
    } catch {
      // Deskpro unreachable or the record gone: the name read last time (or the fallback) will do.
    }
  }
  return name ? { bank: name, known: true, helpdesk } : { bank: fallbackBankName(owner), known: false, helpdesk };
}
