import { chmodSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedPostgresError, startEmbeddedPostgres } from "./embedded-postgres.js";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const { postgres: packagedPostgres } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
const nativeOfPackage = dirname(dirname(packagedPostgres));

describe("the embedded PostgreSQL the tests start", () => {
  const made: string[] = [];
  afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  // A clone in root's home folder: the binaries sit where the "postgres" user can't go.
  it.skipIf(!isRoot)("starts when the repository is in a folder only root can enter", async () => {
    const privateFolder = mkdtempSync(join(tmpdir(), "root-only-"));
    made.push(privateFolder);
    chmodSync(privateFolder, 0o700);
    const native = join(privateFolder, "clone", "native");
    cpSync(nativeOfPackage, native, { recursive: true, verbatimSymlinks: true });

    const server = await startEmbeddedPostgres({ nativeDir: native });
    try {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const { rows } = await client.query<{ answer: number }>("SELECT 41 + 1 AS answer");
      await client.end();
      expect(rows[0]?.answer).toBe(42);
    } finally {
      await server.stop();
    }
  });

  it("fails with one clear sentence when it can't start", async () => {
    const missing = join(tmpdir(), "no-such-postgres-build");
    const error = await startEmbeddedPostgres({ nativeDir: missing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddedPostgresError);
    expect((error as Error).message).toMatch(/^PostgreSQL's server binary is missing at .+; run npm install\.$/);
    expect((error as Error).message).not.toContain("\n");
  });
});
