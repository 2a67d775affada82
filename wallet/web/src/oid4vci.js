// The OpenID4VCI pre-authorized code flow, exactly the HTTP exchange of wallet/oid4vci.py:
// offer (by reference or value) → issuer metadata → authorization server metadata → token
// (with the transaction code) → per configuration: c_nonce, one credential request with one
// `openid4vci-proof+jwt` per fresh holder key. Each credential is checked before it is kept:
// the city's signature against the trust bundle's keys, `cnf` equal to the key proved, the type.
import { CitykeyError } from "./errors.js";
import { parseJson } from "./encoding.js";
import { generateKey, headerErrors, parseJws, signatureValid, thumbprint, signJws } from "./jose.js";
import { issuerKey } from "./bundle.js";
import { parseSdJwt, payloadOf, serialize, unfold } from "./sdjwt.js";

export const PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
const PROOF_TYP = "openid4vci-proof+jwt";
export const FORMAT = "dc+sd-jwt";
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
const MAX_RESPONSE_BYTES = 1 << 20;
export const MAX_PER_TYPE = 8;
/** OpenID4VCI §8.3.1.2, as wallet_spec.oid4vci.REQUEST_DENIED: an offered age pass not true for this resident. */
const REQUEST_DENIED = "credential_request_denied";

export class ClientError extends CitykeyError {
  constructor(message) {
    super("client_error", message);
  }
}

export class IssuerRefused extends CitykeyError {
  constructor(error, description, status) {
    super(error, description ? `${error}: ${description}` : error);
    this.status = status;
  }
}

/** An https URL (or http to this machine), without fragment or credentials. */
export function checkUrl(url, what) {
  let parts;
  try {
    parts = new URL(url);
  } catch {
    throw new ClientError(`${what} must be a URL`);
  }
  const local = parts.protocol === "http:" && LOCAL_HOSTS.has(parts.hostname);
  if (!(parts.protocol === "https:" && parts.hostname) && !local) throw new ClientError(`${what} must be an https URL`);
  if (parts.hash || parts.username || parts.password) throw new ClientError(`${what} must not carry a fragment or credentials`);
  return url;
}

/** RFC 8414 §3: `/.well-known/<suffix>` goes between host and path. */
export function wellKnown(identifier, suffix) {
  const u = new URL(identifier);
  return `${u.protocol}//${u.host}/.well-known/${suffix}${u.pathname.replace(/\/+$/, "")}`;
}

/** `{reference}` or `{offer}` from an `openid-credential-offer://?…` URI (or any URL with that query). */
export function parseOfferUri(text) {
  const trimmed = text.trim();
  const query = trimmed.includes("?") ? trimmed.slice(trimmed.indexOf("?") + 1).split("#")[0] : "";
  const params = new URLSearchParams(query);
  const byReference = params.getAll("credential_offer_uri");
  const byValue = params.getAll("credential_offer");
  if ((byReference.length > 0) === (byValue.length > 0) || byReference.length + byValue.length !== 1) {
    throw new ClientError("a credential offer carries exactly one credential_offer_uri or credential_offer");
  }
  if (byReference.length) return { reference: checkUrl(byReference[0], "the credential_offer_uri") };
  const offer = parseJson(byValue[0], { what: "credential_offer" });
  if (!offer || typeof offer !== "object" || Array.isArray(offer)) throw new ClientError("credential_offer must be a JSON object");
  return { offer };
}

async function answer(response, what) {
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_RESPONSE_BYTES) throw new ClientError(`${what}: the answer is too large`);
  let body = null;
  try {
    body = parseJson(bytes, { what });
  } catch {
    body = null;
  }
  if (response.status >= 400) {
    if (body && typeof body.error === "string") throw new IssuerRefused(body.error, String(body.error_description || ""), response.status);
    throw new IssuerRefused(`http_${response.status}`, `${what} failed`, response.status);
  }
  if (response.status !== 200 || !body || typeof body !== "object" || Array.isArray(body)) {
    throw new ClientError(`${what}: expected a JSON object with status 200, got ${response.status}`);
  }
  return body;
}

const request = async (url, init, what) => {
  let response;
  try {
    response = await fetch(checkUrl(url, what), { redirect: "error", cache: "no-store", credentials: "omit", ...init });
  } catch (err) {
    if (err instanceof CitykeyError) throw err;
    throw new CitykeyError("offline", `${what}: the city's service cannot be reached`);
  }
  return answer(response, what);
};
const getJson = (url, what) => request(url, { headers: { Accept: "application/json" } }, what);
const postForm = (url, form, what) => request(url, { method: "POST", body: new URLSearchParams(form) }, what);
export const postJson = (url, body, what, token) =>
  request(url, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
  }, what);

export async function metadata(issuer) {
  const found = await getJson(wellKnown(issuer, "openid-credential-issuer"), "the issuer metadata");
  if (found.credential_issuer !== issuer) throw new ClientError("the issuer metadata names another credential issuer; refusing it");
  if (!found.credential_configurations_supported || typeof found.credential_configurations_supported !== "object") {
    throw new ClientError("the issuer metadata lists no credential configurations");
  }
  return found;
}

async function tokenEndpoint(issuer, meta) {
  const servers = meta.authorization_servers;
  const server = Array.isArray(servers) && servers.length ? servers[0] : issuer;
  const found = await getJson(wellKnown(checkUrl(server, "the authorization server"), "oauth-authorization-server"), "the authorization server metadata");
  if (found.issuer !== server) throw new ClientError("the authorization server metadata names another issuer; refusing it");
  return checkUrl(found.token_endpoint, "the token endpoint");
}

export async function nonce(endpoint) {
  if (!endpoint) return null;
  const found = (await postForm(endpoint, {}, "the nonce request")).c_nonce;
  if (typeof found !== "string" || !found) throw new ClientError("the nonce endpoint answered no c_nonce");
  return found;
}

/** The offer, fetched when given by reference: what the wallet shows before asking for the code. */
export async function resolveOffer(text) {
  const { reference, offer } = parseOfferUri(text);
  const found = reference ? await getJson(reference, "the credential offer") : offer;
  const issuer = checkUrl(found.credential_issuer, "the offer's credential_issuer");
  const grant = found.grants && found.grants[PRE_AUTHORIZED_GRANT];
  if (!grant || typeof grant["pre-authorized_code"] !== "string" || !grant["pre-authorized_code"]) {
    throw new ClientError("the offer carries no pre-authorized code");
  }
  const names = found.credential_configuration_ids;
  if (!Array.isArray(names) || !names.length || !names.every((n) => typeof n === "string")) {
    throw new ClientError("the offer names no credential configurations");
  }
  // The issuer's metadata names the city and each configuration's type: what the offer screen shows.
  const meta = await metadata(issuer);
  const supported = meta.credential_configurations_supported;
  const vcts = [...new Set(names.map((n) => supported[n] && supported[n].vct).filter((v) => typeof v === "string"))];
  const city = (meta.display && meta.display[0] && meta.display[0].name) || new URL(issuer).hostname;
  return { issuer, code: grant["pre-authorized_code"], txCode: "tx_code" in grant ? grant.tx_code || {} : null, names, meta, vcts, city };
}

/** A key proof (OpenID4VCI §F.1): the holder key in the header, signed by it. */
export function makeProof(key, { aud, nonce: n, iat }) {
  const claims = { aud, iat };
  if (n !== null) claims.nonce = n;
  return signJws({ typ: PROOF_TYP, jwk: key.jwk }, claims, key.privateKey);
}

/** Check one issued credential before keeping it: signature, type, holder key, no KB-JWT. */
export async function checkIssued(text, { bundle, vct, keysByKid, now }) {
  const sd = await parseSdJwt(String(text).trim());
  if (sd.kbJwt) throw new ClientError("an issued credential must not carry a KB-JWT");
  const token = parseJws(sd.jwt, "issuer-signed JWT");
  const problems = headerErrors(token.header, "dc+sd-jwt", "credential");
  if (problems.length) throw problems[0];
  const key = await issuerKey(bundle, token.header, token.payload);
  if (!(await signatureValid(token, key))) throw new CitykeyError("signature_invalid", "the credential is not signed by the city");
  const payload = token.payload;
  const jwk = payload.cnf && payload.cnf.jwk;
  const kid = jwk ? await thumbprint(jwk) : null;
  if (payload.vct !== vct || !kid || !keysByKid.has(kid)) {
    throw new ClientError("a credential is not of the type asked for, or not bound to a key of this request");
  }
  if (Number.isSafeInteger(payload.exp) && payload.exp <= now) throw new CitykeyError("expired", "the credential has already expired");
  const { claims, errors } = unfold(payload, sd.disclosures);
  // RFC 9901 §4.1.1: no `_sd_alg` means sha-256 (a fact pass has no digest, so names none)
  if (errors.length || (payload._sd_alg ?? "sha-256") !== "sha-256") throw new CitykeyError("sd_invalid", "the credential's disclosures do not fit its digests");
  return { sdJwt: serialize(sd), kid, vct, uses: 0, exp: payload.exp ?? null, claims };
}

export function batchSize(meta) {
  const size = meta.batch_credential_issuance && meta.batch_credential_issuance.batch_size;
  return Number.isSafeInteger(size) && size > 0 ? size : 1;
}

/**
 * Redeem an offer: returns `{issuer, credentials, receipt, keys}`; nothing is stored here. The
 * caller keeps the keys bound to credentials and the credentials in one step.
 */
export async function receive(resolved, { txCode, bundleFor, now = () => Math.floor(Date.now() / 1000) }) {
  const { issuer, code, names } = resolved;
  const meta = resolved.meta || (await metadata(issuer));
  const supported = meta.credential_configurations_supported;
  const configurations = names.filter((n) => supported[n] && supported[n].format === FORMAT).map((n) => [n, supported[n]]);
  if (!configurations.length) throw new ClientError(`the issuer offers none of ${names.join(", ")} as ${FORMAT}`);
  const perType = Math.max(1, Math.min(MAX_PER_TYPE, Math.floor(batchSize(meta) / configurations.length)));
  const credentialEndpoint = checkUrl(meta.credential_endpoint, "the credential endpoint");
  const nonceEndpoint = meta.nonce_endpoint ? checkUrl(meta.nonce_endpoint, "the nonce endpoint") : null;
  const form = { grant_type: PRE_AUTHORIZED_GRANT, "pre-authorized_code": code };
  if (resolved.txCode !== null) {
    if (!txCode) throw new CitykeyError("tx_code_needed", "the offer needs the code shown at the desk");
    form.tx_code = txCode;
  }
  const tokenUrl = await tokenEndpoint(issuer, meta);
  const bundle = await bundleFor(issuer);
  const token = await postForm(tokenUrl, form, "the token request");
  if (typeof token.access_token !== "string" || String(token.token_type || "").toLowerCase() !== "bearer") {
    throw new ClientError("the token endpoint answered no bearer access token");
  }
  const kept = [];
  const keys = [];
  let receipt = null;
  let incomplete = null;
  for (const [name, configuration] of configurations) {
    try {
    const batchKeys = await Promise.all(Array.from({ length: perType }, generateKey));
    const keysByKid = new Map(batchKeys.map((k) => [k.kid, k]));
    let body;
    for (const attempt of [1, 2]) {
      const n = await nonce(nonceEndpoint);
      const proofs = await Promise.all(batchKeys.map((k) => makeProof(k, { aud: issuer, nonce: n, iat: now() })));
      try {
        body = await postJson(credentialEndpoint, { credential_configuration_id: name, proofs: { jwt: proofs } }, "the credential request", token.access_token);
        break;
      } catch (err) {
        if (err.code === REQUEST_DENIED) break; // a fact pass not true for this resident: every offer names it
        if (err.code !== "invalid_nonce" || attempt === 2) throw err;
      }
    }
    if (body === undefined) continue; // denied: its keys were never kept
    const items = body.credentials;
    if (!Array.isArray(items) || !items.length || items.length > batchKeys.length) {
      throw new ClientError("the issuer answered no credentials, or more than were asked for");
    }
    for (const item of items) {
      if (!item || typeof item.credential !== "string") throw new ClientError("each credential must be an object with a credential string");
      const checked = await checkIssued(item.credential, { bundle, vct: configuration.vct, keysByKid, now: now() });
      if (kept.some((c) => c.kid === checked.kid)) throw new ClientError("two credentials are bound to one key");
      kept.push({ ...checked, issuer, configuration: name });
      keys.push(keysByKid.get(checked.kid));
    }
    if (typeof body.citykey_receipt === "string") receipt = body.citykey_receipt; // each covers the batch so far
    } catch (err) {
      if (!kept.length) throw err;
      incomplete = err; // keep what was already issued and checked, as the reference wallet does
      break;
    }
  }
  return { issuer, credentials: kept, receipt, keys, incomplete, city: (meta.display && meta.display[0] && meta.display[0].name) || null };
}
