// The UI kit's text field on its own: its module is kept for its side effects wherever it is
// imported, so only the forms (chunks of their own) import it, never the first bundle.
export { Input } from "@deskpro/deskpro-ui/dist/esm/components/Input/Input.js";
