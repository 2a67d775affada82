#!/usr/bin/env node
// A verifier that knows nothing of citykey: it checks an SD-JWT VC with the OpenWallet Foundation's
// sd-jwt-js (@sd-jwt/sd-jwt-vc, pinned in package-lock.json) and what the credential's issuer publishes.
//
//   node sd_jwt_vc_verify.mjs [--vct VCT]... [--nonce N --aud A] [--now SECONDS] < credential
//
// The credential (an SD-JWT, or an SD-JWT+KB) comes on standard input. One JSON verdict goes to
// standard output (interop.mjs):
//   {"accepted": true, "claims": {...}, "issuer": ..., "kid": ..., "metadata": URL, "status": 0, ...}
//   {"accepted": false, "by": WHO, "rule": RULE, "error": MESSAGE}
// What the library checks and what this script adds on top (the rules `alg`, `typ`, `kid`, `status`,
// `disclosure`, `vct`, `key-binding`, `issuer-metadata`) is in sd_jwt_vc.mjs.

import { readFileSync } from "node:fs";
import { Usage, main } from "./interop.mjs";
import { verifyCredential } from "./sd_jwt_vc.mjs";

function parseArgs(argv) {
  const found = { vcts: [], nonce: undefined, aud: undefined, now: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (!["--vct", "--nonce", "--aud", "--now"].includes(name) || value === undefined) {
      throw new Usage(`unknown argument or missing value: ${name}`);
    }
    if (name === "--vct") found.vcts.push(value);
    if (name === "--nonce") found.nonce = value;
    if (name === "--aud") found.aud = value;
    if (name === "--now") {
      if (!/^\d+$/.test(value)) throw new Usage("--now takes seconds since the epoch");
      found.now = Number(value);
    }
  }
  if ((found.nonce === undefined) !== (found.aud === undefined)) {
    throw new Usage("--nonce and --aud go together: key binding is checked against both");
  }
  return found;
}

await main("sd_jwt_vc_verify.mjs", async () => {
  const options = parseArgs(process.argv.slice(2));
  const text = readFileSync(0, "utf8").trim();
  if (!text) throw new Usage("no credential on standard input");
  return verifyCredential(text, options);
});
