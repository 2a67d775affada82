// Renewal without a visit (issuer/renewal.py, wallet/oid4vci.py `renew`): the wallet presents one
// identity credential, every claim disclosed, key-bound to a fresh `c_nonce` with `aud` = the
// issuer, plus new key proofs for the types it holds, and (by default) its receipts so the city
// cancels the old batch once the new one is signed. A credential renews once: the issuer refuses
// it the second time (`already_renewed`), so the wallet never presents it for renewal again.
import { CitykeyError } from "./errors.js";
import { generateKey } from "./jose.js";
import {
  ClientError, FORMAT, IssuerRefused, MAX_PER_TYPE, batchSize, checkIssued, checkUrl, makeProof, metadata, nonce, postJson,
} from "./oid4vci.js";
import { createKbJwt, parseSdJwt, sdPart } from "./sdjwt.js";
import * as store from "./store.js";
import { PASS_VCT } from "./wallet.js";

/** The credential types that carry every attribute: what a renewal presents (issuer.renewal.RENEWABLE_VCTS). */
export const RENEWABLE = ["urn:citykey:identity:1", "urn:citykey:id:1"];
const now = () => Math.floor(Date.now() / 1000);

/** The identity credential to present: not yet spent, not expired, identity before the full card, least used. */
export function renewable(all, at = now()) {
  const usable = all.filter((c) => RENEWABLE.includes(c.vct) && !c.renewed && (c.exp === null || c.exp > at));
  if (!usable.length) return null;
  const rank = (c) => [RENEWABLE.indexOf(c.vct), c.uses];
  return usable.reduce((best, c) => {
    const [a, b] = [rank(c), rank(best)];
    return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]) ? c : best;
  });
}

const FACT_PASS = /^resident-(\d+)$/;
const DAY = 86400;

/** Age in whole years on the UTC day of `at`, from an ISO birthdate; null when it cannot be read. */
function ageOn(birthdate, at) {
  const born = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(birthdate));
  if (!born) return null;
  const day = new Date((at - (at % DAY)) * 1000);
  const [y, m, d] = born.slice(1).map(Number);
  const beforeBirthday = day.getUTCMonth() + 1 < m || (day.getUTCMonth() + 1 === m && day.getUTCDate() < d);
  return day.getUTCFullYear() - y - (beforeBirthday ? 1 : 0);
}

/**
 * The configurations a renewal asks for (as the Python wallet's `renew`): those the wallet holds, and
 * every age fact pass the issuer offers that is true on the day for the birthdate the renewal
 * presents, so a resident who turned 65 since enrolment gets the 65+ pass. A pass never stops being true.
 */
export function renewalNames(all, supported, claims, at = now()) {
  const held = all.map((c) => c.configuration).filter((n) => n && supported[n] && supported[n].format === FORMAT);
  const age = ageOn(claims && claims.birthdate, at);
  const due = Object.keys(supported).filter((n) => {
    const pass = FACT_PASS.exec(n);
    return pass && supported[n].format === FORMAT && supported[n].vct === PASS_VCT && age !== null && age >= Number(pass[1]);
  });
  return [...new Set([...held, ...due])];
}

/** An issuer's refusal of the presentation names the verifier's code: say that one plainly. */
function refusal(err) {
  const found = err instanceof IssuerRefused && /refused: ([a-z_]+)/.exec(err.message);
  return found ? new CitykeyError(found[1], err.message) : err;
}

/**
 * Renew: `{credentials, receipt, revoked}`. `bundleFor(issuer)` fetches and checks the trust
 * bundle (the new credentials are checked against it before anything is kept). With `revokeOld`,
 * the old credentials, their keys and receipts leave the wallet once the new batch is kept.
 */
export async function renew({ bundleFor, revokeOld = true, clock = now }) {
  const all = await store.allCredentials();
  const chosen = renewable(all, clock());
  if (!chosen) throw new CitykeyError("claim_not_found", "the wallet holds no identity credential that can renew");
  const issuer = checkUrl(chosen.issuer || (await store.getMeta("issuer")), "the issuer");
  const meta = await metadata(issuer);
  const endpoint = checkUrl(meta.citykey_renewal_endpoint, "the issuer's renewal endpoint");
  if (!meta.nonce_endpoint) throw new ClientError("the issuer has no nonce endpoint, which renewal needs");
  const supported = meta.credential_configurations_supported;
  const names = renewalNames(all, supported, chosen.claims, clock());
  if (!names.length) throw new ClientError("the issuer no longer offers the types this wallet holds");
  const perType = Math.max(1, Math.min(MAX_PER_TYPE, Math.floor(batchSize(meta) / names.length)));
  const key = await store.getKey(chosen.kid);
  if (!key) throw new CitykeyError("holder_key_not_held", "the key of this credential is missing");

  const n = await nonce(checkUrl(meta.nonce_endpoint, "the nonce endpoint"));
  const part = sdPart(await parseSdJwt(chosen.sdJwt)); // every disclosure: the issuer re-issues what it sees
  const presentation = part + (await createKbJwt(part, key.privateKey, { nonce: n, aud: issuer, iat: clock() }));
  const keys = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await Promise.all(Array.from({ length: perType }, generateKey))])));
  const receipts = revokeOld ? ((await store.getMeta("receipts")) || []) : [];
  const body = {
    presentation,
    credential_requests: await Promise.all(names.map(async (name) => ({
      credential_configuration_id: name,
      proofs: { jwt: await Promise.all(keys[name].map((k) => makeProof(k, { aud: issuer, nonce: n, iat: clock() }))) },
    }))),
    revoke_receipts: receipts,
  };
  let answer;
  try {
    answer = await postJson(endpoint, body, "the renewal request");
  } catch (err) {
    throw refusal(err);
  }
  // From here the presented credential is spent, whatever happens to the answer.
  await store.updateCredential({ ...chosen, renewed: true });
  const bundle = await bundleFor(issuer);
  const byName = new Map((Array.isArray(answer.credential_responses) ? answer.credential_responses : []).map((r) => [r && r.credential_configuration_id, r]));
  const kept = [];
  const newKeys = [];
  for (const name of names) {
    const items = byName.get(name)?.credentials;
    if (!Array.isArray(items) || !items.length || items.length > keys[name].length) throw new ClientError("the renewal answer holds no credentials, or more than were asked for");
    const keysByKid = new Map(keys[name].map((k) => [k.kid, k]));
    for (const item of items) {
      if (!item || typeof item.credential !== "string") throw new ClientError("each credential must be an object with a credential string");
      const checked = await checkIssued(item.credential, { bundle, vct: supported[name].vct, keysByKid, now: clock() });
      if (kept.some((c) => c.kid === checked.kid)) throw new ClientError("two credentials are bound to one key");
      kept.push({ ...checked, issuer, configuration: name });
      newKeys.push(keysByKid.get(checked.kid));
    }
  }
  const receipt = typeof answer.citykey_receipt === "string" ? answer.citykey_receipt : null;
  for (const k of newKeys) await store.putKey({ kid: k.kid, privateKey: k.privateKey, jwk: k.jwk });
  await store.replaceBatch({
    add: kept,
    receipt,
    removeIds: revokeOld ? all.map((c) => c.id) : [],
    removeKids: revokeOld ? all.map((c) => c.kid) : [],
    removeReceipts: receipts,
  });
  return { credentials: kept, receipt, revoked: Number(answer.revoked) || 0 };
}
