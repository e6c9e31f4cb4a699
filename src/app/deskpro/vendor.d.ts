// Types for the narrow (deep) imports in ./ui.ts and ./sdk.ts. The UI kit ships one rolled-up
// declaration file for its package root only; importing the root would pull the whole kit
// (icon sets, date picker, animation library) into the bundle, so we import files directly and
// borrow their types from the root declaration here.
declare module "@deskpro/deskpro-ui/dist/esm/components/Button/Button.js" {
  export { Button } from "@deskpro/deskpro-ui";
}
declare module "@deskpro/deskpro-ui/dist/esm/components/Input/Input.js" {
  export { Input } from "@deskpro/deskpro-ui";
}
declare module "@deskpro/deskpro-ui/dist/esm/components/Spinner/Spinner.js" {
  export { Spinner } from "@deskpro/deskpro-ui";
}
declare module "@deskpro/deskpro-ui/dist/esm/components/Typography/v1/Typography.js" {
  export { H2, P5 } from "@deskpro/deskpro-ui";
}
declare module "@deskpro/deskpro-ui/dist/esm/layout/Stack.js" {
  export { Stack } from "@deskpro/deskpro-ui";
}
declare module "@deskpro/deskpro-ui/dist/esm/style/theme/ThemeProvider.js" {
  export { ThemeProvider, useTheme } from "@deskpro/deskpro-ui";
}
declare module "@deskpro/deskpro-ui/dist/esm/style/theme/lightTheme.js" {
  export { lightTheme } from "@deskpro/deskpro-ui";
}
