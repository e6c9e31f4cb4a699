import { createContext, forwardRef, useContext, useId, type CSSProperties, type ReactNode, type Ref } from "react";
import type { LowBalanceState } from "../../contract/ledger.js";
import { describeError, type SetupState } from "../api/errors.js";
import { Button, H2, P5, Spinner, Stack, useTheme } from "../deskpro/ui.js";
import { formatCredits } from "../format.js";
import { palette } from "../theme.js";

export function usePalette() {
  return palette(useTheme());
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const colors = usePalette();
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} style={{ padding: "10px 0", borderBottom: `1px solid ${colors.border}` }}>
      <Stack justify="space-between" align="center" style={{ marginBottom: 6 }}>
        <H2 id={headingId}>{title}</H2>
        {actions}
      </Stack>
      {children}
    </section>
  );
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <Stack gap={6} align="center" role="status" aria-live="polite" style={{ padding: 8 }}>
      <Spinner size="small" />
      <P5>{label}</P5>
    </Stack>
  );
}

/**
 * Whether an admin has saved a verified configuration (the sidebars read it from the app's public
 * settings): a refused key before that means "not set up yet", not "refused".
 */
export const SetupContext = createContext<SetupState>({ connected: true });

/** An error in plain words, with a way to try again when that could help. */
export function ErrorNotice({ error, onRetry, context }: { error: unknown; onRetry?: () => void; context?: string }) {
  const colors = usePalette();
  const setup = useContext(SetupContext);
  return (
    <div role="alert" style={{ borderLeft: `3px solid ${colors.depleted}`, padding: "6px 8px", margin: "6px 0", color: colors.text }}>
      <P5 style={{ margin: 0 }}>
        {context ? `${context} ` : ""}
        {describeError(error, setup)}
      </P5>
      {onRetry && <Button intent="secondary" size="small" text="Try again" onClick={onRetry} style={{ marginTop: 6 }} />}
    </div>
  );
}

export function Notice({ tone, children }: { tone: "warning" | "info" | "success"; children: ReactNode }) {
  return (
    <NoticeBox tone={tone} role={tone === "warning" ? "alert" : "status"}>
      {children}
    </NoticeBox>
  );
}

/**
 * The outcome of an action, in a polite live region that is always in the page, so a screen reader
 * reads the message when it appears (a region added together with its text is often not read).
 * With `focusRef`, the message can take focus when the control that was used has gone.
 */
export function StatusMessage({ message, focusRef }: { message: string | null; focusRef?: Ref<HTMLDivElement> }) {
  return (
    <div role="status">
      {message && (
        <NoticeBox tone="success" ref={focusRef} tabIndex={-1}>
          {message}
        </NoticeBox>
      )}
    </div>
  );
}

const NoticeBox = forwardRef<HTMLDivElement, { tone: "warning" | "info" | "success"; role?: string; tabIndex?: number; children: ReactNode }>(
  function NoticeBox({ tone, role, tabIndex, children }, ref) {
    const colors = usePalette();
    const border = tone === "warning" ? colors.low : tone === "success" ? colors.ok : colors.accent;
    return (
      <div ref={ref} role={role} tabIndex={tabIndex} style={{ borderLeft: `3px solid ${border}`, padding: "6px 8px", margin: "6px 0" }}>
        <P5 style={{ margin: 0, color: colors.text }}>{children}</P5>
      </div>
    );
  },
);

/** Key facts in two columns. */
export function Facts({ rows }: { rows: Array<[string, ReactNode]> }) {
  const colors = usePalette();
  return (
    <dl style={{ display: "grid", gridTemplateColumns: "auto 1fr", gap: "2px 10px", margin: "4px 0", fontSize: 12 }}>
      {rows.map(([label, value]) => (
        <div key={label} style={{ display: "contents" }}>
          <dt style={{ color: colors.muted }}>{label}</dt>
          <dd style={{ margin: 0, color: colors.text }}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

const STATE_WORDS: Record<LowBalanceState, string> = { ok: "", low: "Running low", depleted: "Empty" };

/**
 * The balance and how full the bank is. Amber when the ledger says the balance is low, red
 * when it is depleted (the ledger decides, from the plan's alert levels).
 */
export function BalanceMeter({ balance, state, threshold, capacity }: { balance: number; state: LowBalanceState; threshold: number | null; capacity: number }) {
  const colors = usePalette();
  const max = Math.max(capacity, balance, (threshold ?? 0) * 4, 1);
  const share = Math.min(1, Math.max(0, balance / max));
  const fill = state === "depleted" ? colors.depleted : state === "low" ? colors.low : colors.ok;
  const stateText = state === "depleted" ? colors.depletedText : colors.lowText;
  const words = STATE_WORDS[state];
  const bar: CSSProperties = { height: 8, borderRadius: 4, background: colors.track, overflow: "hidden", marginTop: 4 };
  return (
    <div data-state={state}>
      <Stack justify="space-between" align="baseline">
        <span style={{ fontSize: 22, fontWeight: 600, color: state === "ok" ? colors.text : stateText }} data-testid="balance">
          {formatCredits(balance)}
        </span>
        <span style={{ fontSize: 12, color: words ? stateText : colors.muted, fontWeight: words ? 600 : 400 }}>{words || "credits"}</span>
      </Stack>
      <div
        role="meter"
        aria-label="Credits left"
        aria-valuemin={0}
        aria-valuemax={max}
        aria-valuenow={Math.max(0, balance)}
        aria-valuetext={`${formatCredits(balance)} credits${words ? `, ${words.toLowerCase()}` : ""}`}
        style={bar}
      >
        <div style={{ width: `${share * 100}%`, height: "100%", background: fill, transition: "width 200ms" }} />
      </div>
    </div>
  );
}

/** A native select styled to sit with the kit's inputs (the kit's dropdown is heavy). */
export function Select({
  id,
  value,
  onChange,
  options,
  disabled,
  "aria-label": ariaLabel,
  invalid,
  describedBy,
}: {
  id?: string;
  value: string;
  onChange: (value: string) => void;
  options: Array<{ value: string; label: string }>;
  disabled?: boolean;
  "aria-label"?: string;
  invalid?: boolean;
  describedBy?: string;
}) {
  const colors = usePalette();
  return (
    <select
      id={id}
      value={value}
      disabled={disabled}
      aria-label={ariaLabel}
      aria-invalid={invalid || undefined}
      aria-describedby={describedBy}
      onChange={(e) => onChange(e.target.value)}
      style={{
        width: "100%",
        padding: "5px 6px",
        borderRadius: 3,
        border: `1px solid ${invalid ? colors.depleted : colors.border}`,
        background: colors.background,
        color: colors.text,
        fontSize: 12,
      }}
    >
      {options.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
    </select>
  );
}

/**
 * A field's error, named by the field's aria-describedby. Always in the page, so that reference
 * never points at nothing, and a polite live region, so an error is read out when it appears.
 */
export function FieldError({ id, message }: { id: string; message: string | null | undefined }) {
  const colors = usePalette();
  return (
    <span id={id} aria-live="polite" style={{ display: "block", color: colors.depletedText, fontSize: 11, marginTop: message ? 2 : 0 }}>
      {message ?? ""}
    </span>
  );
}

/**
 * A small label beside a value ("Expires in 4 days"), in sentence case as written (the kit's Pill
 * capitalises every word). At least 11 px, with text that keeps AA contrast on its background.
 */
export function Tag({ children, tone = "neutral" }: { children: ReactNode; tone?: "neutral" | "warning" }) {
  const colors = usePalette();
  const warning = tone === "warning";
  return (
    <span
      style={{
        display: "inline-block",
        fontSize: 11,
        lineHeight: "16px",
        padding: "0 6px",
        borderRadius: 8,
        whiteSpace: "nowrap",
        background: warning ? colors.warningBackground : colors.track,
        color: warning ? colors.warningText : colors.text,
      }}
    >
      {children}
    </span>
  );
}
