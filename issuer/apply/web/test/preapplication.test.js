// The /apply/ page's encoder and field rules against the vectors Python generated
// (wallet_spec/vectors/preapplication.json): the same body byte for byte, the same faults.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { unpack } from "../../../../wallet/web/src/alphanumeric.js";
import { DICTIONARY, encode, encodeBody, FIELDS, PREFIX } from "../src/preapplication.js";
import { clean, makeRules } from "../src/rules.js";

const vectors = JSON.parse(
  readFileSync(new URL("../../../../wallet_spec/vectors/preapplication.json", import.meta.url), "utf8"),
);
const hex = (bytes) => Buffer.from(bytes).toString("hex");
const fromHex = (text) => Uint8Array.from(Buffer.from(text, "hex"));
const body = (text) =>
  unpack(text, { prefix: PREFIX, dictionary: DICTIONARY, maxChars: 4296, maxBody: 4096, what: "pre-application", notOurs: "no" });

test("the prefix, dictionary and field order are Python's", () => {
  assert.equal(PREFIX, vectors.prefix);
  assert.equal(new TextDecoder().decode(DICTIONARY), vectors.dictionary);
  assert.deepEqual(FIELDS, vectors.rules.fields);
});

for (const c of vectors.encode) {
  const application = { values: c.values, extra: c.extra, token: c.token ? fromHex(c.token) : null };
  test(`encodeBody is Python's body: ${c.name}`, async () => {
    assert.equal(hex(await encodeBody(application)), c.body);
  });
  test(`the text packs that body and reads back: ${c.name}`, async () => {
    const ours = await encode(application);
    assert.ok(ours.startsWith(PREFIX));
    assert.match(ours, /^[0-9A-Z $%*+\-./:]+$/);
    assert.equal(hex(body(ours)), c.body);
    assert.equal(hex(body(c.text)), c.body);
    assert.ok(ours.length <= c.text.length + 8, "no more than a few characters longer than Python's");
  });
}

const rules = makeRules(vectors.rules);
for (const c of vectors.field_checks) {
  test(`the page finds the desk's faults: ${c.name}`, () => {
    const values = Object.fromEntries(vectors.rules.fields.map((f) => [f, clean(c.values[f] ?? "")]));
    assert.deepEqual(rules.checkFields(values, vectors.today), c.problems);
  });
}

test("a lone surrogate is refused before it could be encoded as something else", async () => {
  await assert.rejects(encodeBody({ values: { given_name: "a\ud800" } }));
});
