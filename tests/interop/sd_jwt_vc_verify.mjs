#!/usr/bin/env node
// A verifier that knows nothing of citykey: it checks an SD-JWT VC with the OpenWallet Foundation's
// sd-jwt-js (@sd-jwt/sd-jwt-vc, pinned in package-lock.json) and what the credential's issuer publishes.
//
//   node sd_jwt_vc_verify.mjs [--vct VCT]... [--nonce N --aud A] [--now SECONDS] < credential
//
// The credential (an SD-JWT, or an SD-JWT+KB) comes on standard input. One JSON object goes to
// standard output:
//   {"accepted": true, "claims": {...}, "issuer": ..., "kid": ..., "metadata": URL, "status": 0, ...}
//   {"accepted": false, "by": WHO, "rule": RULE, "error": MESSAGE}
// `by` is the library (its error message, unchanged) or this script, for the rules the library leaves
// to its caller (listed below). Exit codes: 0 accepted, 1 refused, 2 the command itself is wrong.
//
// What the library does (sd-jwt-js 0.19.0): the issuer signature through the verifier callback it is
// given, `iat`/`nbf`/`exp` against `--now`, disclosure digests and claim reconstruction, the KB-JWT
// (typ, iat, nonce, sd_hash, signature by `cnf.jwk`) when a nonce is expected, and the status: it
// fetches `status.status_list.uri` itself (Accept and content type `application/statuslist+jwt`),
// verifies that token through the status verifier callback and its `exp`, and refuses a status other
// than 0 ("Status is not valid").
//
// What it leaves to its caller, done here, each by the rule of the spec that says so:
//   - where the issuer's key comes from (SD-JWT VC, "JWT VC Issuer Metadata"): `/.well-known/jwt-vc-issuer`
//     inserted between the host and the path of `iss`, the metadata's `issuer` identical to `iss`, the key
//     the JWK of `jwks` (or `jwks_uri`) whose `kid` equals the JWS header's `kid`. The library has no
//     resolver of its own (its callback gets the signing input and the signature, nothing else), so this
//     script is that resolver. The spec's `iss` is an https URL; http is taken only for a loopback host,
//     where the tests serve the city.
//   - the algorithm (RFC 9901 §7.1: the issuer's `alg` must be one the verifier accepts): ES256 only.
//   - `typ` `dc+sd-jwt` on the credential (SD-JWT VC) and `statuslist+jwt` on the status list token, whose
//     `sub` must be the URI it was fetched from (Token Status List, validating a Referenced Token).
//   - every disclosure referenced by a digest (RFC 9901 §7.1): sd-jwt-js 0.19.0 drops an unreferenced one
//     silently, so a tampered disclosure would vanish from the claims instead of being refused.
//   - `vct` a string, and one of `--vct` when given; the KB-JWT's `aud` equal to `--aud`.

import { readFileSync } from "node:fs";
import { ES256, digest } from "@sd-jwt/crypto-nodejs";
import { createHashMapping, decodeSdJwt, getSDAlgAndPayload, unpack } from "@sd-jwt/decode";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";

const ACCEPTED = 0;
const REFUSED = 1;
const USAGE = 2;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const FETCH_TIMEOUT_MS = 10_000;
const LIBRARY = (() => {
  const url = new URL("./node_modules/@sd-jwt/sd-jwt-vc/package.json", import.meta.url);
  return `@sd-jwt/sd-jwt-vc@${JSON.parse(readFileSync(url, "utf8")).version}`;
})();
const SCRIPT = "sd_jwt_vc_verify.mjs";

/** A rule this script enforces on top of the library. */
class Refusal extends Error {
  constructor(rule, message) {
    super(message);
    this.rule = rule;
  }
}

function finish(code, result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = code;
}

function parseArgs(argv) {
  const options = { vcts: [], nonce: undefined, aud: undefined, now: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    const name = argv[i];
    const value = argv[i + 1];
    if (!["--vct", "--nonce", "--aud", "--now"].includes(name) || value === undefined) {
      throw new Error(`unknown argument or missing value: ${name}`);
    }
    i += 1;
    if (name === "--vct") options.vcts.push(value);
    if (name === "--nonce") options.nonce = value;
    if (name === "--aud") options.aud = value;
    if (name === "--now") {
      if (!/^\d+$/.test(value)) throw new Error("--now takes seconds since the epoch");
      options.now = Number(value);
    }
  }
  if ((options.nonce === undefined) !== (options.aud === undefined)) {
    throw new Error("--nonce and --aud go together: key binding is checked against both");
  }
  return options;
}

/** SD-JWT VC, "JWT VC Issuer Metadata": the well-known segment between the host and the path of `iss`. */
function metadataUrl(iss) {
  let url;
  try {
    url = new URL(iss);
  } catch {
    throw new Refusal("issuer-metadata", `iss is not a URL: ${JSON.stringify(iss)}`);
  }
  const local = url.protocol === "http:" && LOOPBACK.has(url.hostname);
  if (url.protocol !== "https:" && !local) {
    throw new Refusal("issuer-metadata", `iss must be an https URL to resolve its metadata: ${iss}`);
  }
  if (url.search || url.hash) {
    throw new Refusal("issuer-metadata", `iss may carry no query or fragment: ${iss}`);
  }
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return `${url.origin}/.well-known/jwt-vc-issuer${path}`;
}

async function getJson(url, what) {
  let response;
  try {
    response = await fetch(url, { redirect: "error", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    throw new Refusal("issuer-metadata", `cannot fetch ${what} at ${url}: ${error.cause?.message ?? error.message}`);
  }
  if (!response.ok) throw new Refusal("issuer-metadata", `${what} at ${url} answered HTTP ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new Refusal("issuer-metadata", `${what} at ${url} is not JSON`);
  }
}

async function issuerKeys(iss) {
  const url = metadataUrl(iss);
  const metadata = await getJson(url, "the issuer metadata");
  if (metadata?.issuer !== iss) {
    throw new Refusal("issuer-metadata", `the metadata at ${url} names issuer ${JSON.stringify(metadata?.issuer)}, not ${iss}`);
  }
  let jwks = metadata.jwks;
  if (jwks === undefined && typeof metadata.jwks_uri === "string") jwks = await getJson(metadata.jwks_uri, "the JWKS");
  if (!Array.isArray(jwks?.keys)) throw new Refusal("issuer-metadata", `the metadata at ${url} has no JWK set`);
  return { url, keys: jwks.keys };
}

function decodePart(part) {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

/**
 * The library's verifier callback: (signing input, signature) -> boolean. The key is the JWK of the
 * issuer's metadata whose kid is the header's; `check` sees the header and payload first.
 */
function signedBy(metadata, check) {
  return async (data, signature) => {
    const [headerPart, payloadPart] = data.split(".");
    const header = decodePart(headerPart);
    check(header, decodePart(payloadPart));
    if (header.alg !== "ES256") throw new Refusal("alg", `alg ${JSON.stringify(header.alg)} is not ES256`);
    const jwk = metadata.keys.find((k) => k.kid === header.kid);
    if (jwk === undefined) {
      const published = metadata.keys.map((k) => k.kid).join(", ");
      throw new Refusal(
        "kid",
        `no key with kid ${JSON.stringify(header.kid)} in the issuer metadata at ${metadata.url} (it lists: ${published})`,
      );
    }
    return (await ES256.getVerifier(jwk))(data, signature);
  };
}

function expectTyp(typ) {
  return (header) => {
    if (header.typ !== typ) throw new Refusal("typ", `typ ${JSON.stringify(header.typ)} is not ${typ}`);
  };
}

/** RFC 9901 §7.1: a disclosure whose digest no `_sd` or `...` references makes the SD-JWT invalid. */
async function checkEveryDisclosureReferenced(decoded) {
  const { _sd_alg: alg } = getSDAlgAndPayload(decoded.jwt.payload);
  const byDigest = await createHashMapping(decoded.disclosures, { hasher: digest, alg });
  if (Object.keys(byDigest).length !== decoded.disclosures.length) {
    throw new Refusal("disclosure", "the same disclosure is presented twice");
  }
  const { disclosureKeymap } = await unpack(decoded.jwt.payload, decoded.disclosures, digest);
  const referenced = new Set(Object.values(disclosureKeymap));
  const loose = Object.entries(byDigest).filter(([d]) => !referenced.has(d));
  if (loose.length > 0) {
    const names = loose.map(([, disclosure]) => JSON.stringify(disclosure.key ?? "(array element)")).join(", ");
    throw new Refusal("disclosure", `${loose.length} disclosure(s) referenced by no digest of the credential: ${names}`);
  }
}

async function verifyCredential(text, options) {
  const decoded = await decodeSdJwt(text, digest).catch((error) => {
    throw new Refusal("format", `not an SD-JWT: ${error.message}`);
  });
  const iss = decoded.jwt.payload.iss;
  const metadata = await issuerKeys(iss);
  const statusUri = decoded.jwt.payload.status?.status_list?.uri;

  const instance = new SDJwtVcInstance({
    hasher: digest,
    verifier: signedBy(metadata, expectTyp("dc+sd-jwt")),
    statusVerifier: signedBy(metadata, (header, payload) => {
      expectTyp("statuslist+jwt")(header);
      if (payload.sub !== statusUri) {
        throw new Refusal("status", `the status list token's sub ${JSON.stringify(payload.sub)} is not ${statusUri}`);
      }
    }),
    kbVerifier: async (data, signature, payload) => {
      const jwk = payload?.cnf?.jwk;
      if (jwk === undefined) throw new Refusal("key-binding", "the credential has no cnf.jwk to bind to");
      if (decodePart(data.split(".")[0]).alg !== "ES256") throw new Refusal("alg", "the KB-JWT is not ES256");
      return (await ES256.getVerifier(jwk))(data, signature);
    },
  });
  const verified = await instance.verify(text, {
    currentDate: options.now,
    keyBindingNonce: options.nonce,
  });

  await checkEveryDisclosureReferenced(decoded);
  const claims = verified.payload;
  if (typeof claims.vct !== "string") throw new Refusal("vct", "vct must be a string");
  if (options.vcts.length > 0 && !options.vcts.includes(claims.vct)) {
    throw new Refusal("vct", `vct ${claims.vct} is not one this verifier accepts (${options.vcts.join(", ")})`);
  }
  if (options.aud !== undefined && verified.kb?.payload?.aud !== options.aud) {
    throw new Refusal("key-binding", `the KB-JWT's aud ${JSON.stringify(verified.kb?.payload?.aud)} is not ${options.aud}`);
  }
  return {
    accepted: true,
    library: LIBRARY,
    issuer: iss,
    kid: verified.header.kid,
    metadata: metadata.url,
    status_uri: statusUri ?? null,
    status: statusUri === undefined ? null : 0,
    key_binding: verified.kb !== undefined,
    claims,
  };
}

async function main() {
  let options;
  let text;
  try {
    options = parseArgs(process.argv.slice(2));
    text = readFileSync(0, "utf8").trim();
    if (!text) throw new Error("no credential on standard input");
  } catch (error) {
    finish(USAGE, { accepted: false, by: SCRIPT, rule: "usage", error: error.message });
    return;
  }
  try {
    finish(ACCEPTED, await verifyCredential(text, options));
  } catch (error) {
    if (error instanceof Refusal) {
      finish(REFUSED, { accepted: false, by: SCRIPT, rule: error.rule, error: error.message });
    } else {
      // The library's own refusals (SDJWTException, SLException) and whatever it let through from a callback.
      finish(REFUSED, { accepted: false, by: LIBRARY, rule: error.name ?? "Error", error: error.message });
    }
  }
}

await main();
