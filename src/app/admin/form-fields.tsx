/** The configuration editor's fields: labelled inputs and selects whose messages wait until the admin leaves them or presses Save, and removable rows. */
import { createContext, useContext, useId, useState, type ChangeEvent, type ReactNode } from "react";
import type { DeskproLookups } from "../../contract/index.js";
import { FieldError, Select, usePalette } from "../components/common.js";
import { Button, P5 } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";
import type { ConfigDraft, FieldErrors } from "./draft.js";

/**
 * Whether every field's message shows: after Save was pressed with something wrong. Before that a
 * field's message shows once the admin has left the field, so a new row doesn't open in red.
 */
export const RevealErrors = createContext(false);

export function useShownError(error: string | undefined): [string | undefined, () => void] {
  const [left, setLeft] = useState(false);
  const reveal = useContext(RevealErrors);
  return [left || reveal ? error : undefined, () => setLeft(true)];
}

/** What every part of the configuration editor gets: the draft, its messages and Deskpro's lists. */
export interface EditorProps {
  draft: ConfigDraft;
  errors: FieldErrors;
  lookups: DeskproLookups | null;
  onChange: (d: ConfigDraft) => void;
}

/** Changing one list or value of the draft. */
export function draftEditing({ draft, errors, onChange }: EditorProps) {
  const update = <K extends keyof ConfigDraft>(key: K, value: ConfigDraft[K]) => onChange({ ...draft, [key]: value });
  const patch = <T,>(list: T[], i: number, p: Partial<T>): T[] => list.map((item, j) => (j === i ? { ...item, ...p } : item));
  const without = <T,>(list: T[], i: number): T[] => list.filter((_, j) => j !== i);
  const e = (path: string) => errors[path];
  return { update, patch, without, e };
}

export function Field({
  label,
  value,
  onChange,
  error,
  inputMode,
  placeholder,
  hint,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  inputMode?: "numeric" | "text";
  placeholder?: string;
  /** A line under the field, read with it (what the value means). */
  hint?: string;
}) {
  const id = useId();
  const errorId = useId();
  const hintId = useId();
  const [shown, left] = useShownError(error);
  return (
    <div style={{ minWidth: 0 }} onBlur={left}>
      <label htmlFor={id} style={{ fontSize: 11, display: "block" }}>
        {label}
      </label>
      <Input
        id={id}
        value={value}
        inputMode={inputMode ?? "text"}
        placeholder={placeholder}
        onChange={(e: ChangeEvent<HTMLInputElement>) => onChange(e.target.value)}
        error={!!shown}
        aria-invalid={!!shown}
        aria-describedby={hint ? `${hintId} ${errorId}` : errorId}
      />
      {hint ? (
        <P5 id={hintId} style={{ margin: "2px 0 0" }}>
          {hint}
        </P5>
      ) : null}
      <FieldError id={errorId} message={shown} />
    </div>
  );
}

export const grid = { display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(130px, 1fr))", gap: 8, alignItems: "start" } as const;

export function Row({ children, onRemove, label }: { children: ReactNode; onRemove: () => void; label: string }) {
  const colors = usePalette();
  return (
    <fieldset style={{ border: `1px solid ${colors.border}`, borderRadius: 4, padding: 8, margin: "0 0 8px" }}>
      <legend style={{ fontSize: 12, padding: "0 4px" }}>{label}</legend>
      <div style={grid}>{children}</div>
      <Button
        intent="minimal"
        size="small"
        text={`Remove ${label.toLowerCase()}`}
        onClick={(e: React.MouseEvent<HTMLButtonElement>) => removeKeepingFocus(e.currentTarget, onRemove)}
        style={{ marginTop: 4 }}
      />
    </fieldset>
  );
}

/** The row goes with its button: focus moves to the first field of the row now in its place (or the one before), else to the list's Add button. */
export function removeKeepingFocus(button: HTMLElement, remove: () => void) {
  const row = button.closest("fieldset");
  const list = row?.parentElement;
  const index = list ? [...list.querySelectorAll(":scope > fieldset")].indexOf(row!) : -1;
  remove();
  setTimeout(() => {
    if (!list) return;
    const rows = list.querySelectorAll(":scope > fieldset");
    const next = rows[Math.min(index, rows.length - 1)];
    (next ? next.querySelector<HTMLElement>("input, select, button") : list.querySelector<HTMLElement>(":scope > button"))?.focus();
  }, 0);
}

export function LabelledSelect({
  label,
  value,
  onChange,
  options,
  error,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: Array<{ value: string; label: string }>;
  error?: string;
}) {
  const id = useId();
  const errorId = useId();
  const [shown, left] = useShownError(error);
  return (
    <div onBlur={left}>
      <label htmlFor={id} style={{ fontSize: 11, display: "block" }}>
        {label}
      </label>
      <Select id={id} value={value} onChange={onChange} options={options} invalid={!!shown} describedBy={error !== undefined ? errorId : undefined} />
      {error !== undefined && <FieldError id={errorId} message={shown} />}
    </div>
  );
}

/** A list's options, plus the current value when the list no longer has it (typed earlier, or gone from Deskpro). */
export function withCurrent(options: Array<{ value: string; label: string }>, current: string, label: string) {
  return current === "" || options.some((o) => o.value === current) ? options : [...options, { value: current, label }];
}
