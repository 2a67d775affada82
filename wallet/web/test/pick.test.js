// Which credential a presentation uses (src/wallet.js `pick`), by the Python wallet's rule: a fact pass
// stating exactly the claims asked for, else the smallest credential holding them; never a pass saying more.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PASS_VCT, pick } from "../src/wallet.js";

const RESIDENCY = "urn:citykey:residency:1";
const IDENTITY = "urn:citykey:identity:1";
const registered = { iss: "https://id.springfield.example", iat: 1, exp: 2, status: {}, cnf: {} };
// sdJwt: only its count of "~" parts matters to the choice (the number of disclosures)
const credential = (id, vct, claims, disclosures, uses = 0) => ({ id, vct, uses, sdJwt: "jwt" + "~d".repeat(disclosures) + "~",
  claims: { ...registered, vct, ...claims } });
const ages = { age_over_18: true, age_over_21: true, age_over_65: true };
const held = [
  credential("residency", RESIDENCY, { resident_of: "Springfield", ...ages }, 3),
  credential("identity", IDENTITY, { given_name: "Ana", family_name: "Ruiz" }, 5),
  credential("resident-65", PASS_VCT, { resident_of: "Springfield", age_over_65: true }, 0),
  credential("resident-21", PASS_VCT, { resident_of: "Springfield", age_over_21: true }, 0),
  credential("resident", PASS_VCT, { resident_of: "Springfield" }, 0, 5),
];

test("resident and one age come from the pass stating exactly that", () => {
  assert.equal(pick(held, [["resident_of"], ["age_over_65"]], null).id, "resident-65");
  assert.equal(pick(held, [["age_over_21"], ["resident_of"]], null).id, "resident-21");
});

test("resident only is the resident pass while unused, then a residency pass; never an age pass", () => {
  const fresh = held.map((c) => ({ ...c, uses: 0 }));
  assert.equal(pick(fresh, [["resident_of"]], null).id, "resident");
  assert.equal(pick(held, [["resident_of"]], null).id, "residency"); // the resident pass was used 5 times
  assert.equal(pick(held.filter((c) => c.vct === PASS_VCT), [["resident_of"]], null).id, "resident"); // nothing else
});

test("what no pass states exactly falls back to the smallest credential holding it", () => {
  assert.equal(pick(held, [["age_over_65"]], null).id, "residency");
  assert.equal(pick(held, [["resident_of"], ["age_over_18"]], null).id, "residency");
  assert.equal(pick(held, [["given_name"]], null).id, "identity");
  assert.equal(pick(held, [["resident_of"], ["age_over_65"]], [RESIDENCY]).id, "residency");
  assert.throws(() => pick(held, [["age_over_65"]], [PASS_VCT]), { code: "claim_not_found" });
});
