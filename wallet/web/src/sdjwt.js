// SD-JWT (RFC 9901) for the holder: parse, unfold disclosures, select by claim path, and
// bind to a verifier with a KB-JWT, as wallet_spec/sdjwt.py, present.py and keybinding.py.
import { CitykeyError, formatError, tooLarge } from "./errors.js";
import { b64urlDecode, parseJson } from "./encoding.js";
import { parseJws, sha256B64url, signJws } from "./jose.js";

export const MAX_LENGTH = 65536;
export const MAX_DISCLOSURES = 256;
const COMPACT = /^[A-Za-z0-9_\-.~]*$/;
const RESERVED = new Set(["_sd", "..."]);

export async function parseDisclosure(encoded) {
  let array;
  try {
    array = parseJson(b64urlDecode(encoded, "disclosure"), { what: "disclosure" });
  } catch (err) {
    throw new CitykeyError("disclosure_malformed", err.message);
  }
  if (!Array.isArray(array) || (array.length !== 2 && array.length !== 3)) {
    throw new CitykeyError("disclosure_malformed", "disclosure must be a JSON array of 2 or 3 elements");
  }
  if (typeof array[0] !== "string") throw new CitykeyError("disclosure_malformed", "disclosure salt must be a string");
  if (array.length === 3 && typeof array[1] !== "string") {
    throw new CitykeyError("disclosure_malformed", "disclosure claim name must be a string");
  }
  const [name, value] = array.length === 3 ? [array[1], array[2]] : [null, array[1]];
  return { encoded, salt: array[0], name, value, digest: await sha256B64url(encoded) };
}

/** `{jwt, disclosures, kbJwt}` of a compact SD-JWT, checked for size and alphabet before decoding. */
export async function parseSdJwt(text) {
  if (text.length > MAX_LENGTH) throw tooLarge(`SD-JWT is longer than ${MAX_LENGTH} characters`);
  if (!COMPACT.test(text)) throw formatError("SD-JWT has characters outside base64url, '.' and '~'");
  const parts = text.split("~");
  if (parts.length < 2 || !parts[0]) throw formatError("SD-JWT must be <jwt>~[<disclosure>~…][<kb-jwt>]");
  if (parts.length - 2 > MAX_DISCLOSURES) throw tooLarge(`SD-JWT has more than ${MAX_DISCLOSURES} disclosures`);
  const middle = parts.slice(1, -1);
  if (!middle.every(Boolean)) throw formatError("SD-JWT has an empty disclosure (two '~' in a row)");
  const disclosures = await Promise.all(middle.map(parseDisclosure));
  return { jwt: parts[0], disclosures, kbJwt: parts[parts.length - 1] || null };
}

export const sdPart = (sd) => [sd.jwt, "~", ...sd.disclosures.map((d) => d.encoded + "~")].join("");
export const serialize = (sd) => sdPart(sd) + (sd.kbJwt || "");
export const payloadOf = (sd) => parseJws(sd.jwt, "issuer-signed JWT").payload;

/** Replace digests by the claims their disclosures carry (RFC 9901 §7.1 steps 3–5). */
export function unfold(payload, disclosures) {
  const byDigest = new Map(disclosures.map((d) => [d.digest, d]));
  const errors = [];
  if (byDigest.size !== disclosures.length) errors.push("disclosure_duplicate");
  const seen = new Set();
  const references = new Map();
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

  const take = (digest, path, parent) => {
    if (seen.has(digest)) {
      errors.push("digest_duplicate");
      return null;
    }
    seen.add(digest);
    const d = byDigest.get(digest);
    if (d) references.set(digest, { path, parent });
    return d || null;
  };
  const value = (v, path, parent) => (Array.isArray(v) ? array(v, path, parent) : isObject(v) ? object(v, path, parent) : v);
  const object = (node, path, parent) => {
    const out = Object.create(null);
    for (const [name, v] of Object.entries(node)) {
      if (name === "_sd") continue;
      if (name === "...") {
        errors.push("sd_invalid");
        continue;
      }
      out[name] = value(v, [...path, name], parent);
    }
    const digests = node._sd;
    if (digests === undefined) return out;
    if (!Array.isArray(digests) || !digests.every((d) => typeof d === "string")) {
      errors.push("sd_invalid");
      return out;
    }
    for (const digest of digests) {
      const d = take(digest, path, parent);
      if (!d) continue;
      if (d.name === null) errors.push("disclosure_kind_mismatch");
      else if (RESERVED.has(d.name)) errors.push("disclosure_name_reserved");
      else if (Object.hasOwn(out, d.name) || Object.hasOwn(node, d.name)) errors.push("claim_overwrite");
      else {
        references.set(digest, { path: [...path, d.name], parent });
        out[d.name] = value(d.value, [...path, d.name], digest);
      }
    }
    return out;
  };
  const array = (items, path, parent) => {
    const out = [];
    for (const item of items) {
      if (isObject(item) && "..." in item) {
        const digest = item["..."];
        if (Object.keys(item).length !== 1 || typeof digest !== "string") {
          errors.push("sd_invalid");
          continue;
        }
        const here = [...path, out.length];
        const d = take(digest, here, parent);
        if (!d) continue;
        if (d.name !== null) {
          errors.push("disclosure_kind_mismatch");
          continue;
        }
        out.push(value(d.value, here, digest));
      } else {
        out.push(value(item, [...path, out.length], parent));
      }
    }
    return out;
  };
  const claims = object(payload, [], null);
  delete claims._sd_alg;
  return { claims, references, errors };
}

/** `address.locality` → ["address", "locality"]; digits index arrays. */
export function parseClaimPath(text) {
  if (typeof text !== "string" || !text || text.split(".").some((p) => !p)) {
    throw new CitykeyError("usage", `claim path ${JSON.stringify(text)} is empty or has an empty segment`);
  }
  return text.split(".").map((p) => (/^[0-9]+$/.test(p) ? Number(p) : p));
}

export function hasClaim(claims, path) {
  let node = claims;
  for (const step of path) {
    if (Array.isArray(node) && typeof step === "number" && step >= 0 && step < node.length) node = node[step];
    else if (node !== null && typeof node === "object" && !Array.isArray(node) && typeof step === "string" && Object.hasOwn(node, step)) node = node[step];
    else return false;
  }
  return true;
}

/** The credential with only the disclosures needed to reveal `paths` (and their parents). */
export function select(credential, paths) {
  const { claims, references } = unfold(payloadOf(credential), credential.disclosures);
  for (const path of paths) {
    if (!hasClaim(claims, path)) throw new CitykeyError("claim_not_found", `the credential has no claim ${path.join(".")}`);
  }
  const keep = new Set();
  for (const [digest, ref] of references) {
    for (const path of paths) {
      const n = Math.min(path.length, ref.path.length);
      if (path.slice(0, n).every((step, i) => step === ref.path[i])) {
        keep.add(digest);
        break;
      }
    }
  }
  return { jwt: credential.jwt, disclosures: credential.disclosures.filter((d) => keep.has(d.digest)), kbJwt: null };
}

/** A KB-JWT over `<jwt>~<d1>~…~` for one verifier and one nonce. */
export async function createKbJwt(sdPartText, privateKey, { nonce, aud, iat }) {
  const payload = { iat, aud, nonce, sd_hash: await sha256B64url(sdPartText) };
  return signJws({ typ: "kb+jwt" }, payload, privateKey);
}

/** Select `paths` and bind them to `aud` and `nonce` with the holder key. */
export async function present(credential, paths, { privateKey, nonce, aud, iat }) {
  if (credential.kbJwt) throw new CitykeyError("usage", "a credential to present must not already carry a KB-JWT");
  if (!nonce || !aud) throw new CitykeyError("usage", "key binding needs both a nonce and an audience");
  const chosen = select(credential, paths);
  const part = sdPart(chosen);
  return part + (await createKbJwt(part, privateKey, { nonce, aud, iat }));
}
