// The resident's wallet over the store: trust (the bundle, its pinned root), choosing a fresh
// credential, and presenting it — one-way to a listed verifier, or answering a challenge.
// The same rules as wallet/model.py: an unused fact pass stating exactly the claims asked, else the smallest
// credential that holds every one, of those the least used, so two verifiers never see the same
// signature, salt or key.
import { CitykeyError } from "./errors.js";
import { b64urlEncode } from "./encoding.js";
import { loadBundle } from "./bundle.js";
import { parseJws, thumbprint } from "./jose.js";
import { checkUrl, receive as receiveOffer } from "./oid4vci.js";
import { hasClaim, parseSdJwt, payloadOf, present, unfold } from "./sdjwt.js";
import * as store from "./store.js";

/** Seconds a one-way scanner accepts a code (verifier.policy.ONE_WAY_KB_MAX_AGE). */
export const ONE_WAY_SECONDS = 60;
const now = () => Math.floor(Date.now() / 1000);

/** The bundle kept on the phone, verified again against its pinned root (works offline). */
export async function currentBundle() {
  const kept = await store.getMeta("bundle");
  if (!kept) return null;
  try {
    return await loadBundle(kept.text, kept.root, { now: now() });
  } catch {
    return null; // expired or damaged: the wallet still shows codes; it just cannot name verifiers
  }
}

/**
 * Fetch and verify the issuer's trust bundle. The root is the one the desk's link named, else
 * the one pinned before; a wallet that has neither pins the root of this first bundle.
 */
export async function fetchBundle(issuer, linkRoot = null) {
  const url = `${issuer.replace(/\/+$/, "")}/trust-bundle`;
  let text;
  try {
    const response = await fetch(checkUrl(url, "the trust bundle"), { redirect: "error", cache: "no-store", credentials: "omit" });
    if (!response.ok) throw new CitykeyError("bundle_invalid", "the city's trust bundle is not available");
    text = await response.text();
  } catch (err) {
    if (err instanceof CitykeyError) throw err;
    throw new CitykeyError("offline", "the city's service cannot be reached");
  }
  const pinned = (await store.getMeta("bundle"))?.root ?? null;
  let root = linkRoot || pinned;
  if (linkRoot && pinned && linkRoot !== pinned) throw new CitykeyError("bundle_invalid", "this offer names another city key than the one this wallet trusts");
  if (!root) {
    const keyList = parseJws(parseJws(text.trim(), "trust bundle").payload.key_list, "key list");
    root = await thumbprint(keyList.payload.root);
  }
  const bundle = await loadBundle(text, root, { now: now() });
  await store.setMeta("bundle", { text, root, fetched: now() });
  return bundle;
}

/** Redeem an offer and keep the checked batch (keys, credentials, receipt) on the phone. */
export async function receive(resolved, { txCode, linkRoot }) {
  const result = await receiveOffer(resolved, { txCode, bundleFor: (issuer) => fetchBundle(issuer, linkRoot) });
  for (const key of result.keys) await store.putKey({ kid: key.kid, privateKey: key.privateKey, jwk: key.jwk });
  await store.keepBatch(result.credentials, result.receipt);
  if (result.city) await store.setMeta("city", result.city);
  await store.setMeta("issuer", result.issuer);
  return result;
}

export async function credentials() {
  return (await store.allCredentials()).filter((c) => c.exp === null || c.exp > now());
}

/** The fact pass type: every claim plain, no disclosure (wallet_spec/profile.py RESIDENT_VCT). */
export const PASS_VCT = "urn:citykey:resident:1";
const REGISTERED = ["iss", "iat", "exp", "nbf", "vct", "cnf", "status", "sub", "jti", "_sd", "_sd_alg"];

/** What a fact pass always shows: all its claims (it has no disclosure). */
export const passFacts = (c) => Object.keys(c.claims).filter((name) => !REGISTERED.includes(name));

/**
 * The credential to present, by the Python wallet's rule (wallet/model.py `pick`): an unused fact pass
 * stating exactly the claims asked for, else the smallest credential holding them all, least used first
 * (a used pass only when nothing else holds them); never a pass that says more.
 */
export function pick(all, paths, vcts) {
  const asked = new Set(paths.map((p) => String(p[0])));
  const exact = (c) => passFacts(c).length === asked.size && passFacts(c).every((name) => asked.has(name));
  const holding = all.filter((c) => (vcts === null || vcts.includes(c.vct)) && (c.vct !== PASS_VCT || exact(c))
    && paths.every((p) => hasClaim(c.claims, p)));
  if (!holding.length) throw new CitykeyError("claim_not_found", "no credential holds every claim asked for");
  const freshPasses = holding.filter((c) => c.vct === PASS_VCT && c.uses === 0);
  const others = holding.filter((c) => c.vct !== PASS_VCT);
  const pool = freshPasses.length ? freshPasses : others.length ? others : holding;
  const size = (c) => c.sdJwt.split("~").length;
  return pool.reduce((best, c) => (size(c) < size(best) || (size(c) === size(best) && c.uses < best.uses) ? c : best));
}

function freshNonce() {
  return b64urlEncode(crypto.getRandomValues(new Uint8Array(12)));
}

/**
 * Present `paths` key-bound to `aud` (and the verifier's nonce, or a random one for a one-way code),
 * from a credential of one of `vcts` (any type when null).
 */
export async function presentTo(paths, { aud, nonce = freshNonce(), vcts = null }) {
  const chosen = pick(await credentials(), paths, vcts);
  const key = await store.getKey(chosen.kid);
  if (!key) throw new CitykeyError("holder_key_not_held", "the key of this credential is missing");
  const iat = now();
  const text = await present(await parseSdJwt(chosen.sdJwt), paths, { privateKey: key.privateKey, nonce, aud, iat });
  await store.updateCredential({ ...chosen, uses: chosen.uses + 1 });
  const presented = await parseSdJwt(text);
  const shown = [...claimPaths([{ claims: unfold(payloadOf(presented), presented.disclosures).claims }]).keys()];
  return { text, iat, credential: chosen, shown };
}

/** Every claim path the wallet can show, in a stable order (nested ones as `address.locality`). */
export function claimPaths(all) {
  const found = new Map();
  for (const c of all) {
    for (const [name, value] of Object.entries(c.claims)) {
      if (["iss", "iat", "exp", "nbf", "vct", "cnf", "status", "_sd_alg"].includes(name)) continue;
      if (value && typeof value === "object" && !Array.isArray(value)) {
        for (const inner of Object.keys(value)) found.set(`${name}.${inner}`, [name, inner]);
      } else {
        found.set(name, [name]);
      }
    }
  }
  return found;
}

export const receipts = async () => (await store.getMeta("receipts")) || [];
export const wipe = () => store.wipe();
