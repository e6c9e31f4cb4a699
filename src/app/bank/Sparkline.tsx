import { useId, useState, type KeyboardEvent, type MouseEvent } from "react";
import { usePalette } from "../components/common.js";
import { formatCredits, formatDate } from "../format.js";
import type { BalancePoint } from "./insights.js";

const AXIS = 14;

/**
 * The balance over time as a step line, plain SVG, with dates under it. Hovering, or focusing it and
 * using the arrow keys, reads out the balance on a day.
 */
export function Sparkline({ points, width = 280, height = 64, label }: { points: readonly BalancePoint[]; width?: number; height?: number; label: string }) {
  const colors = usePalette();
  const readoutId = useId();
  const [active, setActive] = useState<number | null>(null);
  if (points.length < 2) return null;
  const first = points[0] as BalancePoint;
  const last = points[points.length - 1] as BalancePoint;
  const t0 = first.at;
  const span = Math.max(1, last.at - t0);
  const values = points.map((p) => p.balance);
  const lo = Math.min(0, ...values);
  const hi = Math.max(1, ...values);
  const plot = height - AXIS;
  const x = (t: number) => ((t - t0) / span) * (width - 2) + 1;
  const y = (v: number) => plot - 2 - ((v - lo) / (hi - lo)) * (plot - 4);
  let d = `M${x(first.at).toFixed(1)},${y(first.balance).toFixed(1)}`;
  for (const p of points.slice(1)) d += ` H${x(p.at).toFixed(1)} V${y(p.balance).toFixed(1)}`;
  const zeroY = y(0);
  const shown = active === null ? null : points[active];

  const nearest = (event: MouseEvent<SVGSVGElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const t = t0 + ((event.clientX - box.left) / Math.max(1, box.width)) * span;
    // The step in force at that time: the last point at or before it.
    let index = 0;
    points.forEach((p, i) => {
      if (p.at <= t) index = i;
    });
    setActive(index);
  };
  const onKey = (event: KeyboardEvent<SVGSVGElement>) => {
    const step = { ArrowLeft: -1, ArrowRight: 1, Home: -points.length, End: points.length }[event.key];
    if (step === undefined) return;
    event.preventDefault();
    setActive((current) => Math.min(points.length - 1, Math.max(0, (current ?? points.length - 1) + step)));
  };
  const ticks = [first.at, t0 + span / 2, last.at];

  return (
    <div>
      <svg
        role="img"
        aria-label={`${label} Focus the chart and use the arrow keys to read the balance on each change.`}
        aria-describedby={readoutId}
        tabIndex={0}
        width="100%"
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        data-testid="sparkline"
        onMouseMove={nearest}
        onMouseLeave={() => setActive(null)}
        onKeyDown={onKey}
        onFocus={() => setActive((current) => current ?? points.length - 1)}
        onBlur={() => setActive(null)}
        style={{ display: "block", outlineOffset: 1, marginBottom: 4 }}
      >
        <line x1={0} x2={width} y1={zeroY} y2={zeroY} stroke={colors.border} strokeWidth={1} />
        <path d={d} fill="none" stroke={last.balance <= 0 ? colors.depleted : colors.accent} strokeWidth={1.5} vectorEffect="non-scaling-stroke" />
        {shown && <line x1={x(shown.at)} x2={x(shown.at)} y1={0} y2={plot} stroke={colors.muted} strokeWidth={1} vectorEffect="non-scaling-stroke" />}
        <line x1={0} x2={width} y1={plot} y2={plot} stroke={colors.border} strokeWidth={1} />
      </svg>
      <div aria-hidden="true" style={{ display: "flex", justifyContent: "space-between", fontSize: 11, color: colors.muted }} data-testid="chart-axis">
        {ticks.map((t, i) => (
          <span key={i}>{formatDate(new Date(t))}</span>
        ))}
      </div>
      <div id={readoutId} aria-live="polite" style={{ fontSize: 11, minHeight: 16, color: colors.text }} data-testid="chart-readout">
        {shown ? `${formatDate(new Date(shown.at))}: ${formatCredits(shown.balance)} credits` : ""}
      </div>
    </div>
  );
}
