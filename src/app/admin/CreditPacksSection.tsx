import { formatMoney } from "../../ledger/domain/currency.js";
import { Section } from "../components/common.js";
import { Button } from "../deskpro/ui.js";
import { Field, Row } from "./form-fields.js";
import { draftEditing, type EditorProps } from "./form-fields.js";

/** What a pack's price in the currency's smallest unit comes to ("¥5,000", "$250.00"), while it is a whole number and a code. */
function priceHint(price: string, currency: string): string | undefined {
  const code = currency.trim().toLowerCase();
  if (!/^\d{1,9}$/.test(price.trim()) || !/^[a-z]{3}$/.test(code)) return undefined;
  return `Customers pay ${formatMoney(Number(price.trim()), code)}`;
}

/** What the other prices come to ("Also €220.00 · ¥35,000"), while each is a code and a whole number. */
function otherPricesHint(text: string): string | undefined {
  const items = text
    .split(/[,;\n]+/)
    .map((t) => t.trim())
    .filter(Boolean);
  const parsed = items.map((item) => /^([A-Za-z]{3})\s*[: ]\s*(\d{1,9})$/.exec(item));
  if (items.length === 0 || parsed.some((m) => m === null)) return undefined;
  return `Customers who choose them pay ${parsed.map((m) => formatMoney(Number(m![2]), m![1]!.toLowerCase())).join(" · ")}`;
}

/** The first problem with anything under `path` (the prices list, or one of its prices). */
const firstError = (errors: EditorProps["errors"], path: string): string | undefined =>
  Object.entries(errors).find(([key]) => key === path || key.startsWith(`${path}.`))?.[1];

/** Credit packs customers buy by card, each in one or more currencies. */
export function CreditPacksSection(props: EditorProps) {
  const { draft } = props;
  const { update, patch, without, e } = draftEditing(props);
  return (
    <Section title="Credit packs (card purchases)">
      {draft.packs.map((p, i) => (
        <Row key={i} label={`Pack ${i + 1}`} onRemove={() => update("packs", without(draft.packs, i))}>
          <Field
            label="Id"
            value={p.id}
            onChange={(v) => update("packs", patch(draft.packs, i, { id: v }))}
            error={e(`packs.${i}.id`)}
            placeholder="pack-500"
          />
          <Field label="Label" value={p.label} onChange={(v) => update("packs", patch(draft.packs, i, { label: v }))} error={e(`packs.${i}.label`)} />
          <Field
            label="Credits"
            inputMode="numeric"
            value={p.credits}
            onChange={(v) => update("packs", patch(draft.packs, i, { credits: v }))}
            error={e(`packs.${i}.credits`)}
          />
          <Field
            label="Price (smallest unit)"
            inputMode="numeric"
            value={p.price}
            onChange={(v) => update("packs", patch(draft.packs, i, { price: v }))}
            error={e(`packs.${i}.price`)}
            hint={priceHint(p.price, p.currency)}
          />
          <Field
            label="Currency"
            value={p.currency}
            onChange={(v) => update("packs", patch(draft.packs, i, { currency: v }))}
            error={e(`packs.${i}.currency`)}
            placeholder="usd"
          />
          <Field
            label="Prices in other currencies"
            value={p.otherPrices}
            onChange={(v) => update("packs", patch(draft.packs, i, { otherPrices: v }))}
            error={firstError(props.errors, `packs.${i}.prices`)}
            placeholder="eur 22000, gbp 19000"
            hint={otherPricesHint(p.otherPrices)}
          />
        </Row>
      ))}
      <Button
        intent="secondary"
        size="small"
        text="Add pack"
        onClick={() => update("packs", [...draft.packs, { id: "", label: "", credits: "", price: "", currency: "usd", otherPrices: "" }])}
      />
    </Section>
  );
}
