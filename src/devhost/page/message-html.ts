/** The host page's HTML for a message's text: every character escaped, its web links clickable. */

/** Dates and times as the app shows them to agents (src/app/format.ts): "Dec 5, 2026, 9:47 PM" in en-US. */
export const agentDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// An http(s) address up to whitespace or a quote; punctuation that ends a sentence is not part of it.
const LINK = /https?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g;

/** Text with its http(s) addresses as links that open in a new tab; everything else escaped. */
export function messageHtml(text: string): string {
  let html = "";
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    const url = match[0];
    html += `${escapeHtml(text.slice(last, match.index))}<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(url)}</a>`;
    last = match.index + url.length;
  }
  return html + escapeHtml(text.slice(last));
}
