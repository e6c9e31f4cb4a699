import { useEffect, useState } from "react";
import { lightTheme, type DeskproTheme } from "./deskpro/ui.js";

/**
 * The UI kit's light theme with the two colours it draws text with that miss WCAG AA on white:
 * grey80 (secondary text, minimal buttons: 3.45:1) and cyan100 (the background of a focused or
 * hovered primary button and of a selected toggle, under white text: 3.47:1). Same hues, darker.
 */
export const appLightTheme: DeskproTheme = {
  ...lightTheme,
  colors: { ...lightTheme.colors, grey80: "#5D6970", cyan100: "#1F6FBF" } as DeskproTheme["colors"],
};

/**
 * The UI kit ships a light theme only. The dark one keeps the accent colours, turns the system
 * and brand shades around, and has its own grey scale (text light, surfaces dark), chosen so kit
 * components and the app's text keep AA contrast on the dark page.
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
const system = ["systemShade100", "systemShade80", "systemShade40", "systemShade30", "systemShade20", "systemShade10"] as const;
const brand = ["brandShade100", "brandShade80", "brandShade60", "brandShade50", "brandShade40", "brandShade20", "brandShade10"] as const;
const darkGreys = {
  grey500: "#AAB4BA",
  grey100: "#F1F3F4",
  grey80: "#AAB4BA",
  grey60: "#8C979D",
  grey40: "#6F7A80",
  grey30: "#4A5257",
  grey20: "#3A4146",
  grey10: "#2C3236",
  grey5: "#24292C",
  grey3: "#202427",
};

export const darkTheme: DeskproTheme = {
  ...lightTheme,
  type: "dark",
  colors: {
    ...lightTheme.colors,
    ...darkGreys,
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
  const dark = theme.type === "dark";
  return {
    text: c.grey100,
    muted: c.grey80,
    track: c.grey10,
    border: c.grey20,
    // Fills (the meter, borders beside notices): drawn beside words that say the same.
    ok: c.green100 ?? c.cyan100,
    low: c.amber100,
    depleted: c.red100,
    accent: c.cyan100,
    // The same states as text (amounts added, "Running low", errors): AA on the page in both themes.
    okText: dark ? "#6CCB7B" : "#2B7A38",
    lowText: dark ? "#FFB95C" : "#8A5300",
    depletedText: dark ? "#FF7B84" : "#C4262E",
    // The keyboard focus ring: 3:1 against the page and the controls it surrounds.
    focus: dark ? "#7FB8FF" : "#1F6FBF",
    // Links: the kit's brand blue, readable (AA) on the page in both themes.
    link: dark ? "#7FB8FF" : "#1C5DB5",
    background: c.white,
    // A warning label: dark amber text on a pale amber ground (light), the reverse (dark); both AA.
    warningBackground: dark ? "#4A3300" : "#FFF1D6",
    warningText: dark ? "#FFD58A" : "#7A4A00",
  };
}
