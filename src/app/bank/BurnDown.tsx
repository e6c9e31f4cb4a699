import { useRecentEntries } from "../api/hooks.js";
import { ErrorNotice, Loading, usePalette } from "../components/common.js";
import { P5 } from "../deskpro/ui.js";
import { formatCredits, formatDate, plural } from "../format.js";
import { balanceSeries, forecast, type Forecast } from "./insights.js";
import { Sparkline } from "./Sparkline.js";

const DAYS = 90;
const PAGE = 500;
/** A bank with more entries than this in 90 days gets the most recent ones only. */
const MAX_PAGES = 10;

/** The forecast in words: support used (never removals or expiries), and whether the bank lasts until its next top-up. */
export function forecastWords(outlook: Forecast): string {
  const topUp = outlook.kind !== "empty" && outlook.nextTopUpAt ? formatDate(outlook.nextTopUpAt) : null;
  switch (outlook.kind) {
    case "empty":
      return "The bank is empty.";
    case "no-spending":
      return `No support was used in the last 30 days${topUp ? `; the next top-up is on ${topUp}` : ""}.`;
    case "runs-out": {
      const pace = `At the last 30 days' pace (about ${plural(Math.round(outlook.perDay), "credit", "credits")} a day)`;
      if (topUp && outlook.lastsUntilTopUp) return `${pace}, the bank lasts until its next top-up on ${topUp}.`;
      return `${pace}, it runs out in about ${plural(outlook.days, "day", "days")}${topUp ? `, before the next top-up on ${topUp}` : ""}.`;
    }
  }
}

export function BurnDown({ owner, balance, nextTopUpAt, now = new Date() }: { owner: string; balance: number; nextTopUpAt: string | null; now?: Date }) {
  const colors = usePalette();
  const history = useRecentEntries(owner, now.getTime() - DAYS * 86_400_000, PAGE, MAX_PAGES);
  if (history.isPending) return <Loading label="Loading recent activity…" />;
  if (history.error) return <ErrorNotice error={history.error} onRetry={() => void history.refetch()} />;
  const points = balanceSeries(history.data, balance, now, DAYS);
  const outlook = forecast(history.data, balance, now, nextTopUpAt);
  const low = Math.min(...points.map((p) => p.balance));
  const high = Math.max(...points.map((p) => p.balance));
  return (
    <div>
      <Sparkline
        points={points}
        label={`Balance over the last ${DAYS} days, between ${formatCredits(low)} and ${formatCredits(high)} credits; now ${formatCredits(balance)}.`}
      />
      <P5 style={{ margin: "4px 0 0", color: colors.text }} data-testid="forecast">
        {forecastWords(outlook)}
      </P5>
    </div>
  );
}
