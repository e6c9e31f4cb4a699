import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

/**
 * zod's classic schemas carry the code that turns them into JSON Schema (a seventh of zod's size in
 * the first bundle): every schema type gets a `processJSONSchema` and the methods `toJSONSchema()` and
 * `~standard.jsonSchema`. The ledger builds its OpenAPI document from them; the app never does, so its
 * build leaves that code out, and calling either method in the app throws. If zod's file changes shape
 * the build fails here rather than shipping the code again unnoticed.
 */
function zodWithoutJsonSchema(): Plugin {
  const importLine = 'import { createStandardJSONSchemaMethod, createToJSONSchemaMethod } from "../core/to-json-schema.js";';
  const stubs =
    'const createToJSONSchemaMethod = () => () => { throw new Error("JSON Schema is left out of the app\'s bundle (vite.config.ts)"); };' +
    " const createStandardJSONSchemaMethod = createToJSONSchemaMethod;";
  const processor = /inst\._zod\.processJSONSchema = \(ctx, json, params\) => processors\.\w+\(inst, ctx, json, params\);/g;
  return {
    name: "zod-without-json-schema",
    apply: "build",
    transform: {
      filter: { id: /zod\/v4\/classic\/schemas\.js$/ },
      handler(code) {
        const processors = code.match(processor)?.length ?? 0;
        if (!code.includes(importLine) || processors < 20) {
          throw new Error("zod's classic schemas.js changed shape: update zodWithoutJsonSchema in vite.config.ts");
        }
        return { code: code.replace(importLine, stubs).replace(processor, ""), map: null };
      },
    },
  };
}

// The Deskpro app. Deskpro serves it from a path of its choosing, so every URL is relative
// (base ""); routes live in the hash. Public files (icon, descriptions) are copied to dist/.
/**
 * The UI kit's Icon imports its "Dazzle" icon font's table and component (a few kB) for icon names
 * this app never passes; src/app/deskpro/no-icons.ts stands in for that one module, for the kit only.
 */
function kitWithoutDazzleIcons(): Plugin {
  const noIcons = fileURLToPath(new URL("src/app/deskpro/no-icons.ts", import.meta.url));
  return {
    name: "kit-without-dazzle-icons",
    enforce: "pre",
    resolveId(source, importer) {
      return source === "./DazzleIcon" && importer?.includes("/@deskpro/deskpro-ui/") ? noIcons : null;
    },
  };
}

export default defineConfig({
  base: "",
  publicDir: "public",
  // The UI kit's Button imports Font Awesome for icons the app never passes (src/app/deskpro/no-icons.ts).
  resolve: { alias: { "@fortawesome/react-fontawesome": fileURLToPath(new URL("src/app/deskpro/no-icons.ts", import.meta.url)) } },
  plugins: [zodWithoutJsonSchema(), kitWithoutDazzleIcons()],
  oxc: { jsx: { runtime: "automatic", importSource: "react" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // No modulepreload polyfill: a browser without <link rel="modulepreload"> (Deskpro supports none that
    // lack it) loads the same chunks when they are imported, only not ahead.
    modulePreload: { polyfill: false },
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
