// Compact JWS with ES256 over WebCrypto, P-256 JWKs and their RFC 7638 thumbprints,
// following wallet_spec/jws.py and wallet_spec/jwk.py: one algorithm, the key always given
// by the caller (never read from the token), `crit` refused, signatures raw r||s over the
// exact bytes received.
import { CitykeyError, formatError } from "./errors.js";
import { b64urlDecode, b64urlEncode, dumpsJson, parseJson, utf8Encode } from "./encoding.js";

const ECDSA = { name: "ECDSA", namedCurve: "P-256" };
const SIGN = { name: "ECDSA", hash: "SHA-256" };
const SIG_LEN = 64;

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** The SD-JWT digest: SHA-256 over the ASCII text, base64url. */
export async function sha256B64url(text) {
  return b64urlEncode(await sha256(utf8Encode(text)));
}

function coordinate(jwk, name) {
  const value = jwk[name];
  if (typeof value !== "string") throw new CitykeyError("key_invalid", `JWK member ${name} is missing`);
  let raw;
  try {
    raw = b64urlDecode(value, `JWK member ${name}`);
  } catch {
    throw new CitykeyError("key_invalid", `JWK member ${name} is not base64url`);
  }
  if (raw.length !== 32) throw new CitykeyError("key_invalid", `JWK member ${name} must be 32 bytes`);
  return value;
}

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

/** Whether a JWK carries private or secret material: where only a public key belongs, refuse it, never trim it. */
export const holdsPrivateKey = (jwk) => jwk !== null && typeof jwk === "object" && !Array.isArray(jwk) && PRIVATE_MEMBERS.some((m) => Object.hasOwn(jwk, m));

/** The public JWK with exactly the RFC 7638 members, checked to be P-256. */
export function publicJwk(jwk) {
  if (!jwk || typeof jwk !== "object" || jwk.kty !== "EC" || jwk.crv !== "P-256") {
    throw new CitykeyError("key_invalid", "only EC P-256 keys are accepted");
  }
  return { kty: "EC", crv: "P-256", x: coordinate(jwk, "x"), y: coordinate(jwk, "y") };
}

export async function importPublicKey(jwk) {
  const { kty, crv, x, y } = publicJwk(jwk);
  try {
    return await crypto.subtle.importKey("jwk", { kty, crv, x, y, ext: true }, ECDSA, false, ["verify"]);
  } catch {
    throw new CitykeyError("key_invalid", "JWK point is not on P-256");
  }
}

export async function thumbprint(jwk) {
  const { crv, kty, x, y } = publicJwk(jwk);
  return b64urlEncode(await sha256(utf8Encode(dumpsJson({ crv, kty, x, y }))));
}

/** A new holder key: the private half cannot be exported, only used to sign. */
export async function generateKey() {
  const pair = await crypto.subtle.generateKey(ECDSA, false, ["sign", "verify"]);
  const jwk = publicJwk(await crypto.subtle.exportKey("jwk", pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, jwk, kid: await thumbprint(jwk) };
}

export function parseJws(text, what = "JWT") {
  const parts = typeof text === "string" ? text.split(".") : [];
  if (parts.length !== 3 || !parts.every(Boolean)) throw formatError(`${what} is not a compact JWS (header.payload.signature)`);
  const header = parseJson(b64urlDecode(parts[0], `${what} header`), { what: `${what} header` });
  const payload = parseJson(b64urlDecode(parts[1], `${what} payload`), { what: `${what} payload` });
  const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObject(header) || !isObject(payload)) throw formatError(`${what} header and payload must be JSON objects`);
  return { header, payload, signingInput: utf8Encode(`${parts[0]}.${parts[1]}`), signature: b64urlDecode(parts[2], `${what} signature`) };
}

const normalTyp = (t) => t.toLowerCase().replace(/^application\//, "");

export const algAllowed = (header) => header.alg === "ES256";

/** Every problem with `alg`, `typ` and `crit`, as error codes. */
export function headerErrors(header, typ, what = "JWT") {
  const found = [];
  if (!algAllowed(header)) found.push(new CitykeyError("alg_not_allowed", `${what} alg is not allowed`));
  if (typ !== null && (typeof header.typ !== "string" || normalTyp(header.typ) !== normalTyp(typ))) {
    found.push(new CitykeyError("typ_invalid", `${what} typ must be ${typ}`));
  }
  if ("crit" in header) found.push(new CitykeyError("header_invalid", `${what} has a crit header, which is not supported`));
  return found;
}

export async function signatureValid(jws, key) {
  if (jws.signature.length !== SIG_LEN) return false;
  return crypto.subtle.verify(SIGN, key, jws.signature, jws.signingInput);
}

/** Sign with ES256; `alg` is set here so no caller can pick another. */
export async function signJws(header, payload, privateKey) {
  const full = { alg: "ES256", ...Object.fromEntries(Object.entries(header).filter(([k]) => k !== "alg")) };
  const input = `${b64urlEncode(utf8Encode(dumpsJson(full)))}.${b64urlEncode(utf8Encode(dumpsJson(payload)))}`;
  const signature = new Uint8Array(await crypto.subtle.sign(SIGN, privateKey, utf8Encode(input)));
  return `${input}.${b64urlEncode(signature)}`;
}

export class VerificationFailed extends CitykeyError {
  constructor(errors) {
    super("verification_failed", errors.map((e) => e.message).join("; "));
    this.errors = errors;
  }
}
