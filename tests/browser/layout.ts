/**
 * What a person would notice at the sidebar's width, checked in the page: something sticking out
 * sideways, text cut off, two elements drawn on top of each other, text under 11 px.
 */
import type { Frame, Page } from "playwright-core";

/** Runs in the page: a list of problems, each naming the element by its text. */
function findLayoutProblems(): string[] {
  const problems: string[] = [];
  const root = document.documentElement;
  const width = root.clientWidth;
  const name = (el: Element) => {
    const text = (el.textContent ?? "").replace(/\s+/g, " ").trim().slice(0, 50);
    const label = el.getAttribute("aria-label") ?? (el as HTMLInputElement).value ?? "";
    return `<${el.tagName.toLowerCase()}> "${text || label}"`;
  };
  const visible = (el: Element) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none" && s.opacity !== "0";
  };
  if (root.scrollWidth > width + 1) problems.push(`the page scrolls sideways (${root.scrollWidth} px in ${width} px)`);
  const elements = [...document.body.querySelectorAll("*")].filter((el) => !el.closest("svg") || el.tagName === "svg").filter(visible);
  for (const el of elements) {
    const r = el.getBoundingClientRect();
    if (r.left < -1 || r.right > width + 1) problems.push(`${name(el)} sticks out (${Math.round(r.left)}–${Math.round(r.right)} px of ${width})`);
    const s = getComputedStyle(el);
    const clips = s.overflowX === "hidden" || s.overflowX === "clip" || s.textOverflow === "ellipsis";
    if (clips && el.scrollWidth > el.clientWidth + 1 && el.tagName !== "INPUT") problems.push(`${name(el)} is cut off`);
    const ownText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? "").trim() !== "");
    if (ownText && parseFloat(s.fontSize) < 11) problems.push(`${name(el)} has text under 11 px (${s.fontSize})`);
  }
  // Siblings in the flow never cover each other.
  for (const parent of elements) {
    const kids = [...parent.children].filter(visible).filter((k) => !["absolute", "fixed"].includes(getComputedStyle(k).position));
    for (let i = 0; i < kids.length; i++) {
      for (let j = i + 1; j < kids.length; j++) {
        const a = kids[i]!.getBoundingClientRect();
        const b = kids[j]!.getBoundingClientRect();
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1 && h > 1) problems.push(`${name(kids[i]!)} and ${name(kids[j]!)} overlap`);
      }
    }
  }
  return [...new Set(problems)];
}

export function layoutProblems(target: Page | Frame): Promise<string[]> {
  return target.evaluate(findLayoutProblems);
}
