import { useId, useRef, useState, type ChangeEvent } from "react";
import type { Entry } from "../../contract/index.js";
import { useLedgerWrite } from "../api/hooks.js";
import { ErrorNotice, FieldError } from "../components/common.js";
import { Button, Stack } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";
import { formatCredits } from "../format.js";

/** The refund's form, loaded when an agent opens it: a reason, then the refund. */
export function RefundForm({
  entry,
  agent,
  onClose,
  onRefunded,
}: {
  entry: Entry;
  agent: string | null;
  onClose: () => void;
  onRefunded: (outcome: string) => void;
}) {
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const reasonRef = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const errorId = useId();
  const refund = useLedgerWrite((api, body: { entryId: string; reason: string; agent?: string }, key) =>
    api.reverse(body.entryId, { reason: body.reason, ...(body.agent ? { agent: body.agent } : {}) }, key),
  );
  const close = onClose;
  const reasonError = reason.trim() === "" ? "Say why you are refunding this." : null;
  const send = () => {
    setTouched(true);
    if (reasonError) {
      reasonRef.current?.focus();
      return;
    }
    refund.submit(
      { entryId: entry.id, reason: reason.trim(), ...(agent ? { agent } : {}) },
      { onSuccess: () => onRefunded(`Refunded ${formatCredits(-entry.amount)} credits to the bank.`) },
    );
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
      {refund.error && <ErrorNotice error={refund.error} />}
      <Stack gap={6} style={{ marginTop: 4 }}>
        <Button type="submit" size="small" text={`Refund ${formatCredits(-entry.amount)} credits`} loading={refund.isPending} disabled={refund.isPending} />
        <Button intent="secondary" size="small" text="Cancel" onClick={close} disabled={refund.isPending} />
      </Stack>
    </form>
  );
}
