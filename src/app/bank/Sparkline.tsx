import { usePalette } from "../components/common.js";
import type { BalancePoint } from "./insights.js";

/** The balance over time as a step line, plain SVG. */
export function Sparkline({ points, width = 260, height = 48, label }: { points: readonly BalancePoint[]; width?: number; height?: number; label: string }) {
  const colors = usePalette();
  if (points.length < 2) return null;
  const first = points[0] as BalancePoint;
  const last = points[points.length - 1] as BalancePoint;
  const t0 = first.at;
  const span = Math.max(1, last.at - t0);
  const values = points.map((p) => p.balance);
  const lo = Math.min(0, ...values);
  const hi = Math.max(1, ...values);
  const x = (t: number) => ((t - t0) / span) * (width - 2) + 1;
  const y = (v: number) => height - 2 - ((v - lo) / (hi - lo)) * (height - 4);
  let d = `M${x(first.at).toFixed(1)},${y(first.balance).toFixed(1)}`;
  for (const p of points.slice(1)) d += ` H${x(p.at).toFixed(1)} V${y(p.balance).toFixed(1)}`;
  const zeroY = y(0);
  return (
    <svg role="img" aria-label={label} width="100%" height={height} viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" data-testid="sparkline">
      <line x1={0} x2={width} y1={zeroY} y2={zeroY} stroke={colors.border} strokeWidth={1} />
      <path d={d} fill="none" stroke={last.balance <= 0 ? colors.depleted : colors.accent} strokeWidth={1.5} vectorEffect="non-scaling-stroke" />
    </svg>
  );
}
