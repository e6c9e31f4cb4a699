/** Message wording with {placeholders}, rendered as HTML with every value escaped. */

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");

export type TemplateValues = Record<string, string | number | null | undefined>;

/**
 * Replaces {name}-style placeholders; unknown ones stay as written. A {link} becomes an anchor. The
 * template itself is the admin's text: escaped too, so it can't inject markup into a ticket.
 */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template
    .split(/(\{[a-zA-Z]+\})/)
    .map((part) => {
      const match = /^\{([a-zA-Z]+)\}$/.exec(part);
      if (!match) return escapeHtml(part);
      const value = values[match[1]!];
      if (value === undefined) return escapeHtml(part);
      if (value === null || value === "") return "";
      const text = String(value);
      if (match[1] === "link" && /^https?:\/\//.test(text)) return `<a href="${escapeHtml(text)}">${escapeHtml(text)}</a>`;
      return escapeHtml(text);
    })
    .join("")
    .split(/\r?\n/)
    .join("<br>");
}

/** The same text without markup (webhook payloads, logs of what was sent). */
export function renderPlain(template: string, values: TemplateValues): string {
  return template.replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : value === null ? "" : String(value);
  });
}
