import type { WalletGrant } from "../../contract/ledger.js";
import { grantWords } from "../../contract/words.js";
import { Tag, usePalette } from "../components/common.js";
import { P5, Stack } from "../deskpro/ui.js";
import { formatCredits, formatDate, formatDaysFromNow } from "../format.js";

const SOON_DAYS = 14;

/** What the grant's expiry does, in the same words the customer's page and messages use. */
export function expiryWords(grant: WalletGrant): string | null {
  if (!grant.expiresAt || !grant.atExpiry) return null;
  const { lost, rollsOver } = grant.atExpiry;
  if (rollsOver === 0) return `${formatCredits(lost)} will be lost on ${formatDate(grant.expiresAt)}`;
  if (lost === 0) return `All ${formatCredits(rollsOver)} roll over on ${formatDate(grant.expiresAt)}`;
  return `${formatCredits(lost)} will be lost, ${formatCredits(rollsOver)} roll over on ${formatDate(grant.expiresAt)}`;
}

/** Spendable grants in the order debits draw on them, with when each expires and what that takes. */
export function Grants({ grants, now = new Date() }: { grants: readonly WalletGrant[]; now?: Date }) {
  const colors = usePalette();
  if (grants.length === 0) return <P5>No spendable credits.</P5>;
  return (
    <ul style={{ listStyle: "none", padding: 0, margin: 0 }} aria-label="Grants">
      {grants.map((g) => {
        const daysLeft = g.expiresAt ? (Date.parse(g.expiresAt) - now.getTime()) / 86_400_000 : null;
        const soon = daysLeft !== null && daysLeft <= SOON_DAYS && (g.atExpiry?.lost ?? 0) > 0;
        const words = expiryWords(g);
        return (
          <li key={g.id} style={{ padding: "4px 0", borderBottom: `1px solid ${colors.track}`, fontSize: 12 }}>
            <Stack justify="space-between" align="center" gap={6}>
              <span style={{ color: colors.text }}>
                {formatCredits(g.remaining)} <span style={{ color: colors.muted }}>of {formatCredits(g.amount)}</span>
              </span>
              <Tag tone={soon ? "warning" : "neutral"}>{g.expiresAt ? `Expires ${formatDaysFromNow(g.expiresAt, now)}` : "No expiry"}</Tag>
            </Stack>
            <span style={{ color: colors.muted, fontSize: 11, display: "block" }}>{grantWords(g)}</span>
            {words && (
              <span style={{ color: colors.muted, fontSize: 11, display: "block" }} data-testid="grant-expiry">
                {words}
              </span>
            )}
          </li>
        );
      })}
    </ul>
  );
}
