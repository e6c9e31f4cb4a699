import { useId, useState } from "react";
import type { Tier } from "../../contract/config.js";
import { useConfig, useLedgerWrite, useQuote } from "../api/hooks.js";
import type { WalletView } from "../api/ledger.js";
import { ErrorNotice, Loading, Notice, Select, StatusMessage, usePalette } from "../components/common.js";
import { Button, P5 } from "../deskpro/ui.js";
import { formatCredits } from "../format.js";

/** Paid tiers this bank's plan offers (an empty list on the plan means every tier). */
export function offeredTiers(tiers: readonly Tier[], wallet: WalletView): Tier[] {
  const allowed = wallet.plan?.tiers ?? [];
  return tiers.filter((t) => t.price > 0 && (allowed.length === 0 || allowed.includes(t.key)));
}

/** Charge a response tier's fee to the paying bank (the portal does this itself for new tickets). */
export function ChargeTier({
  wallet,
  ticketId,
  agent,
  alreadyCharged,
}: {
  wallet: WalletView;
  ticketId: string;
  agent: string | null;
  alreadyCharged: string | null;
}) {
  const colors = usePalette();
  const config = useConfig();
  const [tierKey, setTierKey] = useState<string>("");
  const [done, setDone] = useState<string | null>(null);
  const selectId = useId();
  const tiers = config.data ? offeredTiers(config.data.config.tiers, wallet) : [];
  const selected = tiers.find((t) => t.key === tierKey) ?? tiers[0];
  const quote = useQuote(selected ? wallet.owner : null, selected ? { kind: "priority", tier: selected.key, ticketId } : null);
  const charge = useLedgerWrite((api, body: { tier: string; agent?: string }, key) =>
    api.debit(wallet.owner, { kind: "priority", ticketId, tier: body.tier, ...(body.agent ? { agent: body.agent } : {}) }, key),
  );

  if (config.isPending) return <Loading label="Loading tiers…" />;
  if (config.error) return <ErrorNotice error={config.error} onRetry={() => void config.refetch()} />;
  if (alreadyCharged) return <P5>This ticket has been charged the {alreadyCharged} response tier. Refund it above to charge a different tier.</P5>;
  if (!selected) return <P5>No paid tiers are offered to this bank.</P5>;

  const current = quote.data && !quote.isPlaceholderData ? quote.data : null;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (current?.insufficient) return;
        charge.submit(
          { tier: selected.key, ...(agent ? { agent } : {}) },
          { onSuccess: (r) => setDone(`Charged ${formatCredits(-r.entry.amount)} credits. Balance now ${formatCredits(r.balance)}.`) },
        );
      }}
    >
      <label htmlFor={selectId} style={{ fontSize: 12 }}>
        Response tier
      </label>
      <Select
        id={selectId}
        value={selected.key}
        onChange={(v) => {
          setTierKey(v);
          setDone(null);
        }}
        options={tiers.map((t) => ({ value: t.key, label: `${t.label} — ${formatCredits(t.price)} credits` }))}
      />
      <div aria-live="polite" style={{ fontSize: 12, marginTop: 4, minHeight: 18, color: colors.text }}>
        {current && `${formatCredits(current.amount)} credits · balance after ${formatCredits(current.balanceAfter)}`}
      </div>
      {current?.insufficient && (
        <Notice tone="warning">
          This would overdraw the bank: it has {formatCredits(current.balance)} credits and this needs {formatCredits(current.amount)}.
        </Notice>
      )}
      {charge.error && <ErrorNotice error={charge.error} context="Nothing was charged." />}
      <StatusMessage message={done} />
      <Button
        type="submit"
        text="Charge response tier"
        loading={charge.isPending}
        disabled={charge.isPending || current?.insufficient === true}
        style={{ marginTop: 6 }}
      />
    </form>
  );
}
