// Verifying an SD-JWT VC with the OpenWallet Foundation's sd-jwt-js (@sd-jwt/sd-jwt-vc, pinned in
// package-lock.json), from what the credential's issuer publishes: the one implementation every script
// of tests/interop uses (sd_jwt_vc_verify.mjs on its own, openid4vp_verifier.mjs for each presentation,
// openid4vci_receive.mjs for each credential received).
//
// What the library does (sd-jwt-js 0.19.0): the issuer signature through the verifier callback it is
// given, `iat`/`nbf`/`exp` against `now`, disclosure digests and claim reconstruction, the KB-JWT
// (typ, iat present, nonce, sd_hash, signature by `cnf.jwk`) when a nonce is expected, and the status: it
// fetches `status.status_list.uri` itself (Accept and content type `application/statuslist+jwt`),
// verifies that token through the status verifier callback and its `exp`, and refuses a status other
// than 0 ("Status is not valid").
//
// What it leaves to its caller, done here, each by the rule of the spec that says so (the `rule` of a
// refusal in brackets):
//   - [issuer-metadata, kid] where the issuer's key comes from (SD-JWT VC, "JWT VC Issuer Metadata"):
//     `/.well-known/jwt-vc-issuer` inserted between the host and the path of `iss`, the metadata's `issuer`
//     identical to `iss`, the key the JWK of `jwks` (or `jwks_uri`) whose `kid` equals the JWS header's
//     `kid`. The library has no resolver of its own (its callback gets the signing input and the
//     signature, nothing else), so this module is that resolver. The spec's `iss` is an https URL; http is
//     taken only for a loopback host, where the tests serve the city.
//   - [alg] the algorithm (RFC 9901 §7.1: the issuer's `alg` must be one the verifier accepts): ES256 only.
//   - [typ, status] `typ` `dc+sd-jwt` on the credential (SD-JWT VC) and `statuslist+jwt` on the status list
//     token, whose `sub` must be the URI it was fetched from (Token Status List, validating a Referenced Token).
//   - [disclosure] every disclosure referenced by a digest (RFC 9901 §7.1): sd-jwt-js 0.19.0 drops an
//     unreferenced one silently, so a tampered disclosure would vanish from the claims instead of being refused.
//   - [vct] `vct` a string, and one of those expected when some are.
//   - [key-binding] the KB-JWT's `aud` equal to the expected one, and its `iat` within `KB_MAX_AGE` seconds of
//     now (RFC 9901 §7.3: "within an acceptable window"; the library only requires an `iat`).

import { ES256, digest } from "@sd-jwt/crypto-nodejs";
import { createHashMapping, decodeSdJwt, getSDAlgAndPayload, unpack } from "@sd-jwt/decode";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";
import { LOOPBACK, Refusal, by, decodePart, getJson, library } from "./interop.mjs";

export const SD_JWT_LIBRARY = library("@sd-jwt/sd-jwt-vc");
export const KB_MAX_AGE = 300;
const KB_FUTURE_LEEWAY = 60;
const NOT_DISCLOSED = new Set(["iss", "iat", "exp", "nbf", "vct", "status", "cnf", "_sd_alg"]);

/** What a presentation shows of its holder: every top-level claim but the credential's own (iss, vct, cnf...). */
export function shownNames(claims) {
  return Object.keys(claims).filter((name) => !NOT_DISCLOSED.has(name)).sort();
}

/** SD-JWT VC, "JWT VC Issuer Metadata": the well-known segment between the host and the path of `iss`. */
export function metadataUrl(iss) {
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

export async function issuerKeys(iss) {
  const url = metadataUrl(iss);
  const metadata = await getJson(url, "the issuer metadata", "issuer-metadata");
  if (metadata?.issuer !== iss) {
    const named = JSON.stringify(metadata?.issuer);
    throw new Refusal("issuer-metadata", `the metadata at ${url} names issuer ${named}, not ${iss}`);
  }
  let jwks = metadata.jwks;
  if (jwks === undefined && typeof metadata.jwks_uri === "string") {
    jwks = await getJson(metadata.jwks_uri, "the JWKS", "issuer-metadata");
  }
  if (!Array.isArray(jwks?.keys)) throw new Refusal("issuer-metadata", `the metadata at ${url} has no JWK set`);
  return { url, keys: jwks.keys };
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

/**
 * The claims of an SD-JWT VC (or SD-JWT+KB) that sd-jwt-js and the rules above accept, or a refusal.
 * `options`: `vcts` (accepted types; any when empty), `nonce` and `aud` (key binding expected, together),
 * `now` (seconds; the clock by default).
 */
export async function verifyCredential(text, { vcts = [], nonce, aud, now } = {}) {
  if ((nonce === undefined) !== (aud === undefined)) {
    throw new Error("nonce and aud go together: key binding is checked against both");
  }
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
  const verified = await by(SD_JWT_LIBRARY, () => instance.verify(text, { currentDate: now, keyBindingNonce: nonce }));

  await checkEveryDisclosureReferenced(decoded);
  const claims = verified.payload;
  if (typeof claims.vct !== "string") throw new Refusal("vct", "vct must be a string");
  if (vcts.length > 0 && !vcts.includes(claims.vct)) {
    throw new Refusal("vct", `vct ${claims.vct} is not one this verifier accepts (${vcts.join(", ")})`);
  }
  if (aud !== undefined && verified.kb?.payload?.aud !== aud) {
    throw new Refusal("key-binding", `the KB-JWT's aud ${JSON.stringify(verified.kb?.payload?.aud)} is not ${aud}`);
  }
  if (nonce !== undefined) {
    const iat = verified.kb?.payload?.iat;
    const at = now ?? Math.floor(Date.now() / 1000);
    if (!Number.isInteger(iat) || iat < at - KB_MAX_AGE || iat > at + KB_FUTURE_LEEWAY) {
      throw new Refusal("key-binding", `the KB-JWT's iat ${iat} is not within ${KB_MAX_AGE} s of now (${at})`);
    }
  }
  return {
    library: SD_JWT_LIBRARY,
    issuer: iss,
    kid: verified.header.kid,
    metadata: metadata.url,
    status_uri: statusUri ?? null,
    status: statusUri === undefined ? null : 0,
    key_binding: verified.kb !== undefined,
    kb: verified.kb?.payload ?? null,
    claims,
  };
}

