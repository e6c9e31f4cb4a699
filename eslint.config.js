// @ts-check
// Lint for what types don't catch: import cycles (the ledger's layers depend one way), React's
// rules of hooks, and typescript-eslint's recommended checks. Formatting is Prettier's job.
import js from "@eslint/js";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import { importX } from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

const namedReadHooks = {
  name: "@tanstack/react-query",
  importNames: ["useQuery", "useQueries", "useInfiniteQuery", "useSuspenseQuery"],
  message: "Read the ledger through a named hook in src/app/api/hooks.ts.",
};
const contractFileByFile = {
  group: ["**/contract/index.js", "**/contract/index"],
  message: "Import the contract's own file (contract/ledger.js, …): the index puts every feature's schemas in the first bundle.",
};

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".data/**", "tests/artifacts/**", "bench/results/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  importX.flatConfigs.typescript,
  {
    files: ["**/*.{ts,tsx}"],
    settings: {
      "import-x/resolver-next": [
        createTypeScriptImportResolver({ project: ["tsconfig.json", "tsconfig.app.json", "tsconfig.test.json"], noWarnOnMultipleProjects: true }),
      ],
    },
    rules: {
      // No module may reach itself through its imports, type-only imports included.
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  {
    files: ["src/app/**/*.{ts,tsx}", "tests/app/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
    },
  },
  {
    // The app reads the ledger only through the named hooks of src/app/api/hooks.ts, so a screen's
    // data is found by name in one place (writes go through its useLedgerWrite too). And outside the
    // settings page the contract is imported file by file: its index loads every feature's schemas
    // (each built and registered as its module loads), which would all land in the first bundle.
    files: ["src/app/**/*.{ts,tsx}"],
    ignores: ["src/app/api/**", "src/app/admin/**"],
    rules: { "no-restricted-imports": ["error", { paths: [namedReadHooks], patterns: [contractFileByFile] }] },
  },
  {
    files: ["src/app/admin/**/*.{ts,tsx}"],
    rules: { "no-restricted-imports": ["error", { paths: [namedReadHooks] }] },
  },
  {
    files: ["src/app/api/**/*.{ts,tsx}"],
    ignores: ["src/app/api/admin-api.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [contractFileByFile] }] },
  },
  {
    // The ledger too imports the contract file by file: a Lambda function's cold start and each route
    // group loaded on its first call (http/route-groups.ts) build only the schemas they use. The
    // OpenAPI document is made from all of them (http/document.ts).
    files: ["src/ledger/**/*.ts"],
    ignores: ["src/ledger/http/document.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: [contractFileByFile] }] },
  },
  {
    // Tests may use `any` to poke at answers the contract doesn't type.
    files: ["tests/**/*.{ts,tsx}", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
