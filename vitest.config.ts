import { defineConfig } from "vitest/config";

// Four kinds of test, one command (`npm test`):
// - ledger and tooling tests in Node, against PGlite and a real PostgreSQL (see tests/setup/postgres.ts),
//   some of them also through PgBouncer in transaction mode (tests/setup/pooler.ts);
// - app tests in jsdom, with msw playing Deskpro's app proxy;
// - fault tests: the ledger process killed and PostgreSQL restarted under load;
// - browser tests driving Debian's Chromium through playwright-core against the development host.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          environment: "node",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/browser/**", "tests/app/**", "tests/faults/**", "node_modules/**"],
          globalSetup: ["tests/setup/postgres.ts", "tests/setup/pooler.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: "app",
          environment: "jsdom",
          include: ["tests/app/**/*.test.{ts,tsx}"],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          // Processes killed and databases restarted under load; also `npm run test:faults`.
          name: "faults",
          environment: "node",
          include: ["tests/faults/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: "browser",
          environment: "node",
          // The host page and the app refresh on timers (the open ticket every 1.5 s): a poll waits
          // for them, on a slow machine too, rather than vitest's default second.
          expect: { poll: { timeout: 10_000 } },
          include: ["tests/browser/**/*.test.ts"],
          globalSetup: ["tests/setup/postgres.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
