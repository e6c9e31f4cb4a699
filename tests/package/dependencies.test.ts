import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");

describe("the dependency tree", () => {
  // npm prints a block of peer-dependency warnings on install for every peer range the tree
  // doesn't satisfy; `npm ls` marks the same ones "invalid". package.json's overrides settle them.
  it("satisfies every peer range, so npm install prints no peer-dependency warnings", () => {
    const result = spawnSync("npm", ["ls", "--all"], { cwd: root, encoding: "utf8", timeout: 60_000 });
    const invalid = `${result.stdout}\n${result.stderr}`.split("\n").filter((line) => /\binvalid\b/.test(line));
    expect(invalid).toEqual([]);
    expect(result.status).toBe(0);
  });
});
