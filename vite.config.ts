import { defineConfig } from "vite";

// The Deskpro app. Deskpro serves it from a path of its choosing, so every URL is relative
// (base ""); routes live in the hash. Public files (icon, descriptions) are copied to dist/.
export default defineConfig({
  base: "",
  publicDir: "public",
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
