// Selection and key binding with WebCrypto, on the city's conformance credentials (wallet_spec/vectors/issuance.json).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { b64urlJson } from "../src/encoding.js";
import { generateKey, importPublicKey, parseJws, sha256B64url, signatureValid, thumbprint } from "../src/jose.js";
import { decode, encode } from "../src/qr.js";
import { parseSdJwt, payloadOf, present, sdPart, select, unfold } from "../src/sdjwt.js";

const issuance = JSON.parse(readFileSync(new URL("../../../wallet_spec/vectors/issuance.json", import.meta.url), "utf8"));
const credentialText = issuance.cases[0].expected.sd_jwt;

test("the issuer's signature verifies with WebCrypto over the exact bytes", async () => {
  const sd = await parseSdJwt(credentialText);
  const key = await importPublicKey(issuance.issuer_public_jwk);
  assert.equal(await signatureValid(parseJws(sd.jwt), key), true);
  const tampered = parseJws(sd.jwt);
  tampered.signingInput[5] ^= 1;
  assert.equal(await signatureValid(tampered, key), false);
});

test("disclosure digests are Python's", async () => {
  const sd = await parseSdJwt(credentialText);
  assert.deepEqual(sd.disclosures.map((d) => d.digest), issuance.cases[0].expected.disclosures.map((d) => d.digest));
});

test("unfolding shows every claim; selecting a nested claim keeps its parent", async () => {
  const sd = await parseSdJwt(credentialText);
  const { claims, errors } = unfold(payloadOf(sd), sd.disclosures);
  assert.deepEqual(errors, []);
  assert.equal(typeof claims.given_name, "string");
  const chosen = select(sd, [["address", "locality"]]);
  const names = chosen.disclosures.map((d) => d.name).sort();
  assert.deepEqual(names, ["address", "locality"]);
  assert.throws(() => select(sd, [["no_such_claim"]]), (err) => err.code === "claim_not_found");
});

test("a key-bound presentation: KB-JWT signed by the holder key, sd_hash over the exact SD part", async () => {
  const sd = await parseSdJwt(credentialText);
  const holder = await generateKey();
  assert.equal(holder.kid, await thumbprint(holder.jwk));
  const text = await present(sd, [["resident_of"]], { privateKey: holder.privateKey, nonce: "n-0123456789abcdef", aud: "https://bus.example", iat: 1767225600 });
  const shown = await parseSdJwt(text);
  assert.deepEqual(shown.disclosures.map((d) => d.name), ["resident_of"]);
  const kb = parseJws(shown.kbJwt, "KB-JWT");
  assert.deepEqual(kb.header, Object.assign(Object.create(null), { alg: "ES256", typ: "kb+jwt" }));
  assert.equal(kb.payload.sd_hash, await sha256B64url(sdPart(shown)));
  assert.equal(kb.payload.aud, "https://bus.example");
  assert.equal(await signatureValid(kb, holder.publicKey), true);
  assert.equal(decode(await encode(text)), text);
  assert.equal(b64urlJson(shown.disclosures[0].encoded, "d")[1], "resident_of");
});
