// Presentation requests ("CKQ1:" challenge codes), as wallet_spec/request.py: decode, check the
// fields, and — with the trust bundle's list of verifiers — check who signed it.
import { pack, unpack } from "./alphanumeric.js";
import { CitykeyError, formatError } from "./errors.js";
import { b64urlEncode, dumpsJson, parseJson, utf8Encode } from "./encoding.js";
import { algAllowed, headerErrors, importPublicKey, parseJws, signatureValid, VerificationFailed } from "./jose.js";
import { parseClaimPath } from "./sdjwt.js";

export const PREFIX = "CKQ1:";
export const REQUEST_TYP = "citykey-request+jwt";
const MAX_REQUEST_CHARS = 2048;
const MAX_BODY = 4096;
const MAX_CLAIMS = 32;
const MAX_AUD_CHARS = 200;
const MAX_NAME_CHARS = 80;
const LEEWAY = 60;
const [UNSIGNED, SIGNED] = [0x00, 0x01];
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const AUD = /^[\x21-\x7e]+$/;
const PRINTABLE = /^(?:[^\p{C}\p{Z}]| )+$/u;

export const DICTIONARY_V1 = utf8Encode(
  '"given_name","family_name","birthdate","address","address.street_address","address.locality",' +
    '"address.postal_code","age_over_13","age_over_16","age_over_18","age_over_21","age_over_55",' +
    '"age_over_62","age_over_65","resident_of"],"exp":17' +
    '{"alg":"ES256","typ":"citykey-request+jwt","kid":"' +
    '{"aud":"https://","nonce":"","claims":["' +
    ',"name":"',
);

export function checkAud(value, what = "the request's") {
  if (typeof value !== "string" || !value.length || value.length > MAX_AUD_CHARS || !AUD.test(value)) {
    throw formatError(`${what} aud must be 1 to ${MAX_AUD_CHARS} printable ASCII characters without spaces`);
  }
  return value;
}

export function checkName(value, what = "the request's") {
  if (typeof value !== "string" || !value.length || [...value].length > MAX_NAME_CHARS || !PRINTABLE.test(value)) {
    throw formatError(`${what} name must be 1 to ${MAX_NAME_CHARS} printable characters`);
  }
  if (value !== value.trim()) throw formatError(`${what} name may not start or end with spaces`);
  return value;
}

function checked(obj) {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw formatError("a request must be a JSON object");
  const aud = checkAud(obj.aud);
  const name = checkName(obj.name);
  const { nonce, claims, exp } = obj;
  if (typeof nonce !== "string" || !NONCE.test(nonce)) throw formatError("the request's nonce must be 16 to 128 base64url characters");
  if (!Number.isSafeInteger(exp) || exp < 0) throw formatError("the request's exp must be a non-negative integer");
  if (!Array.isArray(claims) || !claims.every((c) => typeof c === "string")) throw formatError("the request's claims must be a list of claim paths");
  if (claims.length > MAX_CLAIMS) throw formatError(`a request may ask for at most ${MAX_CLAIMS} claims`);
  if (new Set(claims).size !== claims.length) throw formatError("the request asks for a claim twice");
  for (const c of claims) {
    try {
      parseClaimPath(c);
    } catch (err) {
      throw formatError(err.message);
    }
  }
  return { aud, nonce, claims: [...claims], exp, name };
}

/** The claim paths a verifier may ask for (`may_ask` of the root-signed list), checked like a request's claims. */
export function checkMayAsk(value) {
  if (value === undefined) return []; // an entry with no scope may ask for nothing
  if (!Array.isArray(value) || !value.every((c) => typeof c === "string")) throw formatError("the verifier's may_ask must be a list of claim paths");
  if (value.length > MAX_CLAIMS || new Set(value).size !== value.length) throw formatError("the verifier's may_ask is too long or names a claim twice");
  for (const c of value) {
    try {
      parseClaimPath(c);
    } catch (err) {
      throw formatError(err.message);
    }
  }
  return [...value];
}

/** Whether `mayAsk` covers `claim`: the claim itself or a claim it is part of (`address` covers `address.locality`). */
export function inScope(claim, mayAsk) {
  const path = parseClaimPath(claim);
  return mayAsk.some((allowed) => {
    const a = parseClaimPath(allowed);
    return a.length <= path.length && a.every((part, i) => part === path[i]);
  });
}

/** `request_out_of_scope` for the claims outside what the city lets `signer` ask for (wallet_spec.request.scope_errors). */
export function scopeErrors(claims, signer) {
  const outside = claims.filter((c) => !inScope(c, signer.mayAsk));
  if (!outside.length) return [];
  return [new CitykeyError("request_out_of_scope",
    `the city lets ${signer.name} ask only for ${signer.mayAsk.join(", ")}; this request also asks for ${outside.join(", ")}`)];
}

/**
 * Throw unless the wallet may answer now (wallet_spec.request.check_answerable): a listed verifier
 * only within its scope; an unknown asker only once the holder has accepted that warning.
 */
export function checkAnswerable(request, { allowUnsigned }) {
  const errors = request.signer !== null ? scopeErrors(request.claims, request.signer)
    : allowUnsigned ? [] : [new CitykeyError("request_unsigned", "unknown asker: the city does not vouch for it; answer only if you trust it")];
  if (errors.length) throw new VerificationFailed(errors);
}

function jwsFromBody(body) {
  const parts = [];
  let pos = 1;
  for (let i = 0; i < 3; i++) {
    let length = 0;
    let shift = 0;
    for (;;) {
      if (pos >= body.length) throw formatError("signed request is truncated");
      const byte = body[pos++];
      length |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) {
        if (byte === 0 && shift) throw formatError("signed request has a non-canonical length");
        break;
      }
      shift += 7;
      if (shift > 14) throw formatError("signed request has an impossible length");
    }
    if (length > body.length - pos) throw formatError("signed request is truncated");
    parts.push(b64urlEncode(body.subarray(pos, pos + length)));
    pos += length;
  }
  if (pos !== body.length) throw formatError("signed request has trailing bytes");
  return parts.join(".");
}

/**
 * Read a request and decide whether to answer it (wallet_spec.request.parse_request).
 * `verifiers` is the bundle's list ([{aud, name, jwk, kid, mayAsk}]); without it a signature cannot be
 * checked and `signer` stays null. Throws a `malformed` error for unreadable text, and
 * `VerificationFailed` listing every reason for a request the wallet must not answer.
 */
export async function parseRequest(text, { now, verifiers = null, requireSigned = false }) {
  if (requireSigned && verifiers === null) throw new CitykeyError("usage", "requiring signed requests needs the list of verifiers");
  const body = unpack(text.trim(), {
    prefix: PREFIX, dictionary: DICTIONARY_V1, maxChars: MAX_REQUEST_CHARS, maxBody: MAX_BODY, what: "request",
    notOurs: `not a citykey presentation request (no ${PREFIX} prefix)`,
  });
  if (!body.length) throw formatError("request payload is empty");
  const errors = [];
  let signer = null;
  let request;
  if (body[0] === UNSIGNED) {
    request = checked(parseJson(body.subarray(1), { what: "request" }));
    if (requireSigned) errors.push(new CitykeyError("request_unsigned", "the request is not signed; this wallet answers only listed verifiers"));
  } else if (body[0] === SIGNED) {
    const token = parseJws(jwsFromBody(body), "signed request");
    request = checked(token.payload);
    if (verifiers !== null) {
      errors.push(...headerErrors(token.header, REQUEST_TYP, "signed request"));
      const kid = token.header.kid;
      signer = verifiers.find((v) => typeof kid === "string" && v.kid === kid) || null;
      if (signer === null) {
        errors.push(new CitykeyError("verifier_unknown", "the request is signed by a key the city does not list"));
      } else {
        if (algAllowed(token.header) && !(await signatureValid(token, await importPublicKey(signer.jwk)))) {
          errors.push(new CitykeyError("signature_invalid", "the request's signature does not verify"));
        }
        if (signer.aud !== request.aud) errors.push(new CitykeyError("verifier_unknown", "the request's aud is not the one the city lists for its signer"));
        errors.push(...scopeErrors(request.claims, signer));
      }
    }
  } else {
    throw formatError("request payload has an unknown kind");
  }
  if (now >= request.exp + LEEWAY) errors.push(new CitykeyError("request_expired", "the request has expired; ask the verifier to show a new one"));
  if (errors.length) throw new VerificationFailed(errors);
  return { ...request, signed: body[0] === SIGNED, signer, displayName: signer ? signer.name : request.name };
}

/** An unsigned request's QR text (for tests and the demo). */
export function encodeUnsignedRequest(request) {
  const json = utf8Encode(dumpsJson({ aud: request.aud, nonce: request.nonce, claims: request.claims, exp: request.exp, name: request.name }));
  const body = new Uint8Array(json.length + 1);
  body.set(json, 1);
  return pack(PREFIX, body, DICTIONARY_V1);
}
