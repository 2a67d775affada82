// Which credential a renewal presents (src/renewal.js): identity before the full card, least used,
// never one already spent or expired; none when the wallet holds only residency passes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renewable, renewalNames } from "../src/renewal.js";

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

test("a renewal asks for the types held and every age pass that has become true", () => {
  const fmt = { format: "dc+sd-jwt" };
  const pass = { ...fmt, vct: "urn:citykey:resident:1" };
  const supported = { identity: fmt, residency: fmt, resident: pass, "resident-62": pass, "resident-65": pass, "resident-60": fmt,
    old: { format: "x" } };
  const held = [{ configuration: "identity" }, { configuration: "residency" }, { configuration: "resident" },
    { configuration: "resident-62" }, { configuration: "old" }, { configuration: "gone" }];
  const birthday65 = Date.UTC(2026, 10, 29, 15) / 1000; // she turns 65 on 2026-11-29
  const claims = { birthdate: "1961-11-29" };
  assert.deepEqual(renewalNames(held, supported, claims, birthday65), ["identity", "residency", "resident", "resident-62", "resident-65"]);
  assert.deepEqual(renewalNames(held, supported, claims, birthday65 - 86400), ["identity", "residency", "resident", "resident-62"]);
  assert.deepEqual(renewalNames(held, supported, { birthdate: "unknown" }, birthday65), ["identity", "residency", "resident", "resident-62"]);
});
