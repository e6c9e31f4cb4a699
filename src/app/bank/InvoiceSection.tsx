import { useId, useState, type ChangeEvent } from "react";
import { INVOICE_STATE_WORDS, MAX_DAYS_UNTIL_DUE, type Invoice } from "../../contract/invoices.js";
import { formatMoney } from "../../ledger/domain/currency.js";
import { useConfig, useLedgerWrite } from "../api/hooks.js";
import { issueInvoice, useInvoices } from "../api/invoices.js";
import { ErrorNotice, FieldError, Loading, Section, Select, StatusMessage } from "../components/common.js";
import { focusFirstInvalid } from "../components/focus.js";
import { Input } from "../deskpro/input.js";
import { Button, P5, Stack } from "../deskpro/ui.js";
import { formatCredits, formatDate } from "../format.js";

interface Form {
  packId: string;
  days: string;
  email: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function validate(form: Form) {
  const errors: Partial<Record<keyof Form, string>> = {};
  if (form.packId === "") errors.packId = "Choose a pack.";
  const days = form.days.trim();
  if (!/^\d+$/.test(days) || Number(days) < 1 || Number(days) > MAX_DAYS_UNTIL_DUE)
    errors.days = `Enter a whole number of days from 1 to ${MAX_DAYS_UNTIL_DUE}.`;
  if (!EMAIL.test(form.email.trim())) errors.email = "Enter the email address the invoice goes to.";
  return errors;
}

/** What became of an invoice, as agents read it: awaiting payment until a date, paid, voided… */
function stateLine(invoice: Invoice): string {
  const words = INVOICE_STATE_WORDS[invoice.state];
  if (invoice.state === "open" && invoice.dueAt) return `${words} · due ${formatDate(invoice.dueAt)}`;
  if (invoice.state === "paid" && invoice.paidAt) return `${words} ${formatDate(invoice.paidAt)} · credits added`;
  if (invoice.state === "void" || invoice.state === "uncollectible") return `${words} · no credits added`;
  return words;
}

function InvoiceList({ owner }: { owner: string }) {
  const invoices = useInvoices(owner);
  if (invoices.isPending) return <Loading label="Loading invoices…" />;
  if (invoices.error) return <ErrorNotice error={invoices.error} onRetry={() => void invoices.refetch()} />;
  if (invoices.data.length === 0) return <P5>No invoices yet.</P5>;
  return (
    <ul aria-label="Invoices" style={{ listStyle: "none", margin: 0, padding: 0 }}>
      {invoices.data.map((invoice) => (
        <li key={invoice.id} data-testid="invoice" style={{ padding: "4px 0", fontSize: 12 }}>
          <div>
            <strong>{formatMoney(invoice.amount, invoice.currency)}</strong> · {formatCredits(invoice.credits)} credits
            {invoice.number ? ` · ${invoice.number}` : ""}
          </div>
          <div>{stateLine(invoice)}</div>
          {invoice.state === "open" && invoice.hostedInvoiceUrl && (
            <a href={invoice.hostedInvoiceUrl} target="_blank" rel="noopener noreferrer">
              Open the invoice
            </a>
          )}
        </li>
      ))}
    </ul>
  );
}

/**
 * Buying by invoice, on an organisation's bank: its invoices and what became of them, and a form
 * that sends one for a credit pack on net terms. The credits are added when the invoice is paid.
 */
export function InvoiceSection({ owner, name, agent }: { owner: string; name: string; agent: string | null }) {
  const config = useConfig();
  const packs = config.data?.config.packs ?? [];
  const empty: Form = { packId: "", days: "30", email: "" };
  const [form, setForm] = useState<Form>(empty);
  const [touched, setTouched] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const ids = { pack: useId(), packErr: useId(), days: useId(), daysErr: useId(), email: useId(), emailErr: useId() };
  // The first pack is picked until the agent picks another.
  const chosen = { ...form, packId: form.packId || (packs[0]?.id ?? "") };
  const errors = validate(chosen);
  const write = useLedgerWrite(issueInvoice);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    setDone(null);
  };
  const show = (k: keyof Form) => (touched ? errors[k] : undefined);

  const submit = (): boolean => {
    setTouched(true);
    setDone(null);
    if (Object.keys(errors).length > 0) return false;
    write.submit(
      {
        owner,
        packId: chosen.packId,
        daysUntilDue: Number(chosen.days.trim()),
        email: chosen.email.trim(),
        name,
        ...(agent ? { agent } : {}),
      },
      {
        onSuccess: (invoice) => {
          setDone(
            `Invoice${invoice.number ? ` ${invoice.number}` : ""} for ${formatMoney(invoice.amount, invoice.currency)} sent to ${invoice.email}${invoice.dueAt ? `, due ${formatDate(invoice.dueAt)}` : ""}. The ${formatCredits(invoice.credits)} credits are added when it is paid.`,
          );
          setForm(empty);
          setTouched(false);
        },
      },
    );
    return true;
  };

  return (
    <Section title="Invoices">
      <InvoiceList owner={owner} />
      {packs.length === 0 ? (
        <P5>No credit packs are set up yet. An admin can add them on the app&apos;s settings page.</P5>
      ) : (
        <form
          noValidate
          aria-label="Send an invoice"
          onSubmit={(e) => {
            e.preventDefault();
            if (!submit()) focusFirstInvalid(e.currentTarget);
          }}
          style={{ marginTop: 8 }}
        >
          <Stack vertical gap={6} align="stretch">
            <div>
              <label htmlFor={ids.pack} style={{ fontSize: 12 }}>
                Pack
              </label>
              <Select
                id={ids.pack}
                value={chosen.packId}
                onChange={(v) => set("packId", v)}
                options={packs.map((p) => ({ value: p.id, label: `${p.label} · ${formatMoney(p.price, p.currency)}` }))}
                invalid={!!show("packId")}
                describedBy={ids.packErr}
              />
              <FieldError id={ids.packErr} message={show("packId")} />
            </div>
            <div>
              <label htmlFor={ids.days} style={{ fontSize: 12 }}>
                Due after (days)
              </label>
              <Input
                id={ids.days}
                inputMode="numeric"
                value={chosen.days}
                onChange={(e: ChangeEvent<HTMLInputElement>) => set("days", e.target.value)}
                error={!!show("days")}
                aria-invalid={!!show("days")}
                aria-describedby={ids.daysErr}
              />
              <FieldError id={ids.daysErr} message={show("days")} />
            </div>
            <div>
              <label htmlFor={ids.email} style={{ fontSize: 12 }}>
                Billing email
              </label>
              <Input
                id={ids.email}
                type="email"
                value={chosen.email}
                onChange={(e: ChangeEvent<HTMLInputElement>) => set("email", e.target.value)}
                error={!!show("email")}
                aria-invalid={!!show("email")}
                aria-describedby={ids.emailErr}
                aria-required="true"
              />
              <FieldError id={ids.emailErr} message={show("email")} />
            </div>
            {write.error && <ErrorNotice error={write.error} context="No invoice was sent." />}
            <StatusMessage message={done} />
            <Button type="submit" text="Send invoice" loading={write.isPending} disabled={write.isPending} />
          </Stack>
        </form>
      )}
    </Section>
  );
}
