// OpenID4VP requests against the cases Python decided (wallet_spec/vectors/openid4vp.json), and the
// wallet's exchange (src/vpwallet.js) with a service on loopback: the Request Object fetched as the
// rules say, the answer posted as a form holding a JWE that only the transaction's key opens.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { test } from "node:test";
import { compactDecrypt, decodeProtectedHeader, generateKeyPair, exportJWK } from "jose";
import { loadBundle } from "../src/bundle.js";
import { encrypt } from "../src/jwe.js";
import { isInvocation } from "../src/invocation.js";
import { parseInvocation, verifyAuthorizationRequest } from "../src/openid4vp.js";
import { answer, fetchRequest } from "../src/vpwallet.js";

const vectors = JSON.parse(readFileSync(new URL("../../../wallet_spec/vectors/openid4vp.json", import.meta.url), "utf8"));
const { now } = vectors;
const bundle = await loadBundle(vectors.bundle, vectors.root, { now });
const codes = (err) => (err.errors ? err.errors.map((e) => e.code).sort() : [err.code]);
const byName = (name) => vectors.requests.find((c) => c.name === name);

for (const c of vectors.requests) {
  test(`request object: ${c.name}`, async () => {
    const judging = verifyAuthorizationRequest(c.request_object, { clientIdParam: c.client_id, bundle, now });
    if (c.expected.accepted) {
      const { request, verifier } = await judging;
      const want = c.expected.accepted;
      assert.deepEqual(
        { verifier: verifier.aud, name: verifier.name, client_id: request.clientId, claim_names: request.dcql.claimNames,
          queries: request.dcql.credentials.map((q) => ({ id: q.id, format: "dc+sd-jwt", meta: { vct_values: q.vctValues }, claims: q.claims.map((path) => ({ path })) })),
          nonce: request.nonce, state: request.state, response_uri: request.responseUri, encryption_jwk: request.encryptionJwk,
          enc_values: request.encValues, iat: request.iat, exp: request.exp },
        { ...want, queries: JSON.parse(JSON.stringify(want.queries)) });
    } else {
      await assert.rejects(judging, (err) => {
        assert.deepEqual(codes(err), c.expected.codes, err.message);
        return true;
      });
    }
  });
}

for (const c of vectors.links) {
  test(`request link: ${c.name}`, () => {
    if (c.expected.accepted) {
      assert.deepEqual(parseInvocation(c.link), { clientId: c.expected.accepted.client_id, requestUri: c.expected.accepted.request_uri });
      assert.ok(isInvocation(c.link), "recognised before its code is loaded");
    } else {
      assert.throws(() => parseInvocation(c.link), (err) => {
        assert.deepEqual(codes(err), c.expected.codes, err.message);
        return true;
      });
    }
  });
}

test("a CKQ1: challenge and an offer link are not taken for OpenID4VP requests", () => {
  assert.equal(isInvocation("CKQ1:0ABCDEF"), false);
  assert.equal(isInvocation("https://id.example/wallet/#offer=openid-credential-offer%3A%2F%2F"), false);
});

// --- the exchange over loopback -----------------------------------------------------------------------

/** A service on loopback: `routes[path]` answers; every request it gets is kept in `seen`. */
async function service(routes) {
  const seen = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => { body += chunk; });
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      const route = routes[req.url];
      if (!route) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(route.status ?? 200, route.headers ?? {}).end(route.body ?? "");
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return { base, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

const linkTo = (base, path, clientId) => `openid4vp://?${new URLSearchParams({ client_id: clientId, request_uri: `${base}${path}` })}`;
const signup = byName("valid-library-signup");
const MEDIA = { "Content-Type": "application/oauth-authz-req+jwt" };

test("the wallet fetches the Request Object with GET, checks it, and refuses what the rules refuse", async () => {
  const server = await service({
    "/request": { body: signup.request_object, headers: MEDIA },
    "/out-of-scope": { body: byName("out-of-scope").request_object, headers: MEDIA },
    "/untyped": { body: signup.request_object, headers: { "Content-Type": "text/plain" } },
    "/moved": { status: 302, headers: { Location: "/request" } },
    "/huge": { body: "a".repeat(20000), headers: MEDIA },
    "/gone": { status: 404 },
  });
  try {
    const asked = await fetchRequest(linkTo(server.base, "/request", signup.client_id), { bundle, now });
    assert.equal(asked.verifier.name, "Springfield Public Library");
    assert.deepEqual(asked.request.dcql.claimNames, ["given_name", "family_name", "address"]);
    assert.equal(server.seen[0].method, "GET");
    assert.equal(server.seen[0].headers.accept, "application/oauth-authz-req+jwt");
    const refused = async (path, expected, { client = signup.client_id, at = now } = {}) => {
      await assert.rejects(fetchRequest(linkTo(server.base, path, client), { bundle, now: at }), (err) => {
        assert.deepEqual(codes(err), expected, `${path}: ${err.message}`);
        return true;
      });
    };
    await refused("/out-of-scope", ["request_out_of_scope"]);
    await refused("/request", ["request_invalid"], { client: byName("out-of-scope-pool").client_id }); // not the link's client_id
    await refused("/request", ["request_expired"], { at: now + 3600 });
    await refused("/untyped", ["malformed"]);
    await refused("/moved", ["verifier_unreachable"]); // a redirect is not followed
    assert.equal(server.seen.filter((r) => r.url === "/request").length, 3);
    await refused("/huge", ["too_large"]);
    await refused("/gone", ["verifier_unreachable"]);
  } finally {
    await server.close();
  }
});

test("an unlisted verifier is refused even when its request is well formed", async () => {
  const rogue = byName("unlisted-verifier");
  const server = await service({ "/request": { body: rogue.request_object, headers: MEDIA } });
  try {
    await assert.rejects(fetchRequest(linkTo(server.base, "/request", rogue.client_id), { bundle, now }),
      (err) => codes(err).join() === "verifier_unknown");
  } finally {
    await server.close();
  }
});

test("the answer: presentations bound to the nonce and full client id, posted as a form, encrypted to the transaction key", async () => {
  const { publicKey, privateKey } = await generateKeyPair("ECDH-ES", { crv: "P-256" });
  const server = await service({ "/response": { body: "{}", headers: { "Content-Type": "application/json" } } });
  try {
    const asked = await verifyAuthorizationRequest(signup.request_object, { clientIdParam: signup.client_id, bundle, now });
    const jwk = { ...(await exportJWK(publicKey)), kid: "tx-9", use: "enc", alg: "ECDH-ES" };
    const request = { ...asked.request, responseUri: `${server.base}/response`, encryptionJwk: jwk, encValues: ["A256GCM", "A128GCM"] };
    const calls = [];
    const present = async (paths, options) => {
      calls.push({ paths, ...options });
      return { text: `presentation-${calls.length}`, shown: ["resident_of"] };
    };
    const sent = await answer({ ...asked, request }, { present });
    assert.deepEqual(calls, [{ paths: [["given_name"], ["family_name"], ["address"]], nonce: request.nonce, aud: signup.client_id,
      vcts: ["urn:citykey:identity:1", "urn:citykey:residency:1"] }]);
    assert.equal(sent.shown.length, 1);
    const posted = server.seen[0];
    assert.equal(posted.method, "POST");
    assert.match(posted.headers["content-type"], /^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(posted.body);
    assert.deepEqual([...form.keys()], ["response"]);
    const token = form.get("response");
    const header = decodeProtectedHeader(token);
    assert.deepEqual({ alg: header.alg, enc: header.enc, kid: header.kid }, { alg: "ECDH-ES", enc: "A256GCM", kid: "tx-9" });
    const { plaintext } = await compactDecrypt(token, privateKey);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(plaintext)), { vp_token: { city: ["presentation-1"] }, state: request.state });
  } finally {
    await server.close();
  }
});

test("the JWE is refused for an enc outside the allow-list or a key that is not a public ECDH-ES key", async () => {
  const { publicKey } = await generateKeyPair("ECDH-ES", { crv: "P-256" });
  const jwk = { ...(await exportJWK(publicKey)), kid: "k", alg: "ECDH-ES" };
  await assert.rejects(encrypt({}, jwk, { enc: "A192GCM" }), (err) => err.code === "alg_not_allowed");
  await assert.rejects(encrypt({}, { ...jwk, alg: "ECDH-ES+A128KW" }), (err) => err.code === "malformed");
  await assert.rejects(encrypt({}, { ...jwk, d: "AAAA" }), (err) => err.code === "malformed");
  await assert.rejects(encrypt({}, { ...jwk, use: "sig" }), (err) => err.code === "malformed");
  const header = decodeProtectedHeader(await encrypt({ a: 1 }, jwk));
  assert.deepEqual({ alg: header.alg, enc: header.enc, kid: header.kid }, { alg: "ECDH-ES", enc: "A128GCM", kid: "k" });
});
