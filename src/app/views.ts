/**
 * Each sidebar is a chunk of its own. A target's entrypoint names its view in the hash
 * (manifest.json: `index.html#/ticket`, `#/person`, `#/organisation`), so its chunk starts loading
 * with the page, beside the SDK's handshake with Deskpro; without a hash it loads once Deskpro's
 * context names the view. A load that failed is tried afresh next time.
 */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = null;
      throw error;
    });
    return loading;
  };
}

export const loadTicketSidebar = once(() => import("./ticket/TicketSidebar.js").then((m) => m.TicketSidebar));
export const loadBankSidebar = once(() => import("./bank/BankSidebar.js").then((m) => m.BankSidebar));

/** Starts loading the view the page's hash names, if it names one. */
export function loadViewNamedIn(hash: string): void {
  if (hash === "#/ticket") void loadTicketSidebar().catch(() => undefined);
  else if (hash === "#/person" || hash === "#/organisation") void loadBankSidebar().catch(() => undefined);
}
