// Build the /apply/ page into dist/ with the web wallet's toolchain (esbuild, pako, base45-js and
// qrcode-generator from wallet/web's lock file): `make web` exports the message catalogue first
// (`citykey i18n export --out build/i18n`), then runs `node build.mjs`.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const repo = join(here, "../../..");
const { build } = createRequire(join(repo, "wallet/web/package.json"))("esbuild");
const dist = join(here, "dist");
const generated = join(here, "build");

// The field rules, as the contract generated them (tests hold the file to wallet_spec.attributes.rules()).
const vectors = JSON.parse(readFileSync(join(repo, "wallet_spec/vectors/preapplication.json"), "utf8"));
mkdirSync(generated, { recursive: true });
writeFileSync(join(generated, "rules.json"), JSON.stringify(vectors.rules));

// The messages this page uses (its `_("…")` calls), in every language the shared catalogue has.
const exported = join(generated, "i18n");
if (!existsSync(join(exported, "en.json"))) throw new Error("no catalogue: run `citykey i18n export --out build/i18n` first");
const used = new Set();
for (const name of readdirSync(join(here, "src"))) {
  const source = readFileSync(join(here, "src", name), "utf8");
  for (const m of source.matchAll(/\b_\(\s*"((?:[^"\\]|\\.)*)"/g)) used.add(JSON.parse(`"${m[1]}"`));
}
const messages = {};
for (const name of readdirSync(exported).sort()) {
  if (!/^[a-z]{2,3}(_[A-Z]{2})?\.json$/.test(name)) continue;
  const catalogue = JSON.parse(readFileSync(join(exported, name), "utf8"));
  messages[name.replace(".json", "")] = Object.fromEntries([...used].sort().filter((id) => id in catalogue).map((id) => [id, catalogue[id]]));
}
writeFileSync(join(generated, "messages.json"), JSON.stringify(messages));

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [join(here, "src/app.js")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  inject: [join(repo, "wallet/web/src/shims/buffer.js")],
  outfile: join(dist, "app.js"),
  legalComments: "linked",
  logLevel: "warning",
});
cpSync(join(here, "public"), dist, { recursive: true });

const files = readdirSync(dist).sort().filter((f) => f !== "sw.js");
const hash = createHash("sha256");
for (const f of files) hash.update(f).update(readFileSync(join(dist, f)));
const version = hash.digest("hex").slice(0, 16);
// src/sw.js and the offline shell it shares with the web wallet (wallet/web/src/swcore.js), as one classic script.
const { outputFiles } = await build({
  entryPoints: [join(here, "src/sw.js")], bundle: true, format: "iife", target: ["es2022"], write: false, logLevel: "warning",
});
const sw = outputFiles[0].text
  .replace("__VERSION__", version)
  .replace('"__FILES__"', JSON.stringify(["./", ...files.filter((f) => !f.endsWith(".LEGAL.txt"))]));
writeFileSync(join(dist, "sw.js"), sw);
console.log(`built issuer/apply/web/dist/ (${files.length + 1} files, ${Object.keys(messages).join(", ")}, shell ${version})`);
