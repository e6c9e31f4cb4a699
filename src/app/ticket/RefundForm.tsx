import { useId, useRef, useState, type ChangeEvent } from "react";
import type { Entry } from "../../contract/ledger.js";
import { ErrorNotice, FieldError } from "../components/common.js";
import { Button, Stack } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";
import { formatCredits } from "../format.js";

/**
 * The refund's form, loaded when an agent opens it: a reason, then the refund. The write itself
 * belongs to RefundControl, which outlives the form (the form goes as the refund shows), so that
 * what happened is said and focused after it.
 */
export function RefundForm({
  entry,
  refund,
  onClose,
}: {
  entry: Entry;
  refund: { submit: (reason: string) => void; isPending: boolean; error: unknown };
  onClose: () => void;
}) {
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const reasonRef = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const errorId = useId();
  const close = onClose;
  const reasonError = reason.trim() === "" ? "Say why you are refunding this." : null;
  const send = () => {
    setTouched(true);
    if (reasonError) {
      reasonRef.current?.focus();
      return;
    }
    refund.submit(reason.trim());
  };
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape" && !refund.isPending) close();
      }}
      style={{ marginTop: 4 }}
    >
      <label htmlFor={inputId} style={{ fontSize: 11 }}>
        Reason for the refund
      </label>
      <Input
        ref={reasonRef}
        id={inputId}
        value={reason}
        onChange={(e: ChangeEvent<HTMLInputElement>) => setReason(e.target.value)}
        error={touched && reasonError !== null}
        aria-invalid={touched && reasonError !== null}
        aria-describedby={errorId}
        aria-required="true"
        autoFocus
      />
      <FieldError id={errorId} message={touched ? reasonError : null} />
      {refund.error != null && <ErrorNotice error={refund.error} />}
      <Stack gap={6} style={{ marginTop: 4 }}>
        <Button type="submit" size="small" text={`Refund ${formatCredits(-entry.amount)} credits`} loading={refund.isPending} disabled={refund.isPending} />
        <Button intent="secondary" size="small" text="Cancel" onClick={close} disabled={refund.isPending} />
      </Stack>
    </form>
  );
}
