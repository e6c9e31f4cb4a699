/**
 * Stands in for `@fortawesome/react-fontawesome` in the app's bundle (vite.config.ts): the UI kit's
 * Button imports Font Awesome for icons this app never passes, and that import alone was about a
 * sixth of the start-up JavaScript. Passing a Font Awesome icon to a kit component fails loudly here.
 */
export function FontAwesomeIcon(): never {
  throw new Error("Font Awesome icons are left out of the app's bundle (vite.config.ts): use text, or add the package back.");
}
