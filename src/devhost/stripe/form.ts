/**
 * Stripe's request bodies: form-encoded, nested fields in brackets (`metadata[owner]=org:1`,
 * `line_items[0][price_data][currency]=usd`), as the `stripe` package sends them.
 */
export type FormValue = string | { [key: string]: FormValue };

export function parseStripeForm(text: string): Record<string, FormValue> {
  const root: Record<string, FormValue> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    const path = name.match(/^[^[]+|\[[^\]]*\]/g)?.map((part) => part.replace(/^\[|\]$/g, "")) ?? [name];
    let node: Record<string, FormValue> = root;
    path.forEach((key, i) => {
      if (i === path.length - 1) node[key] = value;
      else {
        const next = node[key];
        node = typeof next === "object" ? next : (node[key] = {});
      }
    });
  }
  return root;
}
