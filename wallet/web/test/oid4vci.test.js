// The offer and URL rules of the OpenID4VCI client, as wallet/oid4vci.py has them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkUrl, parseOfferUri, wellKnown } from "../src/oid4vci.js";

test("an offer by reference and one by value", () => {
  const ref = parseOfferUri("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fid.example%2Foffers%2Fabc");
  assert.deepEqual(ref, { reference: "https://id.example/offers/abc" });
  const offer = { credential_issuer: "https://id.example", credential_configuration_ids: ["identity"] };
  const byValue = parseOfferUri(`openid-credential-offer://?credential_offer=${encodeURIComponent(JSON.stringify(offer))}`);
  assert.equal(byValue.offer.credential_issuer, "https://id.example");
});

test("an offer with both, neither, or two references is refused", () => {
  for (const text of [
    "openid-credential-offer://?",
    "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example&credential_offer=%7B%7D",
    "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example&credential_offer_uri=https%3A%2F%2Fb.example",
  ]) assert.throws(() => parseOfferUri(text), (err) => err.code === "client_error");
});

test("only https, or http to this machine; no fragment, no credentials in the URL", () => {
  assert.equal(checkUrl("https://id.example/x", "u"), "https://id.example/x");
  assert.equal(checkUrl("http://127.0.0.1:8000/x", "u"), "http://127.0.0.1:8000/x");
  for (const bad of ["http://id.example/x", "https://id.example/x#f", "https://u:p@id.example/", "ftp://id.example/", "nonsense"]) {
    assert.throws(() => checkUrl(bad, "u"), (err) => err.code === "client_error", bad);
  }
});

test("well-known URLs go between host and path (RFC 8414 §3)", () => {
  assert.equal(wellKnown("https://id.example", "openid-credential-issuer"), "https://id.example/.well-known/openid-credential-issuer");
  assert.equal(wellKnown("https://city.example/id/", "oauth-authorization-server"), "https://city.example/.well-known/oauth-authorization-server/id");
});
