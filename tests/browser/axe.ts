/**
 * WCAG 2.0 and 2.1 A/AA rules from axe-core, run inside the page or the app's iframe (where the
 * app's own document is), so colours, names and ARIA are checked as Chromium renders them, in the
 * light theme and in the dark one.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AxeResults } from "axe-core";
import type { Frame, Page } from "playwright-core";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** Serious and critical violations, one line per element: rule, impact, element, why. */
export async function axeViolations(target: Page | Frame): Promise<string[]> {
  // Evaluated rather than added as a <script>: the customer page's CSP rightly refuses inline scripts.
  if (!(await target.evaluate(() => "axe" in window))) await target.evaluate(axeSource);
  const results = await target.evaluate(
    (tags) =>
      (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(document, {
        runOnly: { type: "tag", values: tags },
        resultTypes: ["violations"],
      }),
    WCAG_AA,
  );
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((node) => `${v.id} (${v.impact}): ${node.html.slice(0, 120)} — ${node.failureSummary?.replace(/\s+/g, " ") ?? v.help}`));
}

/**
 * Deskpro gives apps no theme through the SDK; the app, like the customer page, follows the
 * system's colour-scheme preference. This switches that preference for the whole tab and waits
 * until the document shows it (the app marks its root with the scheme it rendered).
 */
export async function setColourScheme(page: Page, target: Page | Frame, scheme: "light" | "dark"): Promise<void> {
  await page.emulateMedia({ colorScheme: scheme });
  await target.waitForFunction(
    (wanted) =>
      matchMedia(`(prefers-color-scheme: ${wanted})`).matches &&
      (document.getElementById("root") === null || document.documentElement.style.colorScheme === wanted),
    scheme,
  );
  // The kit's controls fade between colours (transitions of 0.1–0.2 s): measure once they are done.
  await target.waitForFunction(() => document.getAnimations().every((a) => !(a instanceof CSSTransition)));
}

/** Violations in the light theme, then the dark one (each line says which); the tab is left light. */
export async function axeInBothThemes(page: Page, target: Page | Frame, inDark?: () => Promise<void>): Promise<string[]> {
  const found: string[] = [];
  for (const scheme of ["light", "dark"] as const) {
    await setColourScheme(page, target, scheme);
    found.push(...(await axeViolations(target)).map((line) => `${scheme}: ${line}`));
    if (scheme === "dark") await inDark?.();
  }
  await setColourScheme(page, target, "light");
  return found;
}

/** Elements whose aria-describedby, aria-labelledby, aria-controls or label's `for` names an id that isn't in the document. */
export function danglingReferences(target: Page | Frame): Promise<string[]> {
  return target.evaluate(() => {
    const problems: string[] = [];
    const attributes = ["aria-describedby", "aria-labelledby", "aria-controls", "for"];
    for (const el of document.querySelectorAll(attributes.map((a) => `[${a}]`).join(","))) {
      for (const attribute of attributes) {
        for (const id of (el.getAttribute(attribute) ?? "").split(/\s+/).filter(Boolean)) {
          if (!document.getElementById(id)) problems.push(`<${el.tagName.toLowerCase()}> ${attribute}="${id}" names nothing`);
        }
      }
    }
    return problems;
  });
}
