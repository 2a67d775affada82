// The PIN's sealing (src/vault.js): the right PIN opens, a wrong one is refused, a changed box or
// a box moved to another kind of record does not open, and weak settings are not accepted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ITERATIONS, newPin, open, seal, unlock } from "../src/vault.js";

test("a PIN seals and opens; a wrong PIN is refused", async () => {
  const { settings, key } = await newPin("2468");
  assert.equal(settings.iterations, ITERATIONS);
  assert.ok(ITERATIONS >= 600_000);
  const box = await seal(key, { sdJwt: "eyJ.x.y~", claims: { given_name: "Dolores" } }, "credential");
  assert.ok(!new TextDecoder("latin1").decode(box.data).includes("Dolores"));
  const again = await unlock("2468", settings);
  assert.deepEqual(await open(again, box, "credential"), { sdJwt: "eyJ.x.y~", claims: { given_name: "Dolores" } });
  await assert.rejects(unlock("2469", settings), (err) => err.code === "pin_wrong");
  await assert.rejects(unlock("", settings), (err) => err.code === "pin_wrong");
});

test("a changed or moved box does not open; weak settings are refused", async () => {
  const { settings, key } = await newPin("1357");
  const box = await seal(key, ["ckr1.a.b"], "meta:receipts");
  await assert.rejects(open(key, box, "meta:bundle"), (err) => err.code === "vault_damaged");
  const data = box.data.slice();
  data[0] ^= 1;
  await assert.rejects(open(key, { iv: box.iv, data }, "meta:receipts"), (err) => err.code === "vault_damaged");
  await assert.rejects(unlock("1357", { ...settings, iterations: 1000 }), (err) => err.code === "pin_invalid");
  await assert.rejects(newPin("12"), (err) => err.code === "pin_invalid");
});
