import { useMutation } from "@tanstack/react-query";
import { useId, useState, type ChangeEvent } from "react";
import { EntryKind, type Entry } from "../../contract/ledger.js";
import { useLedgerApi, useStatement } from "../api/hooks.js";
import type { StatementFilter } from "../api/ledger.js";
import { ErrorNotice, Loading, Select, usePalette } from "../components/common.js";
import { describeEntry, KIND_WORDS } from "../components/entries.js";
import { ticketUrl } from "../deskpro/links.js";
import { Button, P5, Stack } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";
import { formatCredits, formatDateTime, formatSignedCredits } from "../format.js";
import { downloadCsv } from "../components/download.js";

export const STATEMENT_PAGE_SIZE = 10;

function Filters({ value, onChange }: { value: StatementFilter; onChange: (f: StatementFilter) => void }) {
  const ids = { from: useId(), to: useId(), ticket: useId(), kind: useId() };
  const [ticket, setTicket] = useState(value.ticketId ?? "");
  const cell = { minWidth: 0 } as const;
  const label = { fontSize: 11, display: "block" } as const;
  return (
    <div role="group" aria-label="Filter the statement" style={{ display: "grid", gridTemplateColumns: "1fr 1fr", gap: "4px 8px", marginBottom: 6 }}>
      <div style={cell}>
        <label htmlFor={ids.from} style={label}>
          From
        </label>
        <Input
          id={ids.from}
          type="date"
          value={value.from ?? ""}
          onChange={(e: ChangeEvent<HTMLInputElement>) => onChange({ ...value, from: e.target.value || undefined })}
        />
      </div>
      <div style={cell}>
        <label htmlFor={ids.to} style={label}>
          To
        </label>
        <Input
          id={ids.to}
          type="date"
          value={value.to ?? ""}
          onChange={(e: ChangeEvent<HTMLInputElement>) => onChange({ ...value, to: e.target.value || undefined })}
        />
      </div>
      <div style={cell}>
        <label htmlFor={ids.ticket} style={label}>
          Ticket #
        </label>
        <Input
          id={ids.ticket}
          inputMode="numeric"
          value={ticket}
          onChange={(e: ChangeEvent<HTMLInputElement>) => {
            setTicket(e.target.value);
            const id = e.target.value.trim().replace(/^#/, "");
            if (id === "" || /^[1-9][0-9]{0,17}$/.test(id)) onChange({ ...value, ticketId: id || undefined });
          }}
        />
      </div>
      <div style={cell}>
        <label htmlFor={ids.kind} style={label}>
          Entry kind
        </label>
        <Select
          id={ids.kind}
          value={value.kind ?? ""}
          onChange={(v) => onChange({ ...value, kind: v === "" ? undefined : EntryKind.parse(v) })}
          options={[{ value: "", label: "All" }, ...EntryKind.options.map((k) => ({ value: k, label: KIND_WORDS[k] }))]}
        />
      </div>
    </div>
  );
}

/** The bank's statement, newest first, a page at a time: who did what, on which ticket, filterable, and as CSV. */
export function Statement({ owner, helpdesk }: { owner: string; helpdesk: string | null }) {
  const api = useLedgerApi();
  const [filter, setFilter] = useState<StatementFilter>({});
  const statement = useStatement(owner, filter, STATEMENT_PAGE_SIZE);
  const csv = useMutation({
    mutationFn: async () => downloadCsv(await api.statementCsv(owner, filter), `statement-${owner.replace(":", "-")}.csv`),
  });
  const entries = statement.data?.pages.flatMap((p) => p.entries) ?? [];
  const filtered = Object.values(filter).some((v) => v !== undefined);
  return (
    <div>
      <Filters value={filter} onChange={setFilter} />
      {statement.isPending && <Loading label="Loading the statement…" />}
      {statement.error && !statement.data && <ErrorNotice error={statement.error} onRetry={() => void statement.refetch()} />}
      {statement.data && entries.length === 0 && <P5>{filtered ? "No entries match these filters." : "No entries yet."}</P5>}
      {entries.length > 0 && (
        <ul style={{ listStyle: "none", margin: 0, padding: 0 }} aria-label="Statement">
          {entries.map((e) => (
            <StatementLine key={e.id} entry={e} helpdesk={helpdesk} />
          ))}
        </ul>
      )}
      {statement.error && statement.data && <ErrorNotice error={statement.error} />}
      <Stack gap={6} wrap="wrap" style={{ marginTop: 6 }}>
        {statement.hasNextPage && (
          <Button
            intent="secondary"
            size="small"
            text="Show older entries"
            loading={statement.isFetchingNextPage}
            disabled={statement.isFetchingNextPage}
            onClick={() => void statement.fetchNextPage()}
          />
        )}
        <Button
          intent="secondary"
          size="small"
          text={filtered ? "Download these as CSV" : "Download CSV"}
          loading={csv.isPending}
          onClick={() => csv.mutate()}
        />
      </Stack>
      {csv.error && <ErrorNotice error={csv.error} context="No CSV was made." />}
    </div>
  );
}

function StatementLine({ entry: e, helpdesk }: { entry: Entry; helpdesk: string | null }) {
  const colors = usePalette();
  return (
    <li style={{ padding: "4px 0", borderBottom: `1px solid ${colors.track}`, fontSize: 12 }}>
      <Stack justify="space-between" align="baseline" gap={6}>
        <span style={{ color: colors.text, minWidth: 0, overflowWrap: "anywhere" }}>{describeEntry(e)}</span>
        <span style={{ color: e.amount < 0 ? colors.text : colors.okText, fontWeight: 600, whiteSpace: "nowrap" }}>{formatSignedCredits(e.amount)}</span>
      </Stack>
      <Stack justify="space-between" align="start" gap={6} style={{ color: colors.muted, fontSize: 11 }}>
        <span style={{ minWidth: 0, overflowWrap: "anywhere" }}>
          {formatDateTime(e.createdAt)}
          {e.agent ? ` · ${e.agent}` : ""}
          {e.ticketId && (
            <>
              {" · "}
              {helpdesk ? (
                <a href={ticketUrl(helpdesk, e.ticketId)} target="_blank" rel="noreferrer" style={{ color: colors.link }}>
                  ticket #{e.ticketId}
                </a>
              ) : (
                `ticket #${e.ticketId}`
              )}
            </>
          )}
          {e.reason ? ` · ${e.reason}` : ""}
        </span>
        <span style={{ whiteSpace: "nowrap" }} title="Balance after this entry">
          = {formatCredits(e.balanceAfter)}
        </span>
      </Stack>
    </li>
  );
}
