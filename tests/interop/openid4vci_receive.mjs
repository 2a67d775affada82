#!/usr/bin/env node
// A wallet that knows nothing of citykey receives credentials from a desk's offer with the OpenWallet
// Foundation's OpenID4VCI client (@openid4vc/openid4vci, oid4vc-ts, pinned in package-lock.json).
//
//   node openid4vci_receive.mjs --offer URI [--tx-code DIGITS] [--per-type N] [--wallet FILE]
//
// The library does the protocol: it resolves the offer (`credential_offer_uri`), the credential
// issuer's and authorization server's metadata, redeems the pre-authorized code (with the transaction
// code when the offer asks for one: it refuses to send the request without one), asks the nonce
// endpoint for a `c_nonce`, builds each key proof (`openid4vci-proof+jwt`, `jwk` header, `aud` the
// issuer, `nonce`, `iat`) and sends one credential request per configuration with its `proofs`,
// checking the count against the issuer's `batch_size`. This script supplies the callbacks
// (jose_callbacks.mjs: a fresh P-256 holder key per credential, ES256) and then checks what it got:
//   - [credential] each credential verifies as an SD-JWT VC from the offer's issuer (sd_jwt_vc.mjs:
//     sd-jwt-js, the issuer's key from its `/.well-known/jwt-vc-issuer`, status list, disclosures);
//   - [holder-binding] its `cnf.jwk` is the holder key whose proof asked for it (OpenID4VCI §8.2).
// A configuration the issuer answers with `credential_request_denied` (an age pass not true for this
// resident) is skipped, as the specification says, and listed in the verdict's "denied".
// Verdict (interop.mjs): {"accepted": true, "issuer": ..., "credentials": [{"configuration", "vct",
// "claims", ...}], "denied": [...]}. With --wallet, the credentials and their holder keys (private JWKs) are written
// to FILE for openid4vp_wallet.mjs.

import { writeFileSync } from "node:fs";
import { setGlobalConfig } from "@openid4vc/oauth2";
import { Openid4vciClient } from "@openid4vc/openid4vci";
import { Keyring, SIGNING_ALG, callbacks, newKey, publicJwk, thumbprint } from "./jose_callbacks.mjs";
import { Refusal, Usage, by, isLoopbackHttp, library, main, options } from "./interop.mjs";
import { verifyCredential } from "./sd_jwt_vc.mjs";

const SCRIPT = "openid4vci_receive.mjs";
const OID4VCI = library("@openid4vc/openid4vci");

function offerUriOf(offer) {
  const param = new URL(offer).searchParams.get("credential_offer_uri");
  return param ?? offer;
}

await main(SCRIPT, async () => {
  const args = options(process.argv.slice(2), ["offer", "tx-code", "per-type", "wallet"]);
  if (args.offer === undefined) throw new Usage("--offer is required");
  const perType = args["per-type"] === undefined ? 1 : Number(args["per-type"]);
  if (!Number.isInteger(perType) || perType < 1) throw new Usage("--per-type takes a positive integer");
  // oid4vc-ts takes https URLs only unless told otherwise; the tests serve the city on loopback http.
  setGlobalConfig({ allowInsecureUrls: isLoopbackHttp(offerUriOf(args.offer)) });

  const keyring = new Keyring();
  const client = new Openid4vciClient({ callbacks: callbacks({ keyring }) });
  const offer = await by(OID4VCI, () => client.resolveCredentialOffer(args.offer));
  const metadata = await by(OID4VCI, () => client.resolveIssuerMetadata(offer.credential_issuer));
  const token = await by(OID4VCI, () =>
    client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer: offer,
      issuerMetadata: metadata,
      txCode: args["tx-code"],
    }),
  );

  const received = [];
  const denied = [];
  for (const configuration of offer.credential_configuration_ids) {
    const { c_nonce: nonce } = await by(OID4VCI, () => client.requestNonce({ issuerMetadata: metadata }));
    const holders = [];
    const proofs = [];
    for (let i = 0; i < perType; i += 1) {
      const holder = await keyring.add(await newKey());
      const { kty, crv, x, y } = holder;
      const signer = { method: "jwk", alg: SIGNING_ALG, publicJwk: { kty, crv, x, y } };
      const { jwt } = await by(OID4VCI, () =>
        client.createCredentialRequestJwtProof({
          issuerMetadata: metadata,
          credentialConfigurationId: configuration,
          signer,
          nonce,
          issuedAt: new Date(),
        }),
      );
      holders.push(holder);
      proofs.push(jwt);
    }
    let response;
    try {
      response = await by(OID4VCI, () =>
        client.retrieveCredentials({
          issuerMetadata: metadata,
          accessToken: token.accessTokenResponse.access_token,
          credentialConfigurationId: configuration,
          proofs: { jwt: proofs },
        }),
      );
    } catch (error) {
      // OpenID4VCI §8.3.1.2: the issuer does not give this configuration to this resident (an age
      // pass not true for them; every offer names every type). Not retried, not a failure.
      if (error?.response?.credentialErrorResponseResult?.data?.error !== "credential_request_denied") throw error;
      denied.push(configuration);
      continue;
    }
    const credentials = response.credentialResponse.credentials ?? [];
    if (credentials.length !== holders.length) {
      const counts = `${credentials.length} credential(s) for ${holders.length} proof(s)`;
      throw new Refusal("credential", `${configuration}: ${counts}`);
    }
    for (const [i, { credential }] of credentials.entries()) {
      const verified = await verifyCredential(credential).catch((error) => {
        if (error instanceof Refusal) throw new Refusal("credential", `${configuration}: ${error.rule}: ${error.message}`);
        throw error;
      });
      if (verified.issuer !== offer.credential_issuer) {
        const expected = offer.credential_issuer;
        throw new Refusal("credential", `${configuration}: iss ${verified.issuer} is not the offer's issuer ${expected}`);
      }
      const bound = verified.claims.cnf?.jwk;
      if (bound === undefined || (await thumbprint(bound)) !== (await thumbprint(holders[i]))) {
        throw new Refusal("holder-binding", `${configuration}: credential ${i} is not bound to the key of proof ${i}`);
      }
      received.push({ configuration, credential, holder: holders[i], vct: verified.claims.vct, kid: verified.kid,
        claims: verified.claims });
    }
  }

  if (args.wallet !== undefined) {
    const wallet = received.map(({ configuration, credential, holder, vct }) => ({
      configuration, vct, credential, holder,
    }));
    writeFileSync(args.wallet, `${JSON.stringify({ credentials: wallet })}\n`, { mode: 0o600 });
  }
  return {
    library: OID4VCI,
    issuer: offer.credential_issuer,
    version: metadata.originalDraftVersion,
    tx_code: offer.grants?.["urn:ietf:params:oauth:grant-type:pre-authorized_code"]?.tx_code ?? null,
    batch_size: metadata.credentialIssuer.batch_credential_issuance?.batch_size ?? null,
    denied,
    credentials: received.map(({ configuration, vct, kid, claims, holder }) => ({
      configuration, vct, kid, claims, holder: publicJwk(holder),
    })),
  };
});
