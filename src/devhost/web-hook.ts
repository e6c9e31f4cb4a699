/**
 * The body of Deskpro's "Call web hook" action as the development host's triggers send it: the
 * ticket's data as PHP-style form fields (`ticket[id]=5`, `ticket[person][first_name]=Ada`,
 * `ticket[fields][7][value][0]=72`), form-encoded, with the action's `custom_data` (always present,
 * empty here), as Deskpro's knowledge-base article on the action's data format shows.
 */
import type { Helpdesk, HelpdeskTicket } from "./store.js";
import { fullName } from "./store.js";

/** Nested data flattened to bracketed form fields; nulls become empty values, as PHP sends them. */
export function phpFormFields(prefix: string, value: unknown, out: Array<[string, string]> = []): Array<[string, string]> {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    for (const [key, child] of entries) phpFormFields(`${prefix}[${key}]`, child, out);
  } else {
    out.push([prefix, value === null || value === undefined ? "" : typeof value === "boolean" ? (value ? "1" : "0") : String(value as string | number)]);
  }
  return out;
}

export function webHookBody(desk: Helpdesk, ticket: HelpdeskTicket): string {
  const person = desk.people.find((p) => p.id === ticket.person);
  const org = desk.organizations.find((o) => o.id === ticket.organization);
  const priority = desk.priorities.find((p) => p.id === ticket.priority);
  const data = {
    id: ticket.id,
    subject: ticket.subject,
    status: ticket.status,
    date_created: ticket.date_created,
    date_created_ts: Math.floor(new Date(ticket.date_created).getTime() / 1000),
    person: person && {
      id: person.id,
      name: fullName(person),
      first_name: person.first_name,
      last_name: person.last_name,
      primary_email: person.primary_email,
    },
    organization: org ? { id: org.id, name: org.name } : null,
    priority: priority ? { id: priority.id, title: priority.title } : null,
    fields: ticket.fields,
  };
  const form = new URLSearchParams(phpFormFields("ticket", data));
  form.append("custom_data", "");
  return form.toString();
}
