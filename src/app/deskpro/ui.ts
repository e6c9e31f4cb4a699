// The UI kit, imported file by file (see vendor.d.ts for why).
export { Button } from "@deskpro/deskpro-ui/dist/esm/components/Button/Button.js";
export { Spinner } from "@deskpro/deskpro-ui/dist/esm/components/Spinner/Spinner.js";
export { H2, P5 } from "@deskpro/deskpro-ui/dist/esm/components/Typography/v1/Typography.js";
export { Stack } from "@deskpro/deskpro-ui/dist/esm/layout/Stack.js";
export { ThemeProvider, useTheme } from "@deskpro/deskpro-ui/dist/esm/style/theme/ThemeProvider.js";
export { lightTheme } from "@deskpro/deskpro-ui/dist/esm/style/theme/lightTheme.js";
export type { DeskproTheme } from "@deskpro/deskpro-ui";
