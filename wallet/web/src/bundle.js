// The city's trust bundle for the wallet (wallet_spec/bundle.py, keylist.py): the root-signed
// key list checked against the pinned root thumbprint, the bundle's own signature, and what a
// wallet uses from it: the issuer's signing keys and the verifiers the city lists, with the
// claims each may ask for, both from the root-signed key list (never the bundle's own claims).
import { CitykeyError, formatError, tooLarge } from "./errors.js";
import { headerErrors, holdsPrivateKey, importPublicKey, parseJws, signatureValid, thumbprint, VerificationFailed } from "./jose.js";
import { checkAud, checkMayAsk, checkName } from "./request.js";

const MAX_BUNDLE_CHARS = 8 << 20;
/** A city signing key's kid: its RFC 7638 thumbprint's first 8 characters (wallet_spec.keylist.signing_kid). */
const SIGNING_KID = 8;
const isInt = Number.isSafeInteger;

async function verifyKeyList(token, root, now) {
  const parsed = parseJws(token, "key list");
  const errors = headerErrors(parsed.header, "citykey-keylist+jwt", "key list");
  const claims = parsed.payload;
  let rootKey = null;
  try {
    if ((await thumbprint(claims.root)) === root) rootKey = await importPublicKey(claims.root);
  } catch {
    rootKey = null;
  }
  if (rootKey === null) errors.push(new CitykeyError("bundle_invalid", "the key list is not from the pinned root key"));
  else if (!errors.length && !(await signatureValid(parsed, rootKey))) {
    errors.push(new CitykeyError("bundle_invalid", "the key list's root signature does not verify"));
  }
  if (errors.length) throw new VerificationFailed(errors);
  const { iss, iat, exp, keys } = claims;
  const revoked = claims.revoked ?? [];
  if (typeof iss !== "string" || !isInt(iat) || !isInt(exp) || !Array.isArray(keys)) throw formatError("key list is missing iss, iat, exp or keys");
  if (!Array.isArray(revoked) || !revoked.every((k) => typeof k === "string")) throw formatError("key list revoked must be a list of kids");
  const listed = [];
  for (const k of keys) {
    if (!k || typeof k.kid !== "string" || !isInt(k.not_before) || !(k.not_after === null || isInt(k.not_after))) {
      throw formatError("key list entry needs kid, not_before and not_after");
    }
    if ((await thumbprint(k.jwk)).slice(0, SIGNING_KID) !== k.kid) throw formatError("key list entry's kid is not its key's (short) thumbprint");
    listed.push({ kid: k.kid, jwk: k.jwk, notBefore: k.not_before, notAfter: k.not_after });
  }
  const verifiers = [];
  for (const v of claims.verifiers ?? []) {
    if (!v || typeof v !== "object") throw formatError("a verifier entry must be an object");
    if (holdsPrivateKey(v.jwk)) throw formatError("a verifier entry holds a private key");
    verifiers.push({ aud: checkAud(v.aud, "the verifier's"), name: checkName(v.name, "the verifier's"), jwk: v.jwk,
      kid: await thumbprint(v.jwk), mayAsk: checkMayAsk(v.may_ask) });
  }
  if (new Set(verifiers.map((v) => v.kid)).size !== verifiers.length) throw formatError("a verifier key is listed twice");
  if (now >= exp) throw new VerificationFailed([new CitykeyError("bundle_stale", "the root-signed key list has expired")]);
  return { issuer: iss, keys: listed, revoked, verifiers };
}

/** Verify a bundle against the pinned root; returns `{issuer, issuedAt, nextUpdate, keys, revoked, verifiers, text}`. */
export async function loadBundle(text, root, { now }) {
  if (text.length > MAX_BUNDLE_CHARS) throw tooLarge("trust bundle is too large");
  const parsed = parseJws(text.trim(), "trust bundle");
  const claims = parsed.payload;
  if (typeof claims.key_list !== "string") throw formatError("trust bundle has no key_list");
  const keyList = await verifyKeyList(claims.key_list, root, now);
  const errors = headerErrors(parsed.header, "citykey-trust+jwt", "trust bundle");
  const entry = keyList.keys.find((k) => k.kid === parsed.header.kid);
  if (!entry || keyList.revoked.includes(entry.kid)) errors.push(new CitykeyError("bundle_invalid", "the bundle is not signed by a key in its key list"));
  else if (!errors.length && !(await signatureValid(parsed, await importPublicKey(entry.jwk)))) {
    errors.push(new CitykeyError("bundle_invalid", "the bundle's signature does not verify"));
  }
  if (claims.iss !== keyList.issuer) errors.push(new CitykeyError("bundle_invalid", "the bundle's issuer differs from its key list's"));
  if (!isInt(claims.issued_at) || !isInt(claims.next_update)) errors.push(new CitykeyError("bundle_invalid", "the bundle needs integer issued_at and next_update"));
  if (errors.length) throw new VerificationFailed(errors);
  return { issuer: claims.iss, issuedAt: claims.issued_at, nextUpdate: claims.next_update, keys: keyList.keys, revoked: keyList.revoked, verifiers: keyList.verifiers, root };
}

/** The city signing key that may have signed a token with this `kid` and `iat` (wallet_spec.keylist.KeyList.key_for). */
export async function keyFor(bundle, kid, iat) {
  if (typeof kid !== "string" || !kid) throw new CitykeyError("unknown_key", "the token names no signing key");
  if (bundle.revoked.includes(kid)) throw new CitykeyError("key_revoked", "the credential's signing key has been revoked by the city");
  const matches = bundle.keys.filter((k) => kid === k.kid);
  if (matches.length !== 1) throw new CitykeyError("unknown_key", "the credential's signing key is not in the trust bundle");
  const entry = matches[0];
  if (!isInt(iat) || iat < entry.notBefore || (entry.notAfter !== null && iat > entry.notAfter)) {
    throw new CitykeyError("key_not_valid", "the signing key was not valid for signing at the credential's iat");
  }
  return importPublicKey(entry.jwk);
}

/** The signing key for a credential's header and payload (its `kid`, `iat` in the key's window). */
export async function issuerKey(bundle, header, payload) {
  if (payload.iss !== bundle.issuer) throw new CitykeyError("unknown_key", "the credential's issuer is not the one this bundle trusts");
  return keyFor(bundle, header.kid, payload.iat);
}
