import { useEffect, useId, useState, type ChangeEvent } from "react";
import type { AlertLevel } from "../../contract/config.js";
import { AlertLevelsRequest } from "../../contract/ledger.js";
import { useLedgerWrite } from "../api/hooks.js";
import type { WalletView } from "../api/ledger.js";
import { ErrorNotice, Select, StatusMessage } from "../components/common.js";
import { Button, P5, Stack } from "../deskpro/ui.js";
import { Input } from "../deskpro/input.js";
import { formatCredits } from "../format.js";

const FROM_WORDS = { bank: "this bank's own", plan: "its plan's", helpdesk: "the helpdesk's" } as const;

const describe = (level: AlertLevel) => (level.type === "credits" ? `${formatCredits(level.value)} credits` : `${level.value}% of the allocation`);

type Row = { type: AlertLevel["type"]; value: string };
const rowsOf = (levels: AlertLevel[]): Row[] => levels.map((l) => ({ type: l.type, value: String(l.value) }));

/**
 * The levels this bank's low-balance alerts fire at, where they come from, and a per-bank override
 * (for a customer who wants warning earlier or later than their plan gives).
 */
export function AlertLevels({ wallet }: { wallet: WalletView }) {
  const { levels, levelsFrom } = wallet.lowBalance;
  // 0 is always a level ("when empty"), so it isn't listed twice.
  const listed = levels.filter((l) => !(l.type === "credits" && l.value === 0));
  const [editing, setEditing] = useState(false);
  const [rows, setRows] = useState<Row[]>(rowsOf(levels));
  const [done, setDone] = useState<string | null>(null);
  const id = useId();
  const write = useLedgerWrite((api, body: AlertLevelsRequest) => api.setAlertLevels(wallet.owner, body));
  useEffect(() => {
    if (!editing) setRows(rowsOf(levels));
  }, [editing, levels]);

  const request = { levels: rows.map((r) => ({ type: r.type, value: /^[0-9]+$/.test(r.value.trim()) ? Number(r.value.trim()) : NaN })) };
  const checked = AlertLevelsRequest.safeParse(request);
  const problem = checked.success ? null : (checked.error.issues[0]?.message ?? "Check the levels.");

  return (
    <div>
      <P5 style={{ margin: "0 0 4px" }} data-testid="alert-levels">
        Alerts {listed.length > 0 ? `at ${listed.map(describe).join(", ")} and ` : ""}when empty ({FROM_WORDS[levelsFrom]} levels).
      </P5>
      {!editing ? (
        <Stack gap={6}>
          <Button
            intent="secondary"
            size="small"
            text="Set this bank's levels"
            onClick={() => {
              setEditing(true);
              setDone(null);
            }}
          />
          {levelsFrom === "bank" && (
            <Button
              intent="secondary"
              size="small"
              text="Use the plan's levels"
              loading={write.isPending}
              onClick={() => write.submit({ levels: null }, { onSuccess: () => setDone("This bank follows its plan's levels again.") })}
            />
          )}
        </Stack>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!checked.success) return;
            write.submit(checked.data, {
              onSuccess: () => {
                setEditing(false);
                setDone("Saved. Setting levels sends no alert; the next crossing does.");
              },
            });
          }}
        >
          {rows.map((row, i) => (
            <Stack key={i} gap={6} align="end" style={{ marginBottom: 4 }}>
              <div>
                <label htmlFor={`${id}-kind-${i}`} style={{ fontSize: 11, display: "block" }}>{`Level ${i + 1}: kind`}</label>
                <Select
                  id={`${id}-kind-${i}`}
                  value={row.type}
                  onChange={(v) => setRows(rows.map((r, j) => (j === i ? { ...r, type: v as Row["type"] } : r)))}
                  options={[
                    { value: "credits", label: "Credits left" },
                    { value: "percent", label: "% of allocation" },
                  ]}
                />
              </div>
              <div>
                <label
                  htmlFor={`${id}-value-${i}`}
                  style={{ fontSize: 11, display: "block" }}
                >{`Level ${i + 1}: ${row.type === "credits" ? "credits" : "percent"}`}</label>
                <Input
                  id={`${id}-value-${i}`}
                  inputMode="numeric"
                  value={row.value}
                  onChange={(e: ChangeEvent<HTMLInputElement>) => setRows(rows.map((r, j) => (j === i ? { ...r, value: e.target.value } : r)))}
                />
              </div>
              <Button
                intent="secondary"
                size="small"
                text="Remove"
                aria-label={`Remove level ${i + 1}`}
                onClick={() => setRows(rows.filter((_, j) => j !== i))}
              />
            </Stack>
          ))}
          {problem && rows.length > 0 && <P5 role="alert">{problem}</P5>}
          <Stack gap={6} style={{ marginTop: 4 }}>
            <Button
              intent="secondary"
              size="small"
              text="Add level"
              disabled={rows.length >= 10}
              onClick={() => setRows([...rows, { type: "credits", value: "" }])}
            />
            <Button type="submit" size="small" text="Save levels" loading={write.isPending} disabled={!checked.success || write.isPending} />
            <Button intent="secondary" size="small" text="Cancel" onClick={() => setEditing(false)} />
          </Stack>
        </form>
      )}
      {write.error && <ErrorNotice error={write.error} context="The levels were not changed." />}
      <StatusMessage message={done} />
    </div>
  );
}
