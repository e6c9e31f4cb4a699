import { useEffect, useId, useRef, useState, type ChangeEvent } from "react";
import { useLedgerWrite } from "../api/hooks.js";
import { ErrorNotice, FieldError, Select, StatusMessage } from "../components/common.js";
import { focusFirstInvalid } from "../components/focus.js";
import { Button, Stack } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";
import { bankName, type TicketTarget } from "./bank-name.js";

/** An explicit, recorded change of the bank that pays for this ticket; charges already made stay where they are. */
export function ChangePayer({ target, current }: { target: TicketTarget; current: string }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [touched, setTouched] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const ids = { bank: useId(), reason: useId(), reasonErr: useId() };
  // Closing the form (Cancel, Escape or a change made) puts focus back on "Change who pays…".
  const openerRef = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);
  const orgs = [target.ticketOrg, target.personOrg].flatMap((o) => (o ? [`org:${o.id}`] : []));
  const candidates = [...new Set([`person:${target.personId}`, ...orgs])].filter((o) => o !== current);
  const [choice, setChoice] = useState(candidates[0] ?? "");
  const change = useLedgerWrite((api, body: { owner: string; reason: string; agent?: string }, key) => api.changePayer(target.ticketId, body, key));
  useEffect(() => {
    if (!open && returnFocus.current) openerRef.current?.focus();
    returnFocus.current = false;
  }, [open]);
  if (candidates.length === 0) return null;
  const close = () => {
    returnFocus.current = true;
    setOpen(false);
  };
  const reasonError = reason.trim() === "" ? "Say why this ticket should be paid by another bank." : null;
  return (
    <div>
      {!open ? (
        <Button
          ref={openerRef}
          intent="minimal"
          size="small"
          text="Change who pays…"
          onClick={() => {
            setDone(null);
            setOpen(true);
          }}
          style={{ marginTop: 4 }}
        />
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setTouched(true);
            if (reasonError || !choice) {
              focusFirstInvalid(e.currentTarget);
              return;
            }
            change.submit(
              { owner: choice, reason: reason.trim(), ...(target.agent ? { agent: target.agent } : {}) },
              {
                onSuccess: () => {
                  close();
                  setReason("");
                  setTouched(false);
                  setDone(`${bankName(choice, target)} pays for this ticket from now on. Earlier charges stay with the bank that paid them.`);
                },
              },
            );
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape" && !change.isPending) close();
          }}
          style={{ marginTop: 6 }}
        >
          <label htmlFor={ids.bank} style={{ fontSize: 12 }}>
            New paying bank
          </label>
          <Select id={ids.bank} value={choice} onChange={setChoice} options={candidates.map((o) => ({ value: o, label: bankName(o, target) }))} />
          <label htmlFor={ids.reason} style={{ fontSize: 12, display: "block", marginTop: 4 }}>
            Reason
          </label>
          <Input
            id={ids.reason}
            value={reason}
            onChange={(e: ChangeEvent<HTMLInputElement>) => setReason(e.target.value)}
            error={touched && reasonError !== null}
            aria-invalid={touched && reasonError !== null}
            aria-describedby={ids.reasonErr}
            aria-required="true"
            autoFocus
          />
          <FieldError id={ids.reasonErr} message={touched ? reasonError : null} />
          {change.error && <ErrorNotice error={change.error} context="The payer was not changed." />}
          <Stack gap={6} style={{ marginTop: 4 }}>
            <Button type="submit" size="small" text="Change who pays" loading={change.isPending} disabled={change.isPending} />
            <Button intent="secondary" size="small" text="Cancel" onClick={close} disabled={change.isPending} />
          </Stack>
        </form>
      )}
      <StatusMessage message={done} />
    </div>
  );
}
