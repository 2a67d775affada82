// CKQ1: challenge requests against the cases Python decided (wallet_spec/vectors/qr.json "requests").
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { thumbprint } from "../src/jose.js";
import { encodeUnsignedRequest, parseRequest } from "../src/request.js";

const { requests } = JSON.parse(readFileSync(new URL("../../../wallet_spec/vectors/qr.json", import.meta.url), "utf8"));
const verifiers = await Promise.all(requests.verifiers.map(async (v) => ({ ...v, kid: await thumbprint(v.jwk) })));

for (const c of requests.cases) {
  test(`request: ${c.name}`, async () => {
    const parsing = parseRequest(c.qr, { now: requests.now, verifiers });
    if (c.request) {
      const got = await parsing;
      const { aud, nonce, claims, exp, name } = got;
      assert.deepEqual({ aud, nonce, claims, exp, name }, { aud: c.request.aud, nonce: c.request.nonce, claims: c.request.claims, exp: c.request.exp, name: c.request.name });
      assert.equal(got.signed, c.request.signed);
      assert.equal(got.displayName, c.request.display_name);
      assert.equal(got.signer ? got.signer.aud : null, c.request.signer);
    } else if (c.errors) {
      await assert.rejects(parsing, (err) => {
        assert.deepEqual([...new Set(err.errors.map((e) => e.code))].sort(), c.errors);
        return true;
      });
    } else {
      await assert.rejects(parsing, (err) => err.code === c.error);
    }
  });
}

test("a signed request read without the bundle has no signer, and its own name", async () => {
  const signed = requests.cases.find((c) => c.name === "signed-nested-claim");
  const got = await parseRequest(signed.qr, { now: requests.now });
  assert.equal(got.signer, null);
  assert.equal(got.displayName, "Library");
});

test("an unsigned request is refused when the holder answers only listed verifiers", async () => {
  const unsigned = requests.cases.find((c) => c.name === "unsigned");
  await assert.rejects(parseRequest(unsigned.qr, { now: requests.now, verifiers, requireSigned: true }), (err) =>
    err.errors.some((e) => e.code === "request_unsigned"));
});

test("an unsigned request made here reads back", async () => {
  const request = { aud: "https://bus.example", nonce: "abcdefghijklmnop", claims: ["age_over_18"], exp: 2000000000, name: "Bus" };
  const got = await parseRequest(encodeUnsignedRequest(request), { now: 1900000000 });
  assert.deepEqual(got.claims, ["age_over_18"]);
  assert.equal(got.displayName, "Bus");
});
