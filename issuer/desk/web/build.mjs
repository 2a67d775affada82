// Build the desk's camera reader into dist/ (served at /desk/static/camera/) with the web wallet's
// toolchain and its pinned zxing-wasm (wallet/web's lock file): `make web` runs `node build.mjs`.
// The reader's script is a chunk of its own and its .wasm is copied here, both loaded only when
// the clerk presses "Scan with the camera".
import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const web = join(here, "../../../wallet/web");
const require = createRequire(join(web, "package.json"));
const { build } = require("esbuild");
const dist = join(here, "dist");

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [join(here, "src/camera.js")],
  bundle: true,
  minify: true,
  format: "esm",
  splitting: true,
  chunkNames: "chunk-[hash]",
  target: ["es2022"],
  nodePaths: [join(web, "node_modules")],
  outdir: dist,
  legalComments: "linked",
  logLevel: "warning",
});
cpSync(join(web, "node_modules/zxing-wasm/dist/reader/zxing_reader.wasm"), join(dist, "zxing_reader.wasm"));
console.log(`built issuer/desk/web/dist/ (${readdirSync(dist).sort().join(", ")})`);
