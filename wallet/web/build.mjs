// Build the web wallet into dist/: one bundled, minified script plus the static app shell, and
// the messages it uses from the city's catalogue. `make web` runs `npm ci`, exports the catalogue
// (`citykey i18n export`, `citykey i18n languages`) into catalogues/, then `npm run build`.
import { build } from "esbuild";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const dist = join(here, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
catalogues(process.env.CITYKEY_CATALOGUES || join(here, "catalogues"), join(dist, "i18n")); // first: a failed build leaves no index.html

const { metafile } = await build({
  entryPoints: [join(here, "src/app.js")],
  bundle: true,
  minify: true,
  format: "esm",
  splitting: true, // the QR reader and the OpenID4VP answer are chunks of their own, loaded when first used
  chunkNames: "chunk-[hash]",
  target: ["es2022"],
  inject: [join(here, "src/shims/buffer.js")],
  outdir: dist,
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
});
cpSync(join(here, "public"), dist, { recursive: true });
// The reader's WebAssembly, served from the app itself (src/camera.js points zxing-wasm at it).
cpSync(join(here, "node_modules/zxing-wasm/dist/reader/zxing_reader.wasm"), join(dist, "zxing_reader.wasm"));
// Loaded (and then kept by the service worker) only when first used: the camera's QR reader, and the
// answer to a city web service's OpenID4VP request with its JWE library (src/vpscreen.js).
const LAZY_INPUTS = ["node_modules/zxing-wasm/", "node_modules/jose/", "src/vpscreen.js"];
const lazy = ["zxing_reader.wasm", ...Object.entries(metafile.outputs)
  .filter(([, out]) => Object.keys(out.inputs).some((i) => LAZY_INPUTS.some((l) => i.includes(l))))
  .map(([path]) => path.slice(path.lastIndexOf("/") + 1))];
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
const shell = files.filter((f) => !f.endsWith(".map") && !f.endsWith(".LEGAL.txt") && !lazy.includes(f));
// src/sw.js and the offline shell it shares with the /apply/ page (src/swcore.js), as one classic script.
const { outputFiles } = await build({
  entryPoints: [join(here, "src/sw.js")], bundle: true, format: "iife", target: ["es2022"], write: false, logLevel: "warning",
});
const sw = outputFiles[0].text
  .replace("__VERSION__", version)
  .replace('"__FILES__"', JSON.stringify(["./", ...shell]))
  .replace('"__LAZY__"', JSON.stringify(lazy));
writeFileSync(join(dist, "sw.js"), sw);
const bytes = (f) => statSync(join(dist, f)).size;
const firstLoad = ["index.html", "styles.css", "app.js", ...staticImports("app.js")].reduce((n, f) => n + bytes(f), 0);
console.log(`built dist/ (${files.length + 1} files, shell ${version}; first load ${firstLoad} bytes of script, page and style; ` +
  `loaded when first used: ${lazy.map((f) => `${f} ${bytes(f)}`).join(", ")})`);

/** The chunks a script imports statically, and theirs: what the browser fetches before the app starts. */
function staticImports(name, seen = new Set()) {
  for (const [, chunk] of readFileSync(join(dist, name), "utf8").matchAll(/(?:^|[;}\s])import\s*(?:[^"'()]*?from\s*)?"\.\/(chunk-[A-Z0-9]+\.js)"/g)) {
    if (!seen.has(chunk)) {
      seen.add(chunk);
      staticImports(chunk, seen);
    }
  }
  return [...seen];
}

// The messages the wallet marks (`_("…")`, `N_("…")`) and every error code's message, per language:
// the app loads only its language's file. A marked message the catalogue lacks stops the build.
function catalogues(from, to) {
  const read = (name) => JSON.parse(readFileSync(join(from, name), "utf8"));
  let languages;
  try {
    languages = read("languages.json");
  } catch {
    throw new Error(`no exported catalogue in ${from}: run \`make web\` (it runs \`citykey i18n export\`)`);
  }
  const errors = read("errors.json");
  const marked = new Set(Object.values(errors));
  const call = /(?<![\w$.])N?_\(\s*("(?:[^"\\\n]|\\.)*")/g;
  for (const name of readdirSync(join(here, "src"))) {
    if (!name.endsWith(".js")) continue;
    const code = readFileSync(join(here, "src", name), "utf8").split("\n").filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join("\n");
    for (const m of code.matchAll(call)) marked.add(JSON.parse(m[1])); // comment lines are not code
  }
  const english = read("en.json");
  const unknown = [...marked].filter((id) => !Object.hasOwn(english, id));
  if (unknown.length) throw new Error(`messages missing from the catalogue (run \`make i18n\`, then translate): ${JSON.stringify(unknown)}`);
  mkdirSync(to, { recursive: true });
  for (const lang of Object.keys(languages)) {
    const all = read(`${lang}.json`);
    const used = Object.fromEntries([...marked].sort().map((id) => [id, all[id] ?? id]));
    writeFileSync(join(to, `${lang}.json`), JSON.stringify(used));
  }
  writeFileSync(join(to, "errors.json"), JSON.stringify(errors));
  writeFileSync(join(to, "languages.json"), JSON.stringify(languages));
}

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
