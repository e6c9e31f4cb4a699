import { Section } from "../components/common.js";
import { Button } from "../deskpro/ui.js";
import { Field, LabelledSelect, Row, withCurrent } from "./form-fields.js";
import { shortNameFrom } from "./draft.js";
import { draftEditing, type EditorProps } from "./form-fields.js";

/** Response tiers: what each costs, its response target and the Deskpro priority it sets. */
export function ResponseTiersSection(props: EditorProps) {
  const { draft, lookups } = props;
  const { update, patch, without, e } = draftEditing(props);
  return (
    <Section title="Response tiers">
      {draft.tiers.map((t, i) => (
        <Row key={i} label={`Tier ${i + 1}`} onRemove={() => update("tiers", without(draft.tiers, i))}>
          <Field
            label="Short name (used in reports)"
            value={t.key}
            onChange={(v) => update("tiers", patch(draft.tiers, i, { key: v, keyFromLabel: false }))}
            error={e(`tiers.${i}.key`)}
            placeholder="1-hour"
          />
          <Field
            label="Label (shown to customers)"
            value={t.label}
            onChange={(v) => update("tiers", patch(draft.tiers, i, t.keyFromLabel ? { label: v, key: shortNameFrom(v) } : { label: v }))}
            error={e(`tiers.${i}.label`)}
          />
          <Field
            label="Price (credits)"
            inputMode="numeric"
            value={t.price}
            onChange={(v) => update("tiers", patch(draft.tiers, i, { price: v }))}
            error={e(`tiers.${i}.price`)}
          />
          <Field
            label="Response target (minutes)"
            inputMode="numeric"
            value={t.responseMinutes}
            onChange={(v) => update("tiers", patch(draft.tiers, i, { responseMinutes: v }))}
            error={e(`tiers.${i}.responseMinutes`)}
            placeholder="none"
          />
          {lookups && lookups.priorities.length > 0 ? (
            <LabelledSelect
              label="Deskpro priority"
              value={t.deskproPriorityId}
              onChange={(v) => update("tiers", patch(draft.tiers, i, { deskproPriorityId: v }))}
              options={withCurrent(
                [{ value: "", label: "Leave alone" }, ...lookups.priorities.map((p) => ({ value: String(p.id), label: p.title }))],
                t.deskproPriorityId,
                `Priority ${t.deskproPriorityId}`,
              )}
            />
          ) : (
            <Field
              label="Deskpro priority id"
              inputMode="numeric"
              value={t.deskproPriorityId}
              onChange={(v) => update("tiers", patch(draft.tiers, i, { deskproPriorityId: v }))}
              error={e(`tiers.${i}.deskproPriorityId`)}
              placeholder="leave alone"
            />
          )}
        </Row>
      ))}
      <Button
        intent="secondary"
        size="small"
        text="Add tier"
        onClick={() => update("tiers", [...draft.tiers, { key: "", keyFromLabel: true, label: "", responseMinutes: "", price: "0", deskproPriorityId: "" }])}
      />
    </Section>
  );
}
