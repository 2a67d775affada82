// Compact JWE with ECDH-ES on P-256, the one encryption citykey makes (wallet_spec/jwe.py's
// `encrypt`): OpenID4VP's `direct_post.jwt` answer, encrypted to the key the verifier made for one
// transaction. The JOSE work is panva's `jose` (CompactEncrypt over WebCrypto); the rules around it
// are ours: `enc` from the allow-list, the recipient a public ECDH-ES key for encryption, its `kid`
// copied into the header, the payload written as the city's compact JSON.
import { CompactEncrypt, importJWK } from "jose";
import { CitykeyError, formatError } from "./errors.js";
import { dumpsJson, utf8Encode } from "./encoding.js";
import { holdsPrivateKey, publicJwk } from "./jose.js";

export const ALG = "ECDH-ES";
/** Content encryption accepted, in the order a sender prefers them. */
export const ENC_VALUES = ["A128GCM", "A256GCM"];
export const DEFAULT_ENC = "A128GCM";

/** `payload` as JSON, encrypted to `recipient` (a public P-256 JWK with `alg` ECDH-ES); its `kid` is copied. */
export async function encrypt(payload, recipient, { enc = DEFAULT_ENC } = {}) {
  if (!ENC_VALUES.includes(enc)) throw new CitykeyError("alg_not_allowed", `content encryption '${enc}' is not one of ${ENC_VALUES.join(", ")}`);
  if (recipient.alg !== ALG || holdsPrivateKey(recipient) || (Object.hasOwn(recipient, "use") ? recipient.use : "enc") !== "enc") {
    throw formatError(`the response encryption key must be a public ${ALG} key for encryption`);
  }
  let key;
  try {
    key = await importJWK({ ...publicJwk(recipient), ext: true }, ALG);
  } catch (err) {
    if (err instanceof CitykeyError) throw err;
    throw new CitykeyError("key_invalid", "JWK point is not on P-256");
  }
  const header = { alg: ALG, enc };
  if (typeof recipient.kid === "string") header.kid = recipient.kid;
  return new CompactEncrypt(utf8Encode(dumpsJson(payload))).setProtectedHeader(header).encrypt(key);
}
