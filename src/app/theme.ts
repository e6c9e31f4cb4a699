import { useEffect, useState } from "react";
import { lightTheme, type DeskproTheme } from "./deskpro/ui.js";

/**
 * The UI kit ships a light theme only. The dark one keeps every accent colour and turns the
 * neutral scales (greys, shades, white) around, so kit components stay legible on a dark page.
 */
function invert<K extends string>(scale: readonly K[], colors: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  scale.forEach((key, i) => {
    const mirrored = colors[scale[scale.length - 1 - i] as K];
    if (mirrored !== undefined) out[key] = mirrored;
  });
  return out;
}

const base = lightTheme.colors as unknown as Record<string, string>;
const greys = ["grey100", "grey80", "grey60", "grey40", "grey30", "grey20", "grey10", "grey5", "grey3"] as const;
const system = ["systemShade100", "systemShade80", "systemShade40", "systemShade30", "systemShade20", "systemShade10"] as const;
const brand = ["brandShade100", "brandShade80", "brandShade60", "brandShade50", "brandShade40", "brandShade20", "brandShade10"] as const;

export const darkTheme: DeskproTheme = {
  ...lightTheme,
  type: "dark",
  colors: {
    ...lightTheme.colors,
    ...invert(greys, base),
    ...invert(system, base),
    ...invert(brand, base),
    white: "#1B1F22",
  } as DeskproTheme["colors"],
};

/**
 * Deskpro does not tell apps its colour scheme through the SDK (6.0.8); its dark mode follows the
 * system preference, so the app does the same.
 */
export function usePrefersDark(): boolean {
  const [query] = useState(() =>
    typeof window !== "undefined" && typeof window.matchMedia === "function" ? window.matchMedia("(prefers-color-scheme: dark)") : null,
  );
  const [dark, setDark] = useState(query?.matches ?? false);
  useEffect(() => {
    if (!query) return;
    const onChange = (e: MediaQueryListEvent) => setDark(e.matches);
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  }, [query]);
  return dark;
}

/** Colours for the app's own drawings (meter, sparkline), from the active theme. */
export function palette(theme: DeskproTheme) {
  const c = theme.colors;
  return {
    text: c.grey100,
    muted: c.grey80,
    track: c.grey10,
    border: c.grey20,
    ok: c.green100 ?? c.cyan100,
    low: c.amber100,
    depleted: c.red100,
    accent: c.cyan100,
    // Links: the kit's brand blue, readable (AA) on the page in both themes.
    link: theme.type === "dark" ? "#7FB8FF" : "#1C5DB5",
    background: c.white,
    // A warning label: dark amber text on a pale amber ground (light), the reverse (dark); both AA.
    warningBackground: theme.type === "dark" ? "#4A3300" : "#FFF1D6",
    warningText: theme.type === "dark" ? "#FFD58A" : "#7A4A00",
  };
}
