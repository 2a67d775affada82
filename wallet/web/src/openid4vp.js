// OpenID for Verifiable Presentations 1.0 as the city profiles it: the rules of
// wallet_spec/openid4vp.py, one for one (same checks, same order, same error codes), held to the
// same cases by wallet_spec/vectors/openid4vp.json. Pure: no I/O, no clock (`now` is a parameter);
// the wallet's side (fetch, answer) is src/vpwallet.js.
//
// A city web service shows `openid4vp://?client_id=verifier_attestation%3A…&request_uri=https://…`;
// the Request Object at `request_uri` is a JWS (`typ` `oauth-authz-req+jwt`) signed by the
// verifier's key, with the city's Verifier Attestation JWT in its `jwt` header: signed by a city
// signing key of the root-signed key list, its `sub` a listed verifier, its `cnf.jwk` that
// verifier's listed key. The DCQL query asks for `dc+sd-jwt` claims within the verifier's `may_ask`.
import { CitykeyError, formatError, tooLarge } from "./errors.js";
import { keyFor } from "./bundle.js";
import { algAllowed, headerErrors, holdsPrivateKey, importPublicKey, parseJws, publicJwk, signatureValid, thumbprint, VerificationFailed } from "./jose.js";
import { ALG as JWE_ALG, DEFAULT_ENC, ENC_VALUES } from "./jwe.js";
import { scopeErrors } from "./request.js";

export const PREFIX = "verifier_attestation";
export const REQUEST_TYP = "oauth-authz-req+jwt";
export const REQUEST_MEDIA_TYPE = "application/oauth-authz-req+jwt";
export const ATTESTATION_TYP = "verifier-attestation+jwt";
export const FORMAT = "dc+sd-jwt";
export const RESPONSE_TYPE = "vp_token";
export const RESPONSE_MODE = "direct_post.jwt";

export const MAX_INVOCATION_CHARS = 2048;
export const MAX_REQUEST_OBJECT_CHARS = 16384;
const MAX_QUERIES = 4;
const MAX_CLAIMS = 32;
const MAX_PATH_LENGTH = 8;
const MIN_NONCE_CHARS = 16;
const LEEWAY = 60;

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const URL_SAFE = /^[A-Za-z0-9._~-]+$/;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
const isInt = Number.isSafeInteger;
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const has = (obj, name) => Object.hasOwn(obj, name);
const invalid = (message) => new CitykeyError("request_invalid", message);

/** The full client identifier of a listed verifier: the prefix and its `aud` (the KB-JWT's `aud` too). */
export const clientId = (aud) => `${PREFIX}:${aud}`;

// --- DCQL ----------------------------------------------------------------------------------------

function path(value) {
  if (!Array.isArray(value) || !(value.length > 0 && value.length <= MAX_PATH_LENGTH)) {
    throw invalid(`a DCQL claim path must be a list of 1 to ${MAX_PATH_LENGTH} elements`);
  }
  for (const part of value) {
    if (part === null) throw invalid("a DCQL path element null (every array element) is not supported");
    if (!(typeof part === "string" && part) && !(isInt(part) && part >= 0)) throw invalid("a DCQL path element must be a claim name or an array index");
  }
  return [...value];
}

/** The claims as the city writes them elsewhere (`address.postal_code`): for scope checks and display. */
export const claimNames = (query) => query.claims.map((p) => p.map(String).join("."));

function credentialQuery(obj) {
  if (!isObject(obj)) throw invalid("each DCQL credential query must be an object");
  const unsupported = ["claim_sets", "trusted_authorities"].filter((k) => has(obj, k));
  if (unsupported.length) throw invalid(`DCQL ${unsupported.join(", ")} is not supported; ask for the claims themselves`);
  if (has(obj, "multiple") && obj.multiple !== false) throw invalid("DCQL multiple is not supported: one credential answers each query");
  if (has(obj, "require_cryptographic_holder_binding") && obj.require_cryptographic_holder_binding !== true) {
    throw invalid("city credentials are always shown with a holder binding proof");
  }
  const { id, meta, claims } = obj;
  if (typeof id !== "string" || !ID.test(id)) throw invalid("a DCQL credential query id must be 1 to 64 letters, digits, '_' or '-'");
  if (obj.format !== FORMAT) throw invalid(`the city's credentials are of format '${FORMAT}'`);
  const vcts = isObject(meta) ? meta.vct_values : undefined;
  if (!Array.isArray(vcts) || !vcts.length || !vcts.every((v) => typeof v === "string" && v)) {
    throw invalid("a DCQL credential query needs meta.vct_values, a non-empty list of types");
  }
  if (!Array.isArray(claims) || !(claims.length > 0 && claims.length <= MAX_CLAIMS)) {
    throw invalid(`a DCQL credential query must name 1 to ${MAX_CLAIMS} claims`);
  }
  const paths = [];
  for (const claim of claims) {
    if (!isObject(claim)) throw invalid("each DCQL claims query must be an object");
    if (has(claim, "values")) throw invalid("DCQL value matching is not supported: it would tell the verifier a value");
    paths.push(path(claim.path));
  }
  if (new Set(paths.map((p) => JSON.stringify(p))).size !== paths.length) throw invalid("a DCQL credential query names a claim twice");
  return { id, vctValues: [...vcts], claims: paths };
}

/** A DCQL query within the city's profile (`{credentials: [{id, vctValues, claims}]}`), or `request_invalid` naming what is outside it. */
export function parseDcql(obj) {
  if (!isObject(obj)) throw invalid("dcql_query must be an object");
  if (has(obj, "credential_sets")) throw invalid("DCQL credential_sets is not supported; ask for one credential per query");
  const { credentials } = obj;
  if (!Array.isArray(credentials) || !(credentials.length > 0 && credentials.length <= MAX_QUERIES)) {
    throw invalid(`dcql_query.credentials must list 1 to ${MAX_QUERIES} credential queries`);
  }
  const queries = credentials.map(credentialQuery);
  if (new Set(queries.map((q) => q.id)).size !== queries.length) throw invalid("two DCQL credential queries share an id");
  return { credentials: queries, claimNames: queries.flatMap(claimNames) };
}

// --- the verifier's attestation -----------------------------------------------------------------

async function thumbprintOrNull(jwk) {
  try {
    return await thumbprint(jwk);
  } catch (err) {
    if (err instanceof CitykeyError) return null;
    throw err;
  }
}

/**
 * The listed verifier (an entry of `bundle.verifiers`) a Verifier Attestation JWT vouches for, or
 * `VerificationFailed` with every reason. The name and scope are the key list's, not the attestation's.
 */
export async function verifyAttestation(token, bundle, { now, leeway = LEEWAY }) {
  if (typeof token !== "string" || token.length > MAX_REQUEST_OBJECT_CHARS) {
    throw invalid("the request carries no Verifier Attestation JWT in its jwt header");
  }
  const parsed = parseJws(token, "verifier attestation");
  const claims = parsed.payload;
  const errors = headerErrors(parsed.header, ATTESTATION_TYP, "verifier attestation");
  if (claims.iss !== bundle.issuer) {
    errors.push(new CitykeyError("verifier_unknown", "the verifier's attestation is not from this city"));
  } else {
    let cityKey = null;
    try {
      cityKey = await keyFor(bundle, parsed.header.kid, claims.iat);
    } catch (err) {
      if (!(err instanceof CitykeyError)) throw err;
      errors.push(err);
    }
    if (cityKey !== null && algAllowed(parsed.header) && !(await signatureValid(parsed, cityKey))) {
      errors.push(new CitykeyError("signature_invalid", "the verifier's attestation is not signed by the city"));
    }
  }
  if (!isInt(claims.exp) || now >= claims.exp + leeway) {
    errors.push(new CitykeyError("request_expired", "the verifier's attestation has expired; the verifier must sync"));
  }
  const listed = bundle.verifiers.find((v) => v.aud === claims.sub) || null;
  const jwk = isObject(claims.cnf) ? claims.cnf.jwk : undefined;
  if (listed === null) {
    errors.push(new CitykeyError("verifier_unknown", "the city does not list this verifier"));
  } else if (!isObject(jwk) || holdsPrivateKey(jwk) || (await thumbprintOrNull(jwk)) !== listed.kid) {
    errors.push(new CitykeyError("verifier_unknown", "the verifier's attestation names another key than the city lists for it"));
  }
  if (errors.length) throw new VerificationFailed(errors);
  return listed;
}

// --- the request ---------------------------------------------------------------------------------

/** Whether `text` is an IPv6 address (what Python's `ipaddress` takes inside brackets), by the URL parser. */
function isIpv6(text) {
  if (!text.includes(":")) return false;
  try {
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}

/** Python's `urllib.parse.urlsplit` as far as these rules read it: scheme, hostname, query, fragment;
 * `badHost` where `urlsplit` raises (brackets unbalanced, or around something not IPv6) and `badPort`
 * where reading `.port` raises (not digits, or above 65535). */
function splitUrl(text) {
  const hashAt = text.indexOf("#");
  const fragment = hashAt < 0 ? "" : text.slice(hashAt + 1);
  let rest = hashAt < 0 ? text : text.slice(0, hashAt);
  const queryAt = rest.indexOf("?");
  const query = queryAt < 0 ? "" : rest.slice(queryAt + 1);
  rest = queryAt < 0 ? rest : rest.slice(0, queryAt);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  let hostname = "";
  let badHost = false;
  let badPort = false;
  if (rest.startsWith("//")) {
    const netloc = rest.slice(2).split("/")[0];
    const host = netloc.slice(netloc.lastIndexOf("@") + 1);
    badHost = netloc.includes("[") !== netloc.includes("]");
    const bracketed = !badHost && netloc.includes("[") ? netloc.slice(netloc.indexOf("[") + 1).split("]")[0] : null;
    if (bracketed !== null && !isIpv6(bracketed)) badHost = true;
    hostname = (host.includes("[") ? host.slice(host.indexOf("[") + 1).split("]")[0] : host.split(":")[0]).toLowerCase();
    const afterHost = host.includes("]") ? host.slice(host.indexOf("]") + 1) : host.slice(host.split(":")[0].length);
    if (afterHost.startsWith(":")) {
      const port = afterHost.slice(1);
      badPort = !/^[0-9]+$/.test(port) || Number(port) > 65535;
    }
  }
  return { scheme: scheme ? scheme[1].toLowerCase() : "", hostname, query, fragment, badHost, badPort };
}

/** An https URL, or http on this machine's loopback (a kiosk's own service, tests). */
function responseUri(value) {
  if (typeof value !== "string" || value.length > MAX_INVOCATION_CHARS) throw invalid("the request's response_uri is missing or too long");
  const url = splitUrl(value);
  if (url.badHost || url.badPort) throw invalid("the request's response_uri is not a URL");
  const loopback = url.scheme === "http" && LOOPBACK.has(url.hostname);
  if (!(url.scheme === "https" || loopback) || !url.hostname || url.fragment) throw invalid("the request's response_uri must be an https URL");
  return value;
}

async function encryption(metadata) {
  if (!isObject(metadata)) throw invalid("the request has no client_metadata with a key to encrypt the response to");
  const keys = isObject(metadata.jwks) ? metadata.jwks.keys : undefined;
  const usable = Array.isArray(keys)
    ? keys.filter((k) => isObject(k) && (has(k, "use") ? k.use : "enc") === "enc" && k.alg === JWE_ALG && k.kty === "EC" && k.crv === "P-256")
    : [];
  if (usable.length !== 1) throw invalid(`client_metadata.jwks must hold exactly one P-256 ${JWE_ALG} key for the response`);
  const key = usable[0];
  if (holdsPrivateKey(key) || typeof key.kid !== "string") throw invalid("the response encryption key must be public and have a kid");
  await importPublicKey(key); // on the curve, or key_invalid
  const offered = has(metadata, "encrypted_response_enc_values_supported") ? metadata.encrypted_response_enc_values_supported : [DEFAULT_ENC];
  const enc = Array.isArray(offered) ? offered.filter((v) => ENC_VALUES.includes(v)) : [];
  if (!enc.length) throw invalid(`the verifier offers no content encryption this wallet uses: ${ENC_VALUES.join(", ")}`);
  return { jwk: { ...publicJwk(key), kid: key.kid, use: "enc", alg: JWE_ALG }, enc };
}

async function checkedRequest(claims) {
  if (has(claims, "transaction_data")) throw invalid("transaction_data is not supported by city wallets");
  if (claims.response_type !== RESPONSE_TYPE || claims.response_mode !== RESPONSE_MODE) {
    throw invalid(`the request must ask for ${RESPONSE_TYPE} by ${RESPONSE_MODE} (an encrypted answer)`);
  }
  if (has(claims, "scope")) throw invalid("the request must name what it asks for in dcql_query, not scope");
  const { nonce, state, iat, exp } = claims;
  for (const [name, value] of [["nonce", nonce], ["state", state]]) {
    if (typeof value !== "string" || value.length < MIN_NONCE_CHARS || value.length > 128 || !URL_SAFE.test(value)) {
      throw invalid(`the request's ${name} must be ${MIN_NONCE_CHARS} to 128 URL-safe characters`);
    }
  }
  if (!isInt(iat) || !isInt(exp) || exp <= iat) throw invalid("the request needs iat and a later exp");
  const { jwk, enc } = await encryption(claims.client_metadata);
  return {
    clientId: typeof claims.client_id === "string" ? claims.client_id : null,
    responseUri: responseUri(claims.response_uri),
    nonce,
    state,
    dcql: parseDcql(claims.dcql_query),
    encryptionJwk: jwk,
    iat,
    exp,
    encValues: enc,
  };
}

/**
 * Check a Request Object before showing the holder anything (wallet_spec.openid4vp.verify_authorization_request):
 * `{request, verifier}`, or throw with every reason. `clientIdParam` is the link's or QR code's `client_id`;
 * `bundle` is the wallet's verified trust bundle (src/bundle.js).
 */
export async function verifyAuthorizationRequest(token, { clientIdParam, bundle, now, leeway = LEEWAY }) {
  if (typeof token !== "string" || token.length > MAX_REQUEST_OBJECT_CHARS) {
    throw tooLarge(`a Request Object may be at most ${MAX_REQUEST_OBJECT_CHARS} characters`);
  }
  const parsed = parseJws(token.trim(), "request object");
  const request = await checkedRequest(parsed.payload);
  if (request.clientId !== clientIdParam) throw invalid("the Request Object's client_id is not the one in the link or QR code");
  const colon = request.clientId.indexOf(":");
  const [prefix, aud] = colon < 0 ? [request.clientId, ""] : [request.clientId.slice(0, colon), request.clientId.slice(colon + 1)];
  if (prefix !== PREFIX || !aud) throw invalid(`city wallets answer verifiers identified by the '${PREFIX}' prefix`);
  const errors = headerErrors(parsed.header, REQUEST_TYP, "request object");
  const verifier = await verifyAttestation(parsed.header.jwt, bundle, { now, leeway });
  if (verifier.aud !== aud) errors.push(new CitykeyError("verifier_unknown", "the verifier's attestation is for another client_id"));
  if (algAllowed(parsed.header) && !(await signatureValid(parsed, await importPublicKey(verifier.jwk)))) {
    errors.push(new CitykeyError("signature_invalid", "the request is not signed by the key the city lists for this verifier"));
  }
  if (now >= request.exp + leeway) errors.push(new CitykeyError("request_expired", "the request has expired; ask the service to show a new one"));
  if (request.iat > now + leeway) errors.push(invalid("the request is dated in the future"));
  errors.push(...scopeErrors(request.dcql.claimNames, verifier));
  if (errors.length) throw new VerificationFailed(errors);
  return { request, verifier };
}

// --- the invocation (QR code or link) --------------------------------------------------------------

/** Python's `urllib.parse.unquote`: %XX runs as UTF-8, bad bytes replaced, anything else left as it is. */
function unquote(text) {
  const bytes = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length;) {
    if (text[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const cp = text.codePointAt(i);
      const ch = String.fromCodePoint(cp);
      bytes.push(...encoder.encode(ch));
      i += ch.length;
    }
  }
  return new TextDecoder("utf-8").decode(new Uint8Array(bytes));
}

/** Python's `parse_qs(text, strict_parsing=True, max_num_fields=16)`: name → every value, blank values dropped. */
function parseQuery(text) {
  if ((text ? text.split("&").length : 0) > 16) throw formatError("the request link's parameters are malformed");
  const found = new Map();
  for (const field of text ? text.split("&") : []) {
    const eq = field.indexOf("=");
    if (eq < 0) throw formatError("the request link's parameters are malformed");
    const [name, value] = [field.slice(0, eq), field.slice(eq + 1)];
    if (!value.length) continue;
    const key = unquote(name.replace(/\+/g, " "));
    found.set(key, [...(found.get(key) || []), unquote(value.replace(/\+/g, " "))]);
  }
  return found;
}

/** `{clientId, requestUri}` of an `openid4vp://` (or https wallet) link, or `malformed` in words. */
export function parseInvocation(url) {
  if (typeof url !== "string" || url.length > MAX_INVOCATION_CHARS) throw tooLarge(`a request link may be at most ${MAX_INVOCATION_CHARS} characters`);
  const parts = splitUrl(url.trim());
  if (parts.badHost) throw formatError("not an OpenID4VP request link: it is not a URL");
  if (!["openid4vp", "https", "http"].includes(parts.scheme)) throw formatError("not an OpenID4VP request link (it starts with openid4vp://)");
  const params = parseQuery(parts.query || parts.fragment);
  if ([...params.values()].some((v) => v.length !== 1)) throw formatError("the request link repeats a parameter");
  const found = new Map([...params].map(([k, v]) => [k, v[0]]));
  if (found.has("request")) throw invalid("city wallets fetch requests by reference (request_uri), not by value");
  if ((found.get("request_uri_method") ?? "get") !== "get") throw invalid("request_uri_method post is not supported; the wallet fetches the request with GET");
  const client = found.get("client_id");
  const requestUri = found.get("request_uri");
  if (!client || !requestUri) throw formatError("the request link needs client_id and request_uri");
  responseUri(requestUri);
  return { clientId: client, requestUri };
}


// --- the response ----------------------------------------------------------------------------------

/** The Authorization Response before encryption: one presentation list per credential query id. */
export const responsePayload = (vpToken, state) => ({ vp_token: vpToken, state });

export { VerificationFailed };
