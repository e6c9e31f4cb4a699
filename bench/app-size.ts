/**
 * The app's JavaScript loaded at start, gzip-compressed: the module scripts and module preloads
 * that the built index.html names (lazily imported chunks, such as the admin page, are not).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export interface AppSize {
  initialJsGzipBytes: number;
  initialJsBytes: number;
  files: { file: string; bytes: number; gzipBytes: number }[];
  lazyJsGzipBytes: number;
}

export function measureAppSize(options: { build?: boolean } = {}): AppSize {
  if (options.build !== false) {
    const result = spawnSync("npx", ["vite", "build", "--logLevel", "warn"], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
  }
  const html = readFileSync("dist/index.html", "utf8");
  const initial = new Set(
    [...html.matchAll(/<(?:script[^>]*type="module"[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="([^"]+\.js)"/g)].map((m) => m[1]!.replace(/^\.\//, "")),
  );
  const files = [...initial].map((file) => {
    const content = readFileSync(join("dist", file));
    return { file, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
  });
  const all = spawnSync("sh", ["-c", "ls dist/assets/*.js"], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean);
  const lazy = all.filter((path) => !initial.has(path.replace(/^dist\//, "")));
  return {
    initialJsGzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0),
    initialJsBytes: files.reduce((sum, f) => sum + f.bytes, 0),
    files,
    lazyJsGzipBytes: lazy.reduce((sum, path) => sum + gzipSync(readFileSync(path), { level: 9 }).length, 0),
  };
}
