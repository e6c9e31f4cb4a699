import { Section } from "../components/common.js";
import { P5 } from "../deskpro/ui.js";
import { Field, grid } from "./form-fields.js";
import { draftEditing, type EditorProps } from "./form-fields.js";

/** The time rate and rounding: what logged time costs. */
export function TimeLogSection(props: EditorProps) {
  const { draft } = props;
  const { update, e } = draftEditing(props);
  return (
    <Section title="Time rate and rounding">
      <P5 style={{ margin: "0 0 6px" }}>Credits per block of minutes, charged on each ticket's total rounded up to the increment (never per entry).</P5>
      <div style={grid}>
        <Field
          label="Credits"
          inputMode="numeric"
          value={draft.time.credits}
          onChange={(v) => update("time", { ...draft.time, credits: v })}
          error={e("time.credits")}
        />
        <Field
          label="Per minutes"
          inputMode="numeric"
          value={draft.time.perMinutes}
          onChange={(v) => update("time", { ...draft.time, perMinutes: v })}
          error={e("time.perMinutes")}
        />
        <Field
          label="Round up to (minutes)"
          inputMode="numeric"
          value={draft.time.incrementMinutes}
          onChange={(v) => update("time", { ...draft.time, incrementMinutes: v })}
          error={e("time.incrementMinutes")}
        />
        <Field
          label="Minimum per ticket (minutes)"
          inputMode="numeric"
          value={draft.time.minimumMinutes}
          onChange={(v) => update("time", { ...draft.time, minimumMinutes: v })}
          error={e("time.minimumMinutes")}
        />
      </div>
    </Section>
  );
}
