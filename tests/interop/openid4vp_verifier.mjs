#!/usr/bin/env node
// A verifier that knows nothing of citykey asks a wallet for a city credential over OpenID4VP 1.0 with
// the OpenWallet Foundation's libraries (pinned in package-lock.json): oid4vc-ts (@openid4vc/openid4vp)
// for the request and the response, dcql-ts (dcql) for the query and its result, sd-jwt-js
// (@sd-jwt/sd-jwt-vc, through sd_jwt_vc.mjs) for each presentation.
//
//   node openid4vp_verifier.mjs keygen
//       {"accepted": true, "private_jwk": ..., "public_jwk": ..., "kid": RFC 7638 thumbprint}
//   node openid4vp_verifier.mjs serve --key FILE --aud AUD --city ISSUER_URL --claim PATH... --vct VCT...
//                                     [--enc A128GCM|A256GCM] [--wait SECONDS]
//       first line:  {"ready": true, "invocation": "openid4vp://?client_id=…&request_uri=…", ...}
//       then, once a wallet has posted its answer (or after --wait seconds), the verdict (interop.mjs):
//       {"accepted": true, "claims": {...}, "shown": [claim names], ...} and the process ends.
//
// The verifier's key (FILE, a private JWK from `keygen`) is the one the city lists for it with its
// `aud`; the city's Verifier Attestation JWT for it comes from `ISSUER_URL/verifier-attestations/<kid>`,
// as a verifier syncing with the city fetches it. A claim PATH is dotted (`address.postal_code`).
// --enc offers one content encryption for the answer (A128GCM and A256GCM by default).
//
// What the libraries do:
//   - oid4vc-ts validates the request parameters and signs the Request Object through the signJwt
//     callback (`typ` `oauth-authz-req+jwt`, `iat`, `exp`), serves nothing itself, builds the link
//     (`client_id` and `request_uri` only); for the answer it decrypts the `direct_post.jwt` response with
//     the key of `client_metadata.jwks` named by its `kid` (decryptJwe callback), checks `state`, and
//     parses the DCQL `vp_token`.
//   - dcql-ts parses and validates the query, and checks that the presented claims answer it.
//   - sd-jwt-js checks each presentation (sd_jwt_vc.mjs: the issuer's signature, disclosures, status,
//     and the KB-JWT's signature, `nonce` and `sd_hash`).
// What they leave to their caller, done here (the `rule` of a refusal in brackets):
//   - the `verifier_attestation` client id prefix (§5.9.3): oid4vc-ts has no signer method that puts the
//     Verifier Attestation JWT in the `jwt` header, so the "custom" signer's callback adds it;
//   - [issuer] the credential's `iss` is the city (--city), the one issuer this verifier trusts;
//   - [expired] the answer comes within the request's lifetime (oid4vc-ts keeps no clock for it);
//   - [key-binding] the KB-JWT's `aud` is the full client id (§14.1.2) and its `iat` recent (sd_jwt_vc.mjs);
//   - the key store, HTTP serving, and the one answer per request (a second is answered 404).

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { setGlobalConfig } from "@openid4vc/oauth2";
import { Openid4vpVerifier } from "@openid4vc/openid4vp";
import { DcqlPresentationResult, DcqlQuery } from "dcql";
import {
  ACCEPTED, DCQL, OID4VP, PREFIX, REFUSED, USAGE, Refusal, Usage, by, finish, isLoopbackHttp, main, refusal, safeFetch,
} from "./interop.mjs";
import {
  CONTENT_ENCRYPTION, KEY_MANAGEMENT_ALG, Keyring, SIGNING_ALG, callbacks, newKey, publicJwk, thumbprint,
} from "./jose_callbacks.mjs";
import { shownNames, verifyCredential } from "./sd_jwt_vc.mjs";

const SCRIPT = "openid4vp_verifier.mjs";
const STATIC_AUD = "https://self-issued.me/v2";
const MAX_BODY = 65_536;
const TTL = 300;

function parseServe(argv) {
  const found = { claims: [], vcts: [], wait: 30 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Usage(`missing value: ${name}`);
    if (name === "--claim") found.claims.push(value.split("."));
    else if (name === "--vct") found.vcts.push(value);
    else if (["--key", "--aud", "--city", "--wait", "--enc"].includes(name)) found[name.slice(2)] = value;
    else throw new Usage(`unknown argument: ${name}`);
  }
  for (const name of ["key", "aud", "city"]) if (found[name] === undefined) throw new Usage(`--${name} is required`);
  if (found.claims.length === 0 || found.vcts.length === 0) throw new Usage("name at least one --claim and one --vct");
  found.wait = Number(found.wait);
  if (!(found.wait > 0)) throw new Usage("--wait takes a number of seconds");
  if (found.enc !== undefined && !CONTENT_ENCRYPTION.includes(found.enc)) {
    throw new Usage(`--enc is one of ${CONTENT_ENCRYPTION.join(", ")}`);
  }
  return found;
}

async function attestationFor(city, kid) {
  const url = `${city.replace(/\/$/, "")}/verifier-attestations/${kid}`;
  const response = await safeFetch(url);
  if (!response.ok) {
    throw new Refusal("verifier-attestation", `the city has no attestation for this key (${url}: HTTP ${response.status})`);
  }
  return (await response.text()).trim();
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new Refusal("response", `the answer is larger than ${MAX_BODY} bytes`));
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

async function decide({ body, contentType, created, expires, query, args, verifier, cb }) {
  if (Math.floor(Date.now() / 1000) > expires) throw new Refusal("expired", "the answer came after the request expired");
  if (!contentType?.startsWith("application/x-www-form-urlencoded")) {
    throw new Refusal("response", `the answer must be a form, not ${contentType}`);
  }
  const response = new URLSearchParams(body).get("response");
  if (!response) throw new Refusal("response", "the answer has no response field");
  const request = created.authorizationRequestPayload;
  const parsed = await by(OID4VP, () =>
    verifier.parseOpenid4vpAuthorizationResponse({
      authorizationResponse: { response },
      authorizationRequestPayload: request,
      callbacks: cb,
    }),
  );
  const presented = {};
  const results = [];
  for (const [queryId, presentations] of Object.entries(parsed.dcql.presentations)) {
    presented[queryId] = [];
    for (const presentation of presentations) {
      const verified = await verifyCredential(presentation, {
        vcts: args.vcts,
        nonce: parsed.expectedNonce,
        aud: request.client_id,
      });
      if (verified.issuer !== args.city) {
        throw new Refusal("issuer", `the credential is from ${verified.issuer}; this verifier trusts ${args.city} only`);
      }
      presented[queryId].push({ credential_format: "dc+sd-jwt", vct: verified.claims.vct, claims: verified.claims,
        cryptographic_holder_binding: verified.key_binding });
      results.push(verified);
    }
  }
  const dcqlResult = await by(DCQL, () => {
    const found = DcqlPresentationResult.fromDcqlPresentation(presented, { dcqlQuery: query });
    DcqlPresentationResult.validate(found);
    return found;
  });
  const [{ claims, kb }] = results; // one query, one presentation: dcql-ts refused anything else
  return {
    library: OID4VP,
    client_id: request.client_id,
    jarm: parsed.jarm?.type ?? null,
    enc: JSON.parse(Buffer.from(response.split(".")[0], "base64url").toString()).enc,
    dcql_satisfied: dcqlResult.can_be_satisfied,
    kb_aud: kb?.aud ?? null,
    claims,
    shown: shownNames(claims),
  };
}

async function serve(args) {
  const signing = JSON.parse(readFileSync(args.key, "utf8"));
  const keyring = new Keyring();
  const cb = callbacks({ keyring });
  const verifier = new Openid4vpVerifier({ callbacks: cb });
  const attestation = await attestationFor(args.city, await thumbprint(signing));
  const encryption = await keyring.add(await newKey(KEY_MANAGEMENT_ALG));
  const encryptionKid = (await thumbprint(encryption)).slice(0, 8);

  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  setGlobalConfig({ allowInsecureUrls: isLoopbackHttp(base) });
  const clientId = `${PREFIX}:${args.aud}`;
  const dcqlQuery = {
    credentials: [{ id: "city", format: "dc+sd-jwt", meta: { vct_values: args.vcts },
      claims: args.claims.map((path) => ({ path })) }],
  };
  const query = await by(DCQL, () => {
    const found = DcqlQuery.parse(dcqlQuery);
    DcqlQuery.validate(found);
    return found;
  });
  const expires = Math.floor(Date.now() / 1000) + TTL;
  const created = await by(OID4VP, () =>
    verifier.createOpenId4vpAuthorizationRequest({
      authorizationRequestPayload: {
        response_type: "vp_token",
        client_id: clientId,
        response_mode: "direct_post.jwt",
        response_uri: `${base}/response`,
        nonce: randomBytes(16).toString("base64url"),
        state: randomBytes(16).toString("base64url"),
        dcql_query: dcqlQuery,
        client_metadata: {
          jwks: { keys: [{ ...publicJwk(encryption), kid: encryptionKid, use: "enc", alg: KEY_MANAGEMENT_ALG }] },
          encrypted_response_enc_values_supported: args.enc === undefined ? CONTENT_ENCRYPTION : [args.enc],
          vp_formats_supported: { "dc+sd-jwt": { "sd-jwt_alg_values": [SIGNING_ALG], "kb-jwt_alg_values": [SIGNING_ALG] } },
        },
      },
      jar: {
        requestUri: `${base}/request`,
        jwtSigner: { method: "custom", alg: SIGNING_ALG, privateJwk: signing, extraHeader: { jwt: attestation } },
        expiresInSeconds: TTL,
        additionalJwtPayload: { aud: STATIC_AUD },
      },
    }),
  );

  let answered = false;
  const done = new Promise((resolve) => {
    const timer = setTimeout(() => resolve([REFUSED, { accepted: false, by: SCRIPT, rule: "timeout",
      error: `no answer within ${args.wait} s` }]), args.wait * 1000);
    server.on("request", async (request, response) => {
      const path = new URL(request.url, base).pathname;
      const headers = { "Cache-Control": "no-store" };
      if (request.method === "GET" && path === "/request") {
        response.writeHead(200, { ...headers, "Content-Type": "application/oauth-authz-req+jwt" });
        response.end(created.jar.authorizationRequestJwt);
        return;
      }
      if (request.method !== "POST" || path !== "/response" || answered) {
        response.writeHead(404, { ...headers, "Content-Type": "application/json" });
        response.end(JSON.stringify({ error: "not_found" }));
        return;
      }
      answered = true;
      let verdict;
      try {
        const body = await readBody(request);
        const contentType = request.headers["content-type"];
        const found = await decide({ body, contentType, created, expires, query, args, verifier, cb });
        verdict = [ACCEPTED, { accepted: true, ...found }];
      } catch (error) {
        verdict = [REFUSED, refusal(SCRIPT, error)];
      }
      response.writeHead(200, { ...headers, "Content-Type": "application/json" });
      response.end("{}");
      clearTimeout(timer);
      resolve(verdict);
    });
  });
  const ready = { ready: true, invocation: created.authorizationRequest, client_id: clientId,
    request_uri: `${base}/request`, response_uri: `${base}/response`, nonce: created.authorizationRequestPayload.nonce };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const [code, verdict] = await done;
  server.close();
  server.closeAllConnections();
  finish(code, verdict);
}

const [command, ...rest] = process.argv.slice(2);
if (command === "keygen") {
  await main(SCRIPT, async () => {
    const key = await newKey();
    return { private_jwk: key, public_jwk: publicJwk(key), kid: await thumbprint(key) };
  });
} else if (command === "serve") {
  let args;
  try {
    args = parseServe(rest);
  } catch (error) {
    finish(USAGE, refusal(SCRIPT, error));
  }
  if (args !== undefined) {
    try {
      await serve(args);
    } catch (error) {
      finish(REFUSED, refusal(SCRIPT, error));
    }
  }
} else {
  finish(USAGE, refusal(SCRIPT, new Usage("the command is keygen or serve")));
}
