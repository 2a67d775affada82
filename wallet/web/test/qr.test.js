// The web wallet's QR codec against the vectors Python's codec generated (wallet_spec/vectors/qr.json).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { unpack } from "../src/alphanumeric.js";
import { decode, DICTIONARY, encode, KNOWN, LEGACY_PREFIX, MAX_BODY, MAX_QR_CHARS, PREFIX } from "../src/qr.js";

const read = (name) => JSON.parse(readFileSync(new URL(`../../../wallet_spec/vectors/${name}`, import.meta.url), "utf8"));
const vectors = read("qr.json");
const ck1 = read("qr_ck1.json");

test("the codec's table and prefix are Python's", () => {
  assert.deepEqual([...KNOWN], vectors.known);
  assert.equal(PREFIX, vectors.prefix);
});

// Deflate streams are not canonical (pako and the zlib Python links choose matches a little
// differently), so what must agree is the body inside: byte for byte.
const body = (text) =>
  unpack(text, { prefix: PREFIX, dictionary: DICTIONARY, maxChars: MAX_QR_CHARS, maxBody: MAX_BODY, what: "QR", notOurs: "no" });

for (const c of vectors.cases) {
  test(`encode packs Python's body: ${c.name}`, async () => {
    const ours = await encode(c.presentation);
    assert.ok(ours.startsWith(PREFIX));
    assert.deepEqual(body(ours), body(c.qr));
    assert.equal(decode(ours), c.presentation);
    assert.ok(ours.length <= c.qr.length + 8, "no more than a few characters longer than Python's");
  });
  test(`decode gives back the presentation: ${c.name}`, () => {
    assert.equal(decode(c.qr), c.presentation);
  });
}

for (const c of ck1.cases) {
  test(`a published CK1: code still decodes: ${c.name}`, async () => {
    assert.ok(c.qr.startsWith(LEGACY_PREFIX));
    assert.equal(decode(c.qr), c.presentation);
    assert.ok((await encode(c.presentation)).startsWith(PREFIX));
  });
}

for (const c of vectors.decode_errors) {
  test(`decode refuses: ${c.name}`, () => {
    assert.throws(() => decode(c.qr), (err) => err.code === c.error);
  });
}

test("a plain compact SD-JWT passes through decode", () => {
  const plain = vectors.cases[0].presentation;
  assert.equal(decode(plain), plain);
});
