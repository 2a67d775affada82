// Which credential a renewal presents (src/renewal.js): identity before the full card, least used,
// never one already spent or expired; none when the wallet holds only residency passes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renewable } from "../src/renewal.js";

const credential = (id, vct, { uses = 0, exp = 2000, renewed = false } = {}) => ({ id, vct, uses, exp, renewed });
const IDENTITY = "urn:citykey:identity:1";
const FULL = "urn:citykey:id:1";
const PASS = "urn:citykey:residency:1";

test("the identity credential least used, not spent, not expired", () => {
  const all = [credential(1, PASS), credential(2, FULL), credential(3, IDENTITY, { uses: 2 }), credential(4, IDENTITY, { uses: 1 }),
    credential(5, IDENTITY, { renewed: true }), credential(6, IDENTITY, { exp: 999 })];
  assert.equal(renewable(all, 1000).id, 4);
  assert.equal(renewable([credential(1, PASS), credential(2, FULL)], 1000).id, 2);
  assert.equal(renewable([credential(1, PASS), credential(5, IDENTITY, { renewed: true })], 1000), null);
});
