/**
 * Stands in for `@fortawesome/react-fontawesome` in the app's bundle (vite.config.ts): the UI kit's
 * Button imports Font Awesome for icons this app never passes, and that import alone was about a
 * sixth of the start-up JavaScript. Passing a Font Awesome icon to a kit component fails loudly here.
 * It stands in for the kit's Dazzle icons as well: with no names in the table, the kit sees no
 * string as a Dazzle icon.
 */
export function FontAwesomeIcon(): never {
  throw new Error("Font Awesome icons are left out of the app's bundle (vite.config.ts): use text, or add the package back.");
}

/** The kit's table of Dazzle icon names (none here). */
export const dazzleIcons: Record<string, string> = {};

export default function DazzleIcon(): never {
  throw new Error("The UI kit's Dazzle icons are left out of the app's bundle (vite.config.ts): use text.");
}
