// Build the web wallet into dist/: one bundled, minified script plus the static app shell.
// `npm run build` (the Makefile's `web` target runs `npm ci` first).
import { build } from "esbuild";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const dist = join(here, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: [join(here, "src/app.js")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  inject: [join(here, "src/shims/buffer.js")],
  outfile: join(dist, "app.js"),
  legalComments: "linked",
  logLevel: "warning",
});
cpSync(join(here, "public"), dist, { recursive: true });
for (const size of [192, 512]) writeFileSync(join(dist, `icon-${size}.png`), icon(size));

// The service worker caches exactly the files built here; its cache name changes with them.
const files = [];
const walk = (dir, prefix = "") => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
    else if (name !== "sw.js") files.push(`${prefix}${name}`);
  }
};
walk(dist);
const hash = createHash("sha256");
for (const f of files) hash.update(f).update(readFileSync(join(dist, f)));
const version = hash.digest("hex").slice(0, 16);
const sw = readFileSync(join(here, "src/sw.js"), "utf8")
  .replace("__VERSION__", version)
  .replace('"__FILES__"', JSON.stringify(["./", ...files.filter((f) => !f.endsWith(".map") && !f.endsWith(".LEGAL.txt"))]));
writeFileSync(join(dist, "sw.js"), sw);
console.log(`built dist/ (${files.length + 1} files, shell ${version})`);

// A simple generated icon: a white key on the city's blue, inside the maskable safe zone.
function icon(size) {
  const px = (x, y) => {
    const u = x / size;
    const v = y / size;
    const ring = Math.hypot(u - 0.36, v - 0.5);
    const white = (ring < 0.15 && ring > 0.075) || (u > 0.49 && u < 0.74 && Math.abs(v - 0.5) < 0.035) ||
      (u > 0.64 && u < 0.69 && v > 0.5 && v < 0.61) || (u > 0.7 && u < 0.74 && v > 0.5 && v < 0.58);
    return white ? [255, 255, 255] : [11, 61, 145];
  };
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0;
    for (let x = 0; x < size; x++) raw.set(px(x, y), y * (size * 3 + 1) + 1 + x * 3);
  }
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, "ascii");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, "ascii"), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}
