/**
 * The ticket id in the body of Deskpro's "Call web hook" action. Deskpro sends the ticket as PHP
 * form fields (`ticket[id]=5&ticket[person][id]=…&custom_data=…`); which content type current
 * helpdesks use is not documented, so form-encoded, multipart and JSON (`{"ticket": {"id": 5}}`)
 * bodies are all read. A GET hook, or one whose body is dropped, has no body.
 */

export type HookBody =
  | { kind: "none" }
  /** A body that names no ticket (`custom_data=` only, or a JSON object without `ticket.id`). */
  | { kind: "no_ticket" }
  | { kind: "ticket"; id: string }
  | { kind: "unreadable"; why: "bad_json" | "not_an_object" | "bad_multipart" | "unsupported_type" };

const FORM = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;
const MULTIPART = /^multipart\/form-data\s*;/i;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

const named = (value: unknown): HookBody =>
  value === undefined || value === null || value === "" ? { kind: "no_ticket" } : { kind: "ticket", id: String(value as string | number).trim() };

export async function readHookBody(contentType: string, body: string): Promise<HookBody> {
  if (body.trim() === "") return { kind: "none" };
  if (FORM.test(contentType)) return named(new URLSearchParams(body).get("ticket[id]"));
  if (MULTIPART.test(contentType)) {
    try {
      const form = await new Response(body, { headers: { "content-type": contentType } }).formData();
      const id = form.get("ticket[id]");
      return named(typeof id === "string" ? id : null);
    } catch {
      return { kind: "unreadable", why: "bad_multipart" };
    }
  }
  if (JSON_TYPE.test(contentType)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { kind: "unreadable", why: "bad_json" };
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return { kind: "unreadable", why: "not_an_object" };
    const ticket = (parsed as { ticket?: unknown }).ticket;
    return named(ticket !== null && typeof ticket === "object" ? (ticket as { id?: unknown }).id : undefined);
  }
  return { kind: "unreadable", why: "unsupported_type" };
}
