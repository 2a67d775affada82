// The resident's side of OpenID4VP 1.0, as wallet/openid4vp.py: read a service's request, and
// answer it encrypted once the holder agrees.
//
//   const asked = await fetchRequest(link, { bundle, now });   // checked before anything is shown
//   // show asked.verifier.name and asked.request.dcql.claimNames; the holder agrees, or not
//   const sent = await answer(asked, { present: wallet.presentTo });   // or: await decline(asked)
//
// `fetchRequest` fetches the Request Object without following redirects (§14.6), checks its size
// and media type, then the rules of src/openid4vp.js against the wallet's trust bundle. `answer`
// presents, for each credential query, the smallest credential that holds the claims, key-bound to
// the request's nonce and full client id, and posts it encrypted to the transaction's key. The
// wallet talks only to the service's `request_uri` and `response_uri`, never to the city.
import { CitykeyError, formatError, tooLarge } from "./errors.js";
import { concatBytes, utf8Decode } from "./encoding.js";
import { encrypt } from "./jwe.js";
import { MAX_REQUEST_OBJECT_CHARS, REQUEST_MEDIA_TYPE, parseInvocation, responsePayload, verifyAuthorizationRequest } from "./openid4vp.js";

export const MAX_RESPONSE_BYTES = MAX_REQUEST_OBJECT_CHARS;
const unreachable = (message) => new CitykeyError("verifier_unreachable", message);

async function call(url, init, what) {
  try {
    return await fetch(url, { redirect: "manual", cache: "no-store", credentials: "omit", ...init });
  } catch (err) {
    throw unreachable(`the service at ${url} does not answer (${what}): ${err && err.message}`);
  }
}

/** The body, read no further than `max` bytes. */
async function limited(response, max) {
  const declared = Number(response.headers.get("content-length"));
  if (declared > max) throw tooLarge(`the service's request is larger than ${max} bytes`);
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      throw tooLarge(`the service's request is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return concatBytes(...chunks);
}

/** The request behind a link or QR code, checked (`{request, verifier}`); throws with every reason it must not be answered. */
export async function fetchRequest(link, { bundle, now }) {
  const { clientId, requestUri } = parseInvocation(link);
  const response = await call(requestUri, { headers: { Accept: REQUEST_MEDIA_TYPE } }, "its request");
  if (response.status !== 200) throw unreachable(`the service answered ${response.status || "a redirect"} instead of its request`);
  const bytes = await limited(response, MAX_RESPONSE_BYTES);
  const media = (response.headers.get("content-type") || "").split(";")[0].trim().toLowerCase();
  if (media !== REQUEST_MEDIA_TYPE) throw formatError(`the service's request must be ${REQUEST_MEDIA_TYPE}, not ${media || "untyped"}`);
  return verifyAuthorizationRequest(utf8Decode(bytes, "the service's request"), { clientIdParam: clientId, bundle, now });
}

/**
 * Present what `asked` asks for with `present(paths, {nonce, aud, vcts})` (src/wallet.js `presentTo`),
 * encrypted to the service's transaction key, and post it. Returns what was shown, per query.
 */
export async function answer(asked, { present }) {
  const { request } = asked;
  const vpToken = {};
  const shown = [];
  for (const query of request.dcql.credentials) {
    const presented = await present(query.claims, { nonce: request.nonce, aud: request.clientId, vcts: query.vctValues });
    vpToken[query.id] = [presented.text];
    shown.push(presented);
  }
  const sealed = await encrypt(responsePayload(vpToken, request.state), request.encryptionJwk, { enc: request.encValues[0] });
  const response = await call(request.responseUri, { method: "POST", body: new URLSearchParams({ response: sealed }) }, "the answer");
  if (response.status !== 200) throw unreachable(`the service refused the answer (${response.status || "a redirect"})`);
  return { shown };
}

/** OpenID4VP §8.5, as wallet_spec.openid4vp.ACCESS_DENIED: the holder said no. */
const ACCESS_DENIED = "access_denied";

/**
 * Tell the service the holder declined: `error=access_denied` and the request's `state`, nothing about
 * the holder, so its page stops waiting. Throws `verifier_unreachable` if it could not be told.
 */
export async function decline(asked) {
  const { request } = asked;
  const form = new URLSearchParams({ error: ACCESS_DENIED, state: request.state });
  const response = await call(request.responseUri, { method: "POST", body: form }, "the refusal");
  if (response.status !== 200) throw unreachable(`the service refused the refusal (${response.status || "a redirect"})`);
}
