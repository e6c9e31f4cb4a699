import { useId } from "react";
import { Period, type DeskproLookups } from "../../contract/index.js";
import { FieldError, Section } from "../components/common.js";
import { Button } from "../deskpro/ui.js";
import type { ConfigDraft, PlanRuleDraft } from "./draft.js";
import { Field, LabelledSelect, Row, useShownError, withCurrent } from "./form-fields.js";
import { draftEditing, type EditorProps } from "./form-fields.js";

/**
 * The tiers a plan offers, ticked from the tiers above. All ticked is saved as "every tier" (so a
 * tier added later is offered too); the last ticked box can't be unticked. A name no tier has any
 * more (a tier removed or renamed) is listed, ticked, to untick.
 */
function TiersOffered({ tiers, value, onChange, error }: { tiers: ConfigDraft["tiers"]; value: string; onChange: (v: string) => void; error?: string }) {
  const errorId = useId();
  const [shown, left] = useShownError(error);
  const names = tiers.map((t) => t.key.trim()).filter(Boolean);
  const picked = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const all = picked.length === 0;
  const gone = picked.filter((k) => !names.includes(k));
  const isTicked = (k: string) => all || picked.includes(k);
  const toggle = (k: string) => {
    const current = all ? names : picked;
    const next = current.includes(k) ? current.filter((x) => x !== k) : [...current, k];
    onChange(names.every((n) => next.includes(n)) && next.every((n) => names.includes(n)) ? "" : next.join(", "));
  };
  const ticked = [...names, ...gone].filter(isTicked);
  return (
    <fieldset onBlur={left} aria-describedby={errorId} style={{ border: "none", padding: 0, margin: 0, minWidth: 0, gridColumn: "1 / -1" }}>
      <legend style={{ fontSize: 11, padding: 0 }}>Tiers offered{all ? " (all, also ones added later)" : ""}</legend>
      {[...names, ...gone].map((k) => {
        const tier = tiers.find((t) => t.key.trim() === k);
        return (
          <label key={k} style={{ display: "block", fontSize: 12 }}>
            <input
              type="checkbox"
              checked={isTicked(k)}
              disabled={isTicked(k) && ticked.length === 1}
              aria-invalid={gone.includes(k) && !!shown}
              onChange={() => toggle(k)}
            />{" "}
            {tier ? tier.label || k : `${k} (no tier has this name now)`}
          </label>
        );
      })}
      <FieldError id={errorId} message={shown} />
    </fieldset>
  );
}

/**
 * What a plan rule looks at, picked from Deskpro's lists: a field and one of its options, or an
 * SLA. The titles are kept with the rule so the sidebars say it in words. Where Deskpro would not
 * give the list, the id is typed instead.
 */
function RuleFact({
  rule,
  lookups,
  errors,
  onChange,
}: {
  rule: PlanRuleDraft;
  lookups: DeskproLookups | null;
  errors: { field?: string; value?: string };
  onChange: (patch: Partial<PlanRuleDraft>) => void;
}) {
  const listName = rule.type === "sla" ? "slas" : rule.type === "org_field" ? "organizationFields" : "personFields";
  const listed = lookups !== null && !lookups.unavailable.includes(listName);
  if (!listed) {
    return (
      <>
        <Field
          label={rule.type === "sla" ? "SLA id" : "Field id or alias"}
          value={rule.field}
          onChange={(v) => onChange({ field: v, fieldTitle: null })}
          error={errors.field}
        />
        {rule.type !== "sla" && (
          <Field label="Value" value={rule.value} onChange={(v) => onChange({ value: v, valueTitle: null })} error={errors.value} placeholder="Gold" />
        )}
      </>
    );
  }
  if (rule.type === "sla") {
    return (
      <LabelledSelect
        label="SLA"
        value={rule.field}
        onChange={(v) => onChange({ field: v, fieldTitle: lookups.slas.find((s) => String(s.id) === v)?.title ?? null })}
        options={withCurrent(
          [{ value: "", label: "Choose an SLA" }, ...lookups.slas.map((s) => ({ value: String(s.id), label: s.title }))],
          rule.field,
          rule.fieldTitle ?? `SLA ${rule.field}`,
        )}
      />
    );
  }
  const fields = rule.type === "org_field" ? lookups.organizationFields : lookups.personFields;
  const field = fields.find((f) => String(f.id) === rule.field || (f.alias !== null && f.alias === rule.field));
  return (
    <>
      <LabelledSelect
        label={rule.type === "org_field" ? "Organisation field" : "Person field"}
        value={field ? String(field.id) : rule.field}
        onChange={(v) => onChange({ field: v, fieldTitle: fields.find((f) => String(f.id) === v)?.title ?? null, value: "", valueTitle: null })}
        options={withCurrent(
          [{ value: "", label: "Choose a field" }, ...fields.map((f) => ({ value: String(f.id), label: f.title }))],
          rule.field,
          rule.fieldTitle ?? `Field ${rule.field}`,
        )}
      />
      {field && field.choices.length > 0 ? (
        <LabelledSelect
          label="Is"
          value={rule.value}
          onChange={(v) => onChange({ value: v, valueTitle: field.choices.find((c) => String(c.id) === v)?.title ?? null })}
          options={withCurrent(
            [{ value: "", label: "Choose an option" }, ...field.choices.map((c) => ({ value: String(c.id), label: c.title }))],
            rule.value,
            rule.valueTitle ?? rule.value,
          )}
        />
      ) : (
        <Field label="Value" value={rule.value} onChange={(v) => onChange({ value: v, valueTitle: null })} error={errors.value} placeholder="Gold" />
      )}
    </>
  );
}

/** Plans, the default plan and the rules that put banks on them. */
export function PlansSection(props: EditorProps) {
  const { draft, lookups, errors } = props;
  const { update, patch, without, e } = draftEditing(props);
  return (
    <>
      <Section title="Plans">
        {draft.plans.map((p, i) => (
          <Row key={i} label={`Plan ${i + 1}`} onRemove={() => update("plans", without(draft.plans, i))}>
            <Field
              label="Short name (used in reports)"
              value={p.key}
              onChange={(v) => update("plans", patch(draft.plans, i, { key: v }))}
              error={e(`plans.${i}.key`)}
              placeholder="gold"
            />
            <Field label="Name" value={p.name} onChange={(v) => update("plans", patch(draft.plans, i, { name: v }))} error={e(`plans.${i}.name`)} />
            <Field
              label="Credits per period"
              inputMode="numeric"
              value={p.creditsPerPeriod}
              onChange={(v) => update("plans", patch(draft.plans, i, { creditsPerPeriod: v }))}
              error={e(`plans.${i}.creditsPerPeriod`)}
            />
            <LabelledSelect
              label="Period"
              value={p.period}
              onChange={(v) => update("plans", patch(draft.plans, i, { period: Period.parse(v) }))}
              options={Period.options.map((o) => ({ value: o, label: o }))}
            />
            <LabelledSelect
              label="Rollover"
              value={p.rolloverType}
              onChange={(v) => update("plans", patch(draft.plans, i, { rolloverType: v as "none" | "credits" | "percent" }))}
              options={[
                { value: "none", label: "None" },
                { value: "credits", label: "Up to N credits" },
                { value: "percent", label: "Up to N percent" },
              ]}
            />
            {p.rolloverType !== "none" && (
              <Field
                label="Rollover cap"
                inputMode="numeric"
                value={p.rolloverMax}
                onChange={(v) => update("plans", patch(draft.plans, i, { rolloverMax: v }))}
                error={e(`plans.${i}.rollover.max`)}
              />
            )}
            <Field
              label="Grant lifetime (days)"
              inputMode="numeric"
              value={p.grantLifetimeDays}
              onChange={(v) => update("plans", patch(draft.plans, i, { grantLifetimeDays: v }))}
              error={e(`plans.${i}.grantLifetimeDays`)}
              placeholder="end of period"
            />
            <Field
              label="Overdraft limit"
              inputMode="numeric"
              value={p.overdraftLimit}
              onChange={(v) => update("plans", patch(draft.plans, i, { overdraftLimit: v }))}
              error={e(`plans.${i}.overdraftLimit`)}
            />
            <TiersOffered
              tiers={draft.tiers}
              value={p.tiers}
              onChange={(v) => update("plans", patch(draft.plans, i, { tiers: v }))}
              error={Object.entries(errors).find(([k]) => k.startsWith(`plans.${i}.tiers`))?.[1]}
            />
          </Row>
        ))}
        <Button
          intent="secondary"
          size="small"
          text="Add plan"
          onClick={() =>
            update("plans", [
              ...draft.plans,
              {
                key: "",
                name: "",
                creditsPerPeriod: "0",
                period: "month",
                rolloverType: "none",
                rolloverMax: "",
                grantLifetimeDays: "",
                overdraftLimit: "0",
                tiers: "",
                alertLevels: null,
              },
            ])
          }
        />
        <div style={{ marginTop: 8, maxWidth: 300 }}>
          <LabelledSelect
            label="Default plan (banks nobody assigned a plan to)"
            value={draft.defaultPlan}
            onChange={(v) => update("defaultPlan", v)}
            options={[
              { value: "", label: "No plan (no credits, as today)" },
              ...draft.plans.filter((p) => p.key.trim()).map((p) => ({ value: p.key.trim(), label: p.name || p.key })),
            ]}
            error={e("defaultPlan")}
          />
        </div>
      </Section>
      <Section title="Plan rules (first match wins: organisation field, then SLA, then person field)">
        {draft.planRules.map((r, i) => (
          <Row key={i} label={`Rule ${i + 1}`} onRemove={() => update("planRules", without(draft.planRules, i))}>
            <LabelledSelect
              label="When"
              value={r.type}
              onChange={(v) =>
                update("planRules", patch(draft.planRules, i, { type: v as PlanRuleDraft["type"], field: "", value: "", fieldTitle: null, valueTitle: null }))
              }
              options={[
                { value: "org_field", label: "Organisation field is" },
                { value: "sla", label: "SLA applies" },
                { value: "person_field", label: "Person field is (registration choice)" },
              ]}
            />
            <RuleFact
              rule={r}
              lookups={lookups}
              errors={{ field: e(`planRules.${i}.field`), value: e(`planRules.${i}.value`) }}
              onChange={(p) => update("planRules", patch(draft.planRules, i, p))}
            />
            <LabelledSelect
              label="Plan"
              value={r.plan}
              onChange={(v) => update("planRules", patch(draft.planRules, i, { plan: v }))}
              options={[
                { value: "", label: "Choose a plan" },
                ...draft.plans.filter((p) => p.key.trim()).map((p) => ({ value: p.key.trim(), label: p.name || p.key })),
              ]}
              error={e(`planRules.${i}.plan`)}
            />
          </Row>
        ))}
        <Button
          intent="secondary"
          size="small"
          text="Add rule"
          onClick={() => update("planRules", [...draft.planRules, { type: "org_field", field: "", value: "", plan: "", fieldTitle: null, valueTitle: null }])}
        />
      </Section>
    </>
  );
}
