import { useEffect, useId, useRef, useState, type ChangeEvent } from "react";
import { MAX_MINUTES_PER_WRITE, type QuoteRequest } from "../../contract/ledger.js";
import { useLedgerWrite, useQuote } from "../api/hooks.js";
import { ErrorNotice, FieldError, Notice, StatusMessage, usePalette } from "../components/common.js";
import { useDebounced } from "../components/useDebounced.js";
import { Button, Stack } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";
import { formatCredits, formatElapsed, formatMinutes } from "../format.js";
import { useTicketTimer } from "./timer.js";

type Mode = "timer" | "manual";

function parseMinutes(text: string): { minutes: number | null; error: string | null } {
  const trimmed = text.trim();
  if (trimmed === "") return { minutes: null, error: "Enter the minutes worked." };
  if (!/^\d+$/.test(trimmed)) return { minutes: null, error: "Use whole minutes, e.g. 25." };
  const minutes = Number(trimmed);
  if (minutes < 1) return { minutes: null, error: "Log at least 1 minute." };
  if (minutes > MAX_MINUTES_PER_WRITE) return { minutes: null, error: `At most ${formatCredits(MAX_MINUTES_PER_WRITE)} minutes at a time.` };
  return { minutes, error: null };
}

/**
 * Log time against the paying bank: from a timer or typed in. The ledger prices it (rate and
 * per-ticket rounding) through its quote endpoint before anything is written, and, with the
 * Billing & Time Log link on, writes it to the ticket's Billing tab in Deskpro as well.
 */
export function LogTime({ owner, ticketId, agent, toDeskpro = false }: { owner: string; ticketId: string; agent: string | null; toDeskpro?: boolean }) {
  const colors = usePalette();
  const [mode, setMode] = useState<Mode>("manual");
  const [minutesText, setMinutesText] = useState("");
  const [note, setNote] = useState("");
  const [touched, setTouched] = useState(false);
  const [fromTimer, setFromTimer] = useState(false);
  const [lastResult, setLastResult] = useState<string | null>(null);
  const timer = useTicketTimer(ticketId);
  const minutesRef = useRef<HTMLInputElement>(null);
  const startRef = useRef<HTMLButtonElement>(null);
  const minutesId = useId();
  const minutesErrorId = useId();
  const noteId = useId();

  // Once the saved timer is read, open where the agent left it: on Manual with the minutes "Use this
  // time" moved there (not logged yet), on Timer while it holds time, else on Manual.
  const restored = useRef(false);
  useEffect(() => {
    if (!timer.loaded || restored.current) return;
    restored.current = true;
    if (timer.movedMinutes !== null) {
      setMinutesText((typed) => (typed === "" ? String(timer.movedMinutes) : typed));
      setFromTimer(true);
    } else if (timer.hasTime) setMode("timer");
  }, [timer.loaded, timer.movedMinutes, timer.hasTime]);

  const { minutes, error: minutesError } = parseMinutes(minutesText);
  const debouncedMinutes = useDebounced(minutes, 300);
  const quoteRequest: QuoteRequest | null = debouncedMinutes !== null ? { kind: "time", minutes: debouncedMinutes, ticketId } : null;
  const quote = useQuote(owner, quoteRequest);
  const quoteIsCurrent = quote.data !== undefined && debouncedMinutes === minutes && !quote.isPlaceholderData;

  const log = useLedgerWrite((api, body: { kind: "time" | "unbilled"; minutes: number; reason?: string; agent?: string }, key) =>
    api.debit(
      owner,
      {
        kind: body.kind,
        ticketId,
        minutes: body.minutes,
        ...(body.reason ? { reason: body.reason } : {}),
        ...(body.agent ? { agent: body.agent } : {}),
      },
      key,
    ),
  );

  const insufficient = quoteIsCurrent && quote.data?.insufficient === true;
  const overdraft = quoteIsCurrent && quote.data && !quote.data.insufficient ? quote.data.overdraft : 0;
  // Shown and announced once the field has been used or a save was tried; aria-invalid says the same.
  const shownMinutesError = touched || minutesText !== "" ? minutesError : null;

  /** Charged time, or (when the bank can't pay) time recorded as unbilled: on the statement, not charged. */
  const save = (kind: "time" | "unbilled" = "time") => {
    setTouched(true);
    setLastResult(null);
    if (minutes === null) {
      // The error appears under the field (a live region reads it) and focus goes to the field.
      minutesRef.current?.focus();
      return;
    }
    if (kind === "time" && insufficient) return;
    const reason = note.trim();
    log.submit(
      { kind, minutes, ...(reason ? { reason } : {}), ...(agent ? { agent } : {}) },
      {
        onSuccess: (result) => {
          setLastResult(
            kind === "unbilled"
              ? `Recorded ${formatMinutes(minutes)} as unbilled: nothing charged, and it's on the statement for admins to see.`
              : result.entry.amount === 0
                ? // The ticket's billed total had already been rounded up past these minutes.
                  `Logged ${formatMinutes(minutes)}: within the ticket's rounding step, so nothing was charged. Balance still ${formatCredits(result.balance)}.`
                : `Logged ${formatMinutes(minutes)}: ${formatCredits(-result.entry.amount)} credits charged${
                    result.balance < 0 ? ` (the bank is ${formatCredits(-result.balance)} into its overdraft)` : ""
                  }. Balance now ${formatCredits(result.balance)}.${toDeskpro ? " It goes into Deskpro's time log too." : ""}`,
          );
          setMinutesText("");
          setNote("");
          setTouched(false);
          if (fromTimer) {
            void timer.reset();
            setFromTimer(false);
          }
        },
      },
    );
  };

  const useTimerTime = () => {
    const timed = Math.max(1, Math.ceil(timer.elapsedMs / 60_000));
    // Saved with the timer, so a reload opens on Manual with these minutes instead of offering them again.
    void timer.moveToManual(timed);
    setMinutesText(String(timed));
    setFromTimer(true);
    setMode("manual");
    // The timer's buttons go away with its panel: focus moves to the minutes it filled in.
    setTimeout(() => minutesRef.current?.focus(), 0);
  };

  const discard = async () => {
    await timer.reset();
    if (fromTimer) {
      setMinutesText("");
      setFromTimer(false);
    }
    // "Discard" turns off with nothing left to discard: focus goes to Start.
    startRef.current?.focus();
  };

  const takeBack = async () => {
    await timer.takeBack();
    if (fromTimer) {
      setMinutesText("");
      setFromTimer(false);
    }
    startRef.current?.focus();
  };

  const tab = (value: Mode, label: string) => (
    <Button intent={mode === value ? "primary" : "secondary"} size="small" text={label} aria-pressed={mode === value} onClick={() => setMode(value)} />
  );

  return (
    <div>
      <Stack gap={6} role="group" aria-label="How to log time" style={{ marginBottom: 8 }}>
        {tab("timer", "Timer")}
        {tab("manual", "Manual")}
      </Stack>

      {mode === "timer" && (
        <div>
          <div aria-live="off" data-testid="timer" style={{ fontSize: 22, fontVariantNumeric: "tabular-nums", color: colors.text }}>
            {timer.loaded ? formatElapsed(timer.elapsedMs) : "--:--:--"}
          </div>
          {timer.movedMinutes !== null && (
            <p data-testid="timer-moved" style={{ margin: "4px 0 0", color: colors.text }}>
              {formatMinutes(timer.movedMinutes)} moved to Manual, not logged yet.
            </p>
          )}
          <Stack gap={6} style={{ marginTop: 6 }} wrap="wrap">
            {timer.movedMinutes !== null ? (
              <Button ref={startRef} size="small" text="Back to the timer" onClick={() => void takeBack()} />
            ) : timer.running ? (
              <Button ref={startRef} size="small" text="Pause" onClick={() => void timer.pause()} />
            ) : (
              <Button ref={startRef} size="small" text={timer.hasTime ? "Resume" : "Start"} onClick={() => void timer.start()} disabled={!timer.loaded} />
            )}
            <Button size="small" intent="secondary" text="Use this time" onClick={useTimerTime} disabled={!timer.hasTime} />
            <Button size="small" intent="minimal" text="Discard" onClick={() => void discard()} disabled={!timer.hasTime && timer.movedMinutes === null} />
          </Stack>
          {timer.saveError && <Notice tone="warning">{timer.saveError}</Notice>}
        </div>
      )}

      {mode === "manual" && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <label htmlFor={minutesId} style={{ fontSize: 12 }}>
            Minutes worked
          </label>
          <Input
            ref={minutesRef}
            id={minutesId}
            inputMode="numeric"
            value={minutesText}
            onChange={(e: ChangeEvent<HTMLInputElement>) => {
              setMinutesText(e.target.value);
              setLastResult(null);
            }}
            error={shownMinutesError !== null}
            aria-invalid={shownMinutesError !== null}
            aria-describedby={minutesErrorId}
          />
          <FieldError id={minutesErrorId} message={shownMinutesError} />
          <label htmlFor={noteId} style={{ fontSize: 12, display: "block", marginTop: 6 }}>
            Note (optional)
          </label>
          <Input id={noteId} value={note} onChange={(e: ChangeEvent<HTMLInputElement>) => setNote(e.target.value)} maxLength={500} />

          <div aria-live="polite" style={{ minHeight: 18, marginTop: 6, fontSize: 12, color: colors.text }} data-testid="time-preview">
            {minutes !== null && quote.isFetching && !quoteIsCurrent && "Pricing…"}
            {minutes !== null && quoteIsCurrent && quote.data && (
              <>
                <strong>
                  {formatMinutes(minutes)} → {formatCredits(quote.data.amount)} credits · balance after {formatCredits(quote.data.balanceAfter)}
                </strong>
                {quote.data.billedMinutesBefore !== null && quote.data.billedMinutesAfter !== null && (
                  <span style={{ display: "block", color: colors.muted }}>
                    Ticket billed {formatMinutes(quote.data.billedMinutesBefore)} → {formatMinutes(quote.data.billedMinutesAfter)} (rounded on the ticket's
                    total)
                  </span>
                )}
              </>
            )}
          </div>
          {quote.error && minutes !== null && <ErrorNotice error={quote.error} context="Couldn't price this." />}
          {insufficient && quote.data && (
            <Notice tone="warning">
              This would overdraw the bank: it has {formatCredits(quote.data.balance)} credits and this needs {formatCredits(quote.data.amount)}. Add credits
              first, or record the time as unbilled (kept on the ticket and the statement, not charged).
            </Notice>
          )}
          {overdraft > 0 && quote.data && (
            <Notice tone="info">
              {formatCredits(overdraft)} of these credits come from the plan's overdraft: the balance goes to {formatCredits(quote.data.balanceAfter)}.
            </Notice>
          )}
          {log.error && <ErrorNotice error={log.error} context="Nothing was charged." />}
          <StatusMessage message={lastResult} />
          <Stack gap={6} wrap="wrap" style={{ marginTop: 6 }}>
            {/* Not disabled while the minutes are missing or wrong: pressing it (or Enter) says what to fix. */}
            <Button type="submit" text={minutes !== null ? `Log ${formatMinutes(minutes)}` : "Log time"} loading={log.isPending} disabled={insufficient} />
            {insufficient && minutes !== null && (
              <Button
                intent="secondary"
                text={`Record ${formatMinutes(minutes)} as unbilled`}
                loading={log.isPending}
                disabled={log.isPending}
                onClick={() => save("unbilled")}
              />
            )}
          </Stack>
        </form>
      )}
    </div>
  );
}
