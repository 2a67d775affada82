#!/usr/bin/env node
// A wallet that knows nothing of citykey answers an OpenID4VP 1.0 request with the OpenWallet
// Foundation's libraries (pinned in package-lock.json): oid4vc-ts (@openid4vc/openid4vp) for the
// protocol, dcql-ts (dcql) to match the query against what it holds, sd-jwt-js (@sd-jwt/sd-jwt-vc)
// for the key-bound presentation.
//
//   node openid4vp_wallet.mjs --wallet FILE --link OPENID4VP_URL --trust ISSUER_URL
//                             [--enc A128GCM|A256GCM] [--kb-nonce N] [--kb-aud A]
//
// FILE is what openid4vci_receive.mjs --wallet wrote: credentials and their holder keys.
//
// What the libraries do:
//   - oid4vc-ts parses the link (`client_id`, `request_uri`), fetches the Request Object by reference,
//     has its signature checked through the verifyJwt callback, checks `exp`, `typ`
//     `oauth-authz-req+jwt`, that the link's `client_id` is the Request Object's, the client id prefix
//     (`verifier_attestation` needs a signed request), the request parameters (response_uri with
//     direct_post.jwt, one query language); and for the answer it picks the encryption key in
//     `client_metadata.jwks` and the `enc` both sides support, encrypts `{vp_token, state}` (ECDH-ES,
//     through the encryptJwe callback; `apv` the request's nonce, `apu` a wallet nonce) and posts it as
//     `response=` to `response_uri`.
//   - dcql-ts parses and validates the DCQL query and says which held credential answers each
//     credential query (format `dc+sd-jwt`, `meta.vct_values`, every claim path present).
//   - sd-jwt-js presents the credential with the disclosures the query's claim paths need (everything
//     under a path that names an object) and the KB-JWT (`iat`, `aud`, `nonce`, `sd_hash`) signed with
//     the credential's holder key.
// What they leave to their caller, done here (the `rule` of a refusal in brackets):
//   - [verifier-attestation] oid4vc-ts accepts the `verifier_attestation` prefix but neither reads nor
//     checks the Verifier Attestation JWT (OpenID4VP 1.0 §5.9.3, §12): the request's signer is the
//     "custom" method, and this script's callback is the trust decision. It takes the attestation from
//     the Request Object's `jwt` header and requires: `typ` `verifier-attestation+jwt`, ES256, `iss` the
//     trusted issuer (--trust), signed by the key of that issuer's `/.well-known/jwt-vc-issuer` whose
//     `kid` is its header's, `exp` in the future, `sub` the client identifier without its prefix, and a
//     `cnf.jwk`; [request-signature] the Request Object signed by that key.
//   - [client-id-prefix] only `verifier_attestation` is trusted here.
//   - [dcql] a credential query nothing held answers; [dcql-claims] a claim path the credential lacks.
// --enc limits the content encryption this wallet supports to one (both by default; oid4vc-ts picks the
// first of the verifier's `encrypted_response_enc_values_supported` it supports). --kb-nonce and
// --kb-aud make the KB-JWT carry another nonce or audience than the request's (what a broken or
// replaying wallet would send), for the verifier's refusal.
// Verdict (interop.mjs): {"accepted": true, "client_id", "verifier", "version", "vct", "shown": {query id:
// [what the presentation shows: its disclosures and the claims always in the clear]}, "enc", "response_status"}.

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { setGlobalConfig } from "@openid4vc/oauth2";
import { Openid4vpClient } from "@openid4vc/openid4vp";
import { ES256, digest } from "@sd-jwt/crypto-nodejs";
import { decodeSdJwt, getClaims } from "@sd-jwt/decode";
import { SDJwtVcInstance } from "@sd-jwt/sd-jwt-vc";
import { DcqlQuery } from "dcql";
import { DCQL, OID4VP, PREFIX, Refusal, Usage, by, decodePart, isLoopbackHttp, main, options } from "./interop.mjs";
import {
  CONTENT_ENCRYPTION, KEY_MANAGEMENT_ALG, Keyring, SIGNING_ALG, callbacks, verifyCompact,
} from "./jose_callbacks.mjs";
import { SD_JWT_LIBRARY, issuerKeys, shownNames } from "./sd_jwt_vc.mjs";

const SCRIPT = "openid4vp_wallet.mjs";
const ATTESTATION_TYP = "verifier-attestation+jwt";
const LEEWAY = 60;

/** The trust decision for a request signed under the `verifier_attestation` prefix: the key that signed it. */
function trustAttestations(trusted) {
  return async ({ compact, header, payload }) => {
    const clientId = payload.client_id;
    if (typeof clientId !== "string" || !clientId.startsWith(`${PREFIX}:`)) {
      throw new Refusal("client-id-prefix", `only the ${PREFIX} prefix is trusted here, not ${JSON.stringify(clientId)}`);
    }
    const attestation = header.jwt;
    const parts = typeof attestation === "string" ? attestation.split(".") : [];
    if (parts.length !== 3) {
      throw new Refusal("verifier-attestation", "the Request Object has no Verifier Attestation JWT in its jwt header");
    }
    const [head, claims] = [decodePart(parts[0]), decodePart(parts[1])];
    const now = Math.floor(Date.now() / 1000);
    const fail = (message) => {
      throw new Refusal("verifier-attestation", message);
    };
    if (head.typ !== ATTESTATION_TYP) fail(`its typ ${JSON.stringify(head.typ)} is not ${ATTESTATION_TYP}`);
    if (head.alg !== SIGNING_ALG) fail(`its alg ${JSON.stringify(head.alg)} is not ${SIGNING_ALG}`);
    if (claims.iss !== trusted) fail(`it is issued by ${JSON.stringify(claims.iss)}, not by the trusted ${trusted}`);
    const metadata = await issuerKeys(trusted);
    const key = metadata.keys.find((k) => k.kid === head.kid);
    if (key === undefined) fail(`no key with kid ${JSON.stringify(head.kid)} in ${metadata.url}`);
    if (!(await verifyCompact(attestation, key))) fail(`it is not signed by ${trusted}'s key ${head.kid}`);
    if (!Number.isInteger(claims.exp) || claims.exp <= now - LEEWAY) fail("it has expired");
    if (Number.isInteger(claims.iat) && claims.iat > now + LEEWAY) fail("it is dated in the future");
    const identifier = clientId.slice(PREFIX.length + 1);
    if (claims.sub !== identifier) fail(`its sub ${JSON.stringify(claims.sub)} is not the client identifier ${identifier}`);
    if (typeof claims.cnf?.jwk !== "object") fail("it names no key (cnf.jwk) for the verifier");
    if (!(await verifyCompact(compact, claims.cnf.jwk))) {
      throw new Refusal("request-signature", "the Request Object is not signed by the key its attestation names (cnf.jwk)");
    }
    return claims.cnf.jwk;
  };
}

/** sd-jwt-js's presentation frame: each path disclosed, and everything below a path that names an object. */
function frameFor(paths, claims) {
  const everything = (value) =>
    value !== null && typeof value === "object"
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, everything(v)]))
      : true;
  const frame = {};
  for (const path of paths) {
    let [node, value] = [frame, claims];
    for (const [i, step] of path.entries()) {
      if (value === null || typeof value !== "object" || !(step in value)) {
        throw new Refusal("dcql-claims", `the credential has no claim at ${JSON.stringify(path)}`);
      }
      value = value[step];
      if (i === path.length - 1) node[step] = everything(value);
      else if (node[step] === true) break; // a shorter path already disclosed all of it
      else node = node[step] ??= {};
    }
  }
  return frame;
}

async function held(file) {
  const stored = JSON.parse(readFileSync(file, "utf8")).credentials;
  return Promise.all(
    stored.map(async (entry) => {
      const decoded = await decodeSdJwt(entry.credential, digest);
      const claims = await getClaims(decoded.jwt.payload, decoded.disclosures, digest);
      return { ...entry, claims };
    }),
  );
}

await main(SCRIPT, async () => {
  const args = options(process.argv.slice(2), ["wallet", "link", "trust", "enc", "kb-nonce", "kb-aud"]);
  for (const name of ["wallet", "link", "trust"]) if (args[name] === undefined) throw new Usage(`--${name} is required`);
  const link = new URL(args.link);
  // oid4vc-ts takes https URLs only unless told otherwise; the tests serve the verifier on loopback http.
  setGlobalConfig({ allowInsecureUrls: isLoopbackHttp(link.searchParams.get("request_uri") ?? "https://x") });

  const client = new Openid4vpClient({
    callbacks: callbacks({ keyring: new Keyring(), trustCustom: trustAttestations(args.trust) }),
  });
  const parsed = await by(OID4VP, () => client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: args.link }));
  const resolved = await by(OID4VP, () =>
    client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params }),
  );
  const request = resolved.authorizationRequestPayload;
  if (resolved.client.prefix !== PREFIX) {
    throw new Refusal("client-id-prefix", `only the ${PREFIX} prefix is trusted here, not ${resolved.client.prefix}`);
  }
  if (resolved.dcql === undefined) throw new Refusal("dcql", "the request has no DCQL query");

  const wallet = await held(args.wallet);
  const query = await by(DCQL, () => {
    const found = DcqlQuery.parse(resolved.dcql.query);
    DcqlQuery.validate(found);
    return found;
  });
  const candidates = wallet.map((c) => ({
    credential_format: "dc+sd-jwt", vct: c.vct, claims: c.claims, cryptographic_holder_binding: true,
  }));
  const result = await by(DCQL, () => DcqlQuery.query(query, candidates));

  const vpToken = {};
  const shown = {};
  let vct;
  for (const credentialQuery of query.credentials) {
    const match = result.credential_matches[credentialQuery.id];
    if (!match?.success) throw new Refusal("dcql", `nothing held answers the credential query ${credentialQuery.id}`);
    const chosen = wallet[match.valid_credentials[0].input_credential_index];
    const paths = (credentialQuery.claims ?? []).map((claim) => claim.path);
    const instance = new SDJwtVcInstance({
      hasher: digest,
      kbSigner: await ES256.getSigner(chosen.holder),
      kbSignAlg: SIGNING_ALG,
    });
    const presentation = await by(SD_JWT_LIBRARY, () =>
      instance.present(chosen.credential, frameFor(paths, chosen.claims), {
        kb: {
          payload: {
            iat: Math.floor(Date.now() / 1000),
            aud: args["kb-aud"] ?? resolved.client.effective,
            nonce: args["kb-nonce"] ?? request.nonce,
          },
        },
      }),
    );
    vpToken[credentialQuery.id] = [presentation];
    const presented = await decodeSdJwt(presentation, digest);
    shown[credentialQuery.id] = shownNames(await getClaims(presented.jwt.payload, presented.disclosures, digest));
    vct = chosen.vct;
  }

  const response = await by(OID4VP, () =>
    client.createOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: request,
      authorizationResponsePayload: { vp_token: vpToken },
      jarm: {
        encryption: { nonce: randomBytes(16).toString("base64url") },
        serverMetadata: {
          authorization_signing_alg_values_supported: [],
          authorization_encryption_alg_values_supported: [KEY_MANAGEMENT_ALG],
          authorization_encryption_enc_values_supported: args.enc === undefined ? CONTENT_ENCRYPTION : [args.enc],
        },
      },
    }),
  );
  const verdict = {
    library: OID4VP,
    client_id: resolved.client.effective,
    prefix: resolved.client.prefix,
    verifier: decodePart(resolved.jar.jwt.header.jwt.split(".")[1]).name ?? null,
    version: resolved.version,
    vct,
    shown,
    enc: decodePart(response.jarm.responseJwt.split(".")[0]).enc,
  };
  const submitted = await by(OID4VP, () =>
    client.submitOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: request,
      authorizationResponsePayload: response.authorizationResponsePayload,
      jarm: response.jarm,
    }),
  );
  const status = submitted.response.status;
  if (status !== 200) {
    throw new Refusal("response-endpoint", `the verifier answered HTTP ${status}: ${await submitted.response.text()}`);
  }
  return { ...verdict, response_status: status };
});
