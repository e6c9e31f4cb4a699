import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The Deskpro app. Deskpro serves it from a path of its choosing, so every URL is relative
// (base ""); routes live in the hash. Public files (icon, descriptions) are copied to dist/.
export default defineConfig({
  base: "",
  publicDir: "public",
  // The UI kit's Button imports Font Awesome for icons the app never passes (src/app/deskpro/no-icons.ts).
  resolve: { alias: { "@fortawesome/react-fontawesome": fileURLToPath(new URL("src/app/deskpro/no-icons.ts", import.meta.url)) } },
  oxc: { jsx: { runtime: "automatic", importSource: "react" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // Budget: 180 kB gzip of JavaScript at start; the build prints the sizes.
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      input: "index.html",
      // React Query marks its modules "use client" for server components; meaningless in an iframe app.
      onLog(level, log, handler) {
        if (log.code === "MODULE_LEVEL_DIRECTIVE") return;
        handler(level, log);
      },
    },
  },
});
