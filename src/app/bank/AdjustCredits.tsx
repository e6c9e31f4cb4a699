import { useId, useState, type ChangeEvent } from "react";
import { MAX_CREDITS_PER_WRITE } from "../../contract/primitives.js";
import { useLedgerWrite } from "../api/hooks.js";
import { ErrorNotice, FieldError, Select, StatusMessage } from "../components/common.js";
import { focusFirstInvalid } from "../components/focus.js";
import { Button, Stack } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";
import { formatCredits } from "../format.js";

type Direction = "add" | "remove";

interface Form {
  direction: Direction;
  amount: string;
  reason: string;
  source: "manual" | "promo";
  expires: string;
}

function validate(form: Form, today: string) {
  const errors: Partial<Record<keyof Form, string>> = {};
  const amount = form.amount.trim();
  if (!/^\d+$/.test(amount) || Number(amount) < 1) errors.amount = "Enter a whole number of credits, at least 1.";
  else if (Number(amount) > MAX_CREDITS_PER_WRITE) errors.amount = `At most ${formatCredits(MAX_CREDITS_PER_WRITE)} credits at a time.`;
  if (form.reason.trim() === "") errors.reason = "A reason is required: it goes on the statement.";
  else if (form.reason.trim().length > 500) errors.reason = "Keep the reason under 500 characters.";
  if (form.direction === "add" && form.expires !== "" && form.expires <= today) errors.expires = "The expiry date must be after today.";
  return errors;
}

/** Add credits (a grant) or take some away (a manual charge), always with a reason. */
export function AdjustCredits({ owner, agent }: { owner: string; agent: string | null }) {
  const empty: Form = { direction: "add", amount: "", reason: "", source: "manual", expires: "" };
  const [form, setForm] = useState<Form>(empty);
  const [touched, setTouched] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const ids = {
    direction: useId(),
    amount: useId(),
    amountErr: useId(),
    reason: useId(),
    reasonErr: useId(),
    source: useId(),
    expires: useId(),
    expiresErr: useId(),
  };
  const today = new Date().toISOString().slice(0, 10);
  const errors = validate(form, today);
  const write = useLedgerWrite(
    (api, body: { direction: Direction; amount: number; reason: string; source: "manual" | "promo"; expiresAt?: string; agent?: string }, key) =>
      body.direction === "add"
        ? api.grant(
            owner,
            {
              amount: body.amount,
              reason: body.reason,
              source: body.source,
              ...(body.expiresAt ? { expiresAt: body.expiresAt } : {}),
              ...(body.agent ? { agent: body.agent } : {}),
            },
            key,
          )
        : // Taking credits away is recorded as a removal, not as a charge for work.
          api.debit(owner, { kind: "removal", amount: body.amount, reason: body.reason, ...(body.agent ? { agent: body.agent } : {}) }, key),
  );
  const set = <K extends keyof Form>(k: K, v: Form[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    setDone(null);
  };
  const show = (k: keyof Form) => (touched ? errors[k] : undefined);

  /** False when a field needs fixing first. */
  const submit = (): boolean => {
    setTouched(true);
    setDone(null);
    if (Object.keys(errors).length > 0) return false;
    const amount = Number(form.amount.trim());
    write.submit(
      {
        direction: form.direction,
        amount,
        reason: form.reason.trim(),
        source: form.source,
        // End of the chosen day, in the agent's time zone.
        ...(form.direction === "add" && form.expires ? { expiresAt: new Date(`${form.expires}T23:59:59`).toISOString() } : {}),
        ...(agent ? { agent } : {}),
      },
      {
        onSuccess: (r) => {
          setDone(`${form.direction === "add" ? "Added" : "Removed"} ${formatCredits(amount)} credits. Balance now ${formatCredits(r.balance)}.`);
          setForm(empty);
          setTouched(false);
        },
      },
    );
    return true;
  };

  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!submit()) focusFirstInvalid(e.currentTarget);
      }}
    >
      <Stack vertical gap={6} align="stretch">
        <div>
          <label htmlFor={ids.direction} style={{ fontSize: 12 }}>
            Change
          </label>
          <Select
            id={ids.direction}
            value={form.direction}
            onChange={(v) => set("direction", v as Direction)}
            options={[
              { value: "add", label: "Add credits" },
              { value: "remove", label: "Remove credits" },
            ]}
          />
        </div>
        <div>
          <label htmlFor={ids.amount} style={{ fontSize: 12 }}>
            Credits
          </label>
          <Input
            id={ids.amount}
            inputMode="numeric"
            value={form.amount}
            onChange={(e: ChangeEvent<HTMLInputElement>) => set("amount", e.target.value)}
            error={!!show("amount")}
            aria-invalid={!!show("amount")}
            aria-describedby={ids.amountErr}
          />
          <FieldError id={ids.amountErr} message={show("amount")} />
        </div>
        <div>
          <label htmlFor={ids.reason} style={{ fontSize: 12 }}>
            Reason (required)
          </label>
          <Input
            id={ids.reason}
            value={form.reason}
            onChange={(e: ChangeEvent<HTMLInputElement>) => set("reason", e.target.value)}
            error={!!show("reason")}
            aria-invalid={!!show("reason")}
            aria-describedby={ids.reasonErr}
            aria-required="true"
          />
          <FieldError id={ids.reasonErr} message={show("reason")} />
        </div>
        {form.direction === "add" && (
          <>
            <div>
              <label htmlFor={ids.source} style={{ fontSize: 12 }}>
                Kind
              </label>
              <Select
                id={ids.source}
                value={form.source}
                onChange={(v) => set("source", v as "manual" | "promo")}
                options={[
                  { value: "manual", label: "Manual grant" },
                  { value: "promo", label: "Promotion" },
                ]}
              />
            </div>
            <div>
              <label htmlFor={ids.expires} style={{ fontSize: 12 }}>
                Expires on (optional)
              </label>
              <Input
                id={ids.expires}
                type="date"
                min={today}
                value={form.expires}
                onChange={(e: ChangeEvent<HTMLInputElement>) => set("expires", e.target.value)}
                error={!!show("expires")}
                aria-invalid={!!show("expires")}
                aria-describedby={ids.expiresErr}
              />
              <FieldError id={ids.expiresErr} message={show("expires")} />
            </div>
          </>
        )}
        {write.error && <ErrorNotice error={write.error} context="Nothing was changed." />}
        <StatusMessage message={done} />
        <Button type="submit" text={form.direction === "add" ? "Add credits" : "Remove credits"} loading={write.isPending} disabled={write.isPending} />
      </Stack>
    </form>
  );
}
