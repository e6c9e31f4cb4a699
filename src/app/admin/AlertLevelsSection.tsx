import { Section } from "../components/common.js";
import { Button } from "../deskpro/ui.js";
import { Field, LabelledSelect, Row } from "./form-fields.js";
import { draftEditing, type EditorProps } from "./form-fields.js";

/** The helpdesk-wide low-balance levels and the expiry warning. */
export function AlertLevelsSection(props: EditorProps) {
  const { draft } = props;
  const { update, patch, without, e } = draftEditing(props);
  return (
    <Section title="Low-balance alerts">
      {draft.alerts.map((a, i) => (
        <Row key={i} label={`Level ${i + 1}`} onRemove={() => update("alerts", without(draft.alerts, i))}>
          <LabelledSelect
            label="Kind"
            value={a.type}
            onChange={(v) => update("alerts", patch(draft.alerts, i, { type: v as "credits" | "percent" }))}
            options={[
              { value: "credits", label: "Credits left" },
              { value: "percent", label: "Percent of the plan's allocation" },
            ]}
          />
          <Field
            label={a.type === "credits" ? "Credits" : "Percent"}
            inputMode="numeric"
            value={a.value}
            onChange={(v) => update("alerts", patch(draft.alerts, i, { value: v }))}
            error={e(`alerts.levels.${i}.value`)}
          />
        </Row>
      ))}
      <Button intent="secondary" size="small" text="Add alert level" onClick={() => update("alerts", [...draft.alerts, { type: "credits", value: "" }])} />
      <div style={{ marginTop: 8 }}>
        <Field
          label="Warn this many days before credits expire (0: never)"
          inputMode="numeric"
          value={draft.expiringDays}
          onChange={(v) => update("expiringDays", v)}
          error={e("alerts.expiringDays")}
        />
      </div>
    </Section>
  );
}
