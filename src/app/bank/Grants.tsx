import type { WalletGrant } from "../../contract/index.js";
import { usePalette } from "../components/common.js";
import { P5, Pill, Stack } from "../deskpro/ui.js";
import { formatCredits, formatDate, formatDaysFromNow } from "../format.js";

const SOURCE_WORDS: Record<WalletGrant["source"], string> = {
  allocation: "Plan allocation",
  rollover: "Rolled over",
  purchase: "Bought",
  manual: "Added by an agent",
  promo: "Promotion",
  refund: "Refund",
};

const SOON_DAYS = 14;

/** Spendable grants in the order debits draw on them, with when each expires. */
export function Grants({ grants, now = new Date() }: { grants: readonly WalletGrant[]; now?: Date }) {
  const colors = usePalette();
  if (grants.length === 0) return <P5>No spendable credits.</P5>;
  return (
    <ul style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Grants">
      {grants.map((g) => {
        const daysLeft = g.expiresAt ? (Date.parse(g.expiresAt) - now.getTime()) / 86_400_000 : null;
        const soon = daysLeft !== null && daysLeft <= SOON_DAYS;
        return (
          <li key={g.id} style={{ padding: "4px 0", borderBottom: `1px solid ${colors.track}`, fontSize: 12 }}>
            <Stack justify="space-between" align="center" gap={6}>
              <span style={{ color: colors.text }}>
                {formatCredits(g.remaining)} <span style={{ color: colors.muted }}>of {formatCredits(g.amount)}</span>
              </span>
              {g.expiresAt ? (
                <span title={`Expires ${formatDate(g.expiresAt)}`}>
                  <Pill
                    label={`Expires ${formatDaysFromNow(g.expiresAt, now)}`}
                    backgroundColor={soon ? colors.low : colors.track}
                    textColor={soon ? "#FFFFFF" : colors.text}
                  />
                </span>
              ) : (
                <Pill label="No expiry" backgroundColor={colors.track} textColor={colors.muted} />
              )}
            </Stack>
            <span style={{ color: colors.muted, fontSize: 11 }}>
              {SOURCE_WORDS[g.source]}
              {g.paid ? " · paid" : ""}
            </span>
          </li>
        );
      })}
    </ul>
  );
}
