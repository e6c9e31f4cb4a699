/**
 * What is in the app's bundle (`npm run bundle`): builds it with Vite and prints, for the JavaScript
 * loaded at start (the entry chunk and what it imports statically, as `npm run bench -- app`
 * counts it), each package's or source folder's share, then every chunk loaded on demand.
 *
 * Per module: its rendered size (after tree-shaking, before minification) and the gzip size of
 * that rendered code alone; modules compress better together, so the shares add up to more than
 * the chunk's own gzip size, which is printed beside them. `--modules` lists every module too.
 */
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "vite";

interface ModuleSize {
  chunk: string;
  id: string;
  bytes: number;
  gzipBytes: number;
}
interface ChunkSize {
  file: string;
  bytes: number;
  gzipBytes: number;
  atStart: boolean;
}

const gzip = (code: string) => gzipSync(code, { level: 9 }).length;
const modules: ModuleSize[] = [];
const chunks: ChunkSize[] = [];

const measure: Plugin = {
  name: "measure-bundle",
  enforce: "post",
  writeBundle(_options, bundle) {
    const atStart = new Set<string>();
    const visit = (file: string) => {
      const chunk = bundle[file];
      if (atStart.has(file) || chunk?.type !== "chunk") return;
      atStart.add(file);
      chunk.imports.forEach(visit);
    };
    for (const item of Object.values(bundle)) if (item.type === "chunk" && item.isEntry) visit(item.fileName);
    for (const item of Object.values(bundle)) {
      if (item.type !== "chunk") continue;
      chunks.push({ file: item.fileName, bytes: Buffer.byteLength(item.code), gzipBytes: gzip(item.code), atStart: atStart.has(item.fileName) });
      for (const [id, info] of Object.entries(item.modules)) {
        modules.push({ chunk: item.fileName, id, bytes: info.renderedLength, gzipBytes: gzip(info.code ?? "") });
      }
    }
  },
};

/** "react-dom", "@deskpro/deskpro-ui", "src/app/api", "src/contract/ledger.ts". */
function owner(id: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(id);
  if (pkg) return pkg[1]!;
  const source = /\/(src\/.*)$/.exec(id);
  if (!source) return id.replace(/^\0/, "");
  const parts = source[1]!.split("/");
  return parts.length > 3 ? parts.slice(0, 3).join("/") : parts.join("/");
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`.padStart(9);

await build({ logLevel: "warn", plugins: [measure] });

const start = chunks.filter((c) => c.atStart);
const startModules = modules.filter((m) => start.some((c) => c.file === m.chunk) && m.bytes > 0);
console.log(
  `At start: ${start.map((c) => c.file).join(", ")}: ${kB(start.reduce((s, c) => s + c.bytes, 0)).trim()} minified, ` +
    `${kB(start.reduce((s, c) => s + c.gzipBytes, 0)).trim()} gzip\n`,
);
const groups = new Map<string, { bytes: number; gzipBytes: number; modules: number }>();
for (const m of startModules) {
  const group = groups.get(owner(m.id)) ?? { bytes: 0, gzipBytes: 0, modules: 0 };
  group.bytes += m.bytes;
  group.gzipBytes += m.gzipBytes;
  group.modules += 1;
  groups.set(owner(m.id), group);
}
console.log(`${"rendered".padStart(9)} ${"gzip".padStart(9)} modules  package or folder`);
for (const [name, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes)) {
  console.log(`${kB(g.bytes)} ${kB(g.gzipBytes)} ${String(g.modules).padStart(7)}  ${name}`);
}
if (process.argv.includes("--modules")) {
  console.log("\nEvery module at start:");
  for (const m of startModules.sort((a, b) => b.bytes - a.bytes))
    console.log(`${kB(m.bytes)} ${kB(m.gzipBytes)}  ${m.id.replace(/^.*node_modules\//, "").replace(/^.*\/src\//, "src/")}`);
}
console.log("\nOn demand (minified, gzip):");
for (const c of chunks.filter((c) => !c.atStart).sort((a, b) => b.gzipBytes - a.gzipBytes)) console.log(`${kB(c.bytes)} ${kB(c.gzipBytes)}  ${c.file}`);
