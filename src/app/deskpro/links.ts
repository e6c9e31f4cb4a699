/**
 * Links to tickets in Deskpro's agent interface. The SDK has no call that opens a ticket, so a
 * ticket number is a link to its permalink (https://<helpdesk>/app#/t/ticket/<id>, the format of the
 * ticket context's `permalinkUrl`) that opens in a new tab. The helpdesk's address comes from that
 * permalink on a ticket, and elsewhere from the page the app is embedded in.
 */

/** The helpdesk's origin from a ticket's permalink (some helpdesks send it without the slash before "app#"). */
export function helpdeskFromPermalink(permalinkUrl: string | null | undefined): string | null {
  if (!permalinkUrl) return null;
  try {
    return new URL(permalinkUrl.replace(/(?<!\/)app#\//, "/app#/")).origin;
  } catch {
    return null;
  }
}

/** The origin of the page embedding the app: Deskpro's agent interface, i.e. the helpdesk. */
export function embeddingOrigin(): string | null {
  if (typeof window === "undefined" || window.parent === window) return null;
  const ancestors = window.location.ancestorOrigins;
  if (ancestors && ancestors.length > 0) return ancestors[0] ?? null;
  try {
    return document.referrer ? new URL(document.referrer).origin : null;
  } catch {
    return null;
  }
}

export const ticketUrl = (helpdesk: string, ticketId: string) => `${helpdesk}/app#/t/ticket/${encodeURIComponent(ticketId)}`;
