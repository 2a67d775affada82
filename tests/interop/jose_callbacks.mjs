// The callbacks oid4vc-ts (@openid4vc/*) asks its caller for, on panva's jose: hashing, randomness,
// signing and verifying JWTs, encrypting and decrypting JWEs, fetch. The library does the protocol
// (what to sign, what to check, in which order); these only do the cryptography with the keys given,
// and refuse every algorithm but ES256 (signatures) and ECDH-ES with A128GCM or A256GCM (encryption).
//
// Keys: `keyring.add(privateJwk)` makes a private key usable, looked up by its public JWK's RFC 7638
// thumbprint when the library asks to sign as, or decrypt for, a public JWK. A JWT signed by the
// "custom" signer method (none of jwk, x5c, did, federation in its header: how oid4vc-ts sees a request
// signed under the `verifier_attestation` client id prefix) is checked by the caller's `trustCustom`,
// which verifies the signature and returns the signer's public JWK, or throws a `Refusal` saying why.

import { createHash, randomBytes } from "node:crypto";
import { clientAuthenticationAnonymous } from "@openid4vc/oauth2";
import {
  CompactEncrypt,
  CompactSign,
  calculateJwkThumbprint,
  compactDecrypt,
  compactVerify,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
} from "jose";
import { Refusal, safeFetch } from "./interop.mjs";

export const SIGNING_ALG = "ES256";
export const KEY_MANAGEMENT_ALG = "ECDH-ES";
export const CONTENT_ENCRYPTION = ["A128GCM", "A256GCM"];
const HASHES = { "sha-256": "sha256", "sha-384": "sha384", "sha-512": "sha512" };

export function publicJwk(jwk) {
  const { d: _d, ...rest } = jwk;
  return rest;
}

export async function thumbprint(jwk) {
  return calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, "sha256");
}

/** Private keys by the thumbprint of their public half. */
export class Keyring {
  constructor() {
    this.keys = new Map();
  }

  async add(privateJwk) {
    this.keys.set(await thumbprint(privateJwk), privateJwk);
    return privateJwk;
  }

  async privateFor(jwk, what) {
    const found = jwk === undefined ? undefined : this.keys.get(await thumbprint(jwk));
    if (found === undefined) throw new Refusal("key", `no private key here for ${what}`);
    return found;
  }
}

/** A new P-256 key pair for `alg` (ES256 or ECDH-ES), as a private JWK (kty, crv, x, y, d). */
export async function newKey(alg = SIGNING_ALG) {
  const { privateKey } = await generateKeyPair(alg, { crv: "P-256", extractable: true });
  const { kty, crv, x, y, d } = await exportJWK(privateKey);
  return { kty, crv, x, y, d };
}

/** Whether a compact JWS verifies with a public JWK (ES256 only). */
export async function verifyCompact(compact, jwk) {
  try {
    await compactVerify(compact, await importJWK({ ...publicJwk(jwk), alg: SIGNING_ALG }, SIGNING_ALG), {
      algorithms: [SIGNING_ALG],
    });
    return true;
  } catch {
    return false;
  }
}

export function callbacks({ keyring, trustCustom }) {
  return {
    fetch: safeFetch,
    hash: (data, alg) => {
      if (!(alg in HASHES)) throw new Refusal("alg", `hash ${alg} is not one of ${Object.keys(HASHES).join(", ")}`);
      return new Uint8Array(createHash(HASHES[alg]).update(data).digest());
    },
    generateRandom: (length) => new Uint8Array(randomBytes(length)),
    clientAuthentication: clientAuthenticationAnonymous(),

    signJwt: async (signer, { header, payload }) => {
      if (signer.alg !== SIGNING_ALG) throw new Refusal("alg", `this signer signs ${SIGNING_ALG} only, not ${signer.alg}`);
      const privateJwk =
        signer.method === "jwk" ? await keyring.privateFor(signer.publicJwk, "the jwk signer") : signer.privateJwk;
      if (privateJwk === undefined) throw new Refusal("key", `no private key for the ${signer.method} signer`);
      // A custom signer may carry header parameters the library has no method for (the Verifier
      // Attestation JWT in `jwt`, OpenID4VP §5.9.3); the library's own header wins on every name it sets.
      const fullHeader = { ...(signer.extraHeader ?? {}), ...header, alg: SIGNING_ALG };
      const key = await importJWK(privateJwk, SIGNING_ALG);
      const jwt = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader(fullHeader)
        .sign(key);
      return { jwt, signerJwk: publicJwk(privateJwk) };
    },

    verifyJwt: async (signer, { compact, header, payload }) => {
      if (header.alg !== SIGNING_ALG) return { verified: false };
      if (signer.method === "jwk") {
        return (await verifyCompact(compact, signer.publicJwk))
          ? { verified: true, signerJwk: signer.publicJwk }
          : { verified: false };
      }
      if (signer.method === "custom" && trustCustom !== undefined) {
        // The caller's trust decision checks the signature itself, so a refusal says which key and why.
        return { verified: true, signerJwk: await trustCustom({ compact, header, payload }) };
      }
      throw new Refusal("signer", `no trust here for a JWT signed by the ${signer.method} method`);
    },

    encryptJwe: async (encryptor, data) => {
      if (encryptor.alg !== KEY_MANAGEMENT_ALG || !CONTENT_ENCRYPTION.includes(encryptor.enc)) {
        const allowed = `${KEY_MANAGEMENT_ALG} with ${CONTENT_ENCRYPTION.join(" or ")}`;
        throw new Refusal("alg", `encryption ${encryptor.alg}/${encryptor.enc} is not ${allowed}`);
      }
      const recipient = encryptor.publicJwk;
      const header = { alg: KEY_MANAGEMENT_ALG, enc: encryptor.enc };
      if (recipient.kid !== undefined) header.kid = recipient.kid;
      if (encryptor.apu !== undefined) header.apu = encryptor.apu;
      if (encryptor.apv !== undefined) header.apv = encryptor.apv;
      const key = await importJWK({ ...publicJwk(recipient), alg: KEY_MANAGEMENT_ALG }, KEY_MANAGEMENT_ALG);
      const jwe = await new CompactEncrypt(new TextEncoder().encode(data)).setProtectedHeader(header).encrypt(key);
      return { jwe, encryptionJwk: recipient };
    },

    decryptJwe: async (jwe, options) => {
      const header = decodeProtectedHeader(jwe);
      if (header.alg !== KEY_MANAGEMENT_ALG || !CONTENT_ENCRYPTION.includes(header.enc)) return { decrypted: false };
      const privateJwk = await keyring.privateFor(options?.jwk, `the JWE's kid ${JSON.stringify(header.kid)}`);
      try {
        const key = await importJWK({ ...privateJwk, alg: KEY_MANAGEMENT_ALG }, KEY_MANAGEMENT_ALG);
        const { plaintext } = await compactDecrypt(jwe, key, {
          keyManagementAlgorithms: [KEY_MANAGEMENT_ALG],
          contentEncryptionAlgorithms: CONTENT_ENCRYPTION,
        });
        return { decrypted: true, decryptionJwk: publicJwk(privateJwk), payload: new TextDecoder().decode(plaintext) };
      } catch {
        return { decrypted: false };
      }
    },
  };
}
