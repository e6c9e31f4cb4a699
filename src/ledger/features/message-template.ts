/** Message wording with {placeholders}, rendered as HTML with every value escaped. */

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");

export type TemplateValues = Record<string, string | number | null | undefined>;

export interface RenderOptions {
  /**
   * Said instead of a sentence that leads to {link} when there is no link, so a message never ends
   * on an empty link ("You can top up here:") or points back at itself.
   */
  withoutLink?: string;
}

/** Numbers in messages read as everywhere else: thousands separators ("1,240 credits"). */
const text = (value: string | number) => (typeof value === "number" ? value.toLocaleString("en") : value);
const isEmpty = (value: TemplateValues[string]) => value === null || value === "";

/**
 * Leaves out what would read wrong for these values: a sentence whose {link} is empty (then says
 * `withoutLink` at the end), and a bracketed aside whose placeholder is empty ("(alert level {level})"
 * on a notice that has no level).
 */
function fitToValues(template: string, values: TemplateValues, options: RenderOptions): string {
  let out = template.replace(/\s*\([^()]*\{([a-zA-Z]+)\}[^()]*\)/g, (aside, name: string) => (isEmpty(values[name]) ? "" : aside));
  if (out.includes("{link}") && isEmpty(values.link)) {
    const sentences = out.split(/(?<=[.!?])(\s+)/);
    const kept = sentences.filter((part) => !part.includes("{link}"));
    out = kept.join("").trim();
    if (options.withoutLink) out = `${out}${/[.!?]$/.test(out) || out === "" ? " " : ". "}${options.withoutLink}`.trim();
  }
  return out;
}

function substitute(template: string, values: TemplateValues, options: RenderOptions, html: boolean): string {
  const out = html ? escapeHtml : (t: string) => t;
  const parts = fitToValues(template, values, options).split(/(\{[a-zA-Z]+\})/);
  return parts
    .map((part, i) => {
      const match = /^\{([a-zA-Z]+)\}$/.exec(part);
      if (!match) {
        // "{tier} response" with the tier "1-hour response": the word is not said twice.
        const previous = /^\{([a-zA-Z]+)\}$/.exec(parts[i - 1] ?? "");
        const before = previous ? values[previous[1]!] : undefined;
        const lastWord = typeof before === "string" ? /(\w+)\s*$/.exec(before)?.[1] : undefined;
        return out(lastWord ? part.replace(new RegExp(`^\\s+${lastWord}\\b`, "i"), "") : part);
      }
      const value = values[match[1]!];
      if (value === undefined) return out(part);
      if (value === null || value === "") return "";
      const shown = text(value);
      if (html && match[1] === "link" && /^https?:\/\//.test(shown)) return `<a href="${escapeHtml(shown)}">${escapeHtml(shown)}</a>`;
      return out(shown);
    })
    .join("");
}

/**
 * Replaces {name}-style placeholders; unknown ones stay as written. A {link} becomes an anchor. The
 * template itself is the admin's text: escaped too, so it can't inject markup into a ticket. A value
 * that ends with the word the template continues with ("1-hour response" + " response") is not doubled.
 */
export function renderTemplate(template: string, values: TemplateValues, options: RenderOptions = {}): string {
  return substitute(template, values, options, true).split(/\r?\n/).join("<br>");
}

/** The same text without markup (webhook payloads, logs of what was sent). */
export function renderPlain(template: string, values: TemplateValues, options: RenderOptions = {}): string {
  return substitute(template, values, options, false);
}
