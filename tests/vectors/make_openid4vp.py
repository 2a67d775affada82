"""Write wallet_spec/vectors/openid4vp.json: OpenID4VP requests and links every citykey wallet judges alike.

Run by hand from the repository root after changing `wallet_spec/openid4vp.py`'s rules:

    .venv/bin/python tests/vectors/make_openid4vp.py

Every key derives from a label and every signature is RFC 6979 (deterministic), so the file is the
same on every run; the generator checks each case against `wallet_spec.openid4vp` before writing.
`tests/wallet_spec/test_openid4vp_vectors.py` holds Python to the file, and the web wallet's
`node --test` (wallet/web/test/openid4vp.test.js) holds src/openid4vp.js to it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from wallet_spec import jwe, jws, openid4vp
from wallet_spec.bundle import load_bundle, sign_bundle
from wallet_spec.encoding import b64url_encode, json_dumps
from wallet_spec.errors import CitykeyError, VerificationFailed
from wallet_spec.jwk import PrivateKey, public_jwk, thumbprint
from wallet_spec.keylist import KeyList, ListedKey, sign_key_list, signing_kid
from wallet_spec.request import ListedVerifier

OUT = Path(__file__).resolve().parents[2] / "wallet_spec" / "vectors" / "openid4vp.json"

NOW = 1_767_225_600
DAY = 86_400
ISSUER = "https://id.springfield.example"
LIBRARY = "https://library.springfield.example"
POOL = "https://pool.springfield.example"
ROGUE = "https://rogue.example"
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def fixed_key(label: str) -> PrivateKey:
    digest = hashlib.sha256(f"citykey-openid4vp-v1:key:{label}".encode("ascii")).digest()
    return ec.derive_private_key(int.from_bytes(digest, "big") % (N - 1) + 1, ec.SECP256R1())


ROOT = fixed_key("root")
ACTIVE = fixed_key("signing-active")
RETIRED = fixed_key("signing-retired")
REVOKED = fixed_key("signing-revoked")
OTHER_CITY = fixed_key("other-city-signing")
LIBRARY_KEY = fixed_key("library")
POOL_KEY = fixed_key("pool")
ROGUE_KEY = fixed_key("rogue")
TRANSACTION_KEY = fixed_key("transaction")
RETIRED_AT = NOW - 30 * DAY

LIBRARY_LISTED = ListedVerifier.create(LIBRARY, "Springfield Public Library", public_jwk(LIBRARY_KEY),
                                       ["resident_of", "given_name", "family_name", "address", "age_over_65"])
POOL_LISTED = ListedVerifier.create(POOL, "Springfield Pools", public_jwk(POOL_KEY), ["resident_of"])
ROGUE_LISTED = ListedVerifier.create(ROGUE, "Rogue", public_jwk(ROGUE_KEY), ["birthdate"])  # never listed
CLIENT_ID = openid4vp.client_id(LIBRARY)
REQUEST_URI = f"{LIBRARY}/openid4vp/request/tx-0001"
SIGNUP = [("given_name",), ("family_name",), ("address",)]


@contextmanager
def deterministic_signatures() -> Iterator[None]:
    """`wallet_spec.jws` signing with RFC 6979 nonces while the file is made: the same bytes every run."""
    saved = jws._ES256
    jws._ES256 = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    try:
        yield
    finally:
        jws._ES256 = saved


def raw_jws(header: Mapping[str, Any], payload: Mapping[str, Any], key: PrivateKey) -> str:
    """Exactly these parts, signed ES256 by `key` whatever the header says."""
    signing_input = ".".join(b64url_encode(json_dumps(dict(part)).encode()) for part in (header, payload))
    der = key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    return signing_input + "." + b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def bundle() -> str:
    keys = (
        ListedKey(signing_kid(RETIRED), public_jwk(RETIRED), NOW - 400 * DAY, RETIRED_AT),
        ListedKey(signing_kid(ACTIVE), public_jwk(ACTIVE), RETIRED_AT + 1, None),
        ListedKey(signing_kid(REVOKED), public_jwk(REVOKED), NOW - 400 * DAY, None),
    )
    key_list = KeyList(ISSUER, NOW - 3600, NOW + 30 * DAY, keys, frozenset({signing_kid(REVOKED)}),
                       (LIBRARY_LISTED, POOL_LISTED))
    return sign_bundle(key_list_token=sign_key_list(key_list, ROOT), status_list_tokens=[], issuer=ISSUER,
                       issued_at=NOW - 3600, next_update=NOW + DAY, signing_key=ACTIVE, kid=signing_kid(ACTIVE))


def attestation(verifier: ListedVerifier = LIBRARY_LISTED, *, key: PrivateKey = ACTIVE, kid: str | None = None,
                issuer: str = ISSUER, now: int = NOW - 600, ttl: int = DAY,
                change: Callable[[dict[str, Any]], None] | None = None, typ: str = openid4vp.ATTESTATION_TYP) -> str:
    token = openid4vp.sign_attestation(verifier, issuer=issuer, key=key, kid=kid or signing_kid(key), now=now, ttl=ttl)
    if change is None and typ == openid4vp.ATTESTATION_TYP:
        return token
    claims = jws.parse(token).payload
    if change is not None:
        change(claims)
    return jws.sign_document(typ, claims, key, kid=kid or signing_kid(key))


def request(paths: list[tuple[str | int, ...]] = SIGNUP, *, client: str = CLIENT_ID, iat: int = NOW - 10,
            ttl: int = openid4vp.DEFAULT_TTL, enc: tuple[str, ...] = jwe.ENC_VALUES) -> openid4vp.AuthorizationRequest:
    return openid4vp.AuthorizationRequest(
        client_id=client, response_uri=f"{LIBRARY}/openid4vp/response/tx-0001",
        nonce="n-0S6_WzA2Mj-nonce", state="s-4aRv9Kq1Lm-state",
        dcql=openid4vp.dcql_query(paths, ["urn:citykey:identity:1", "urn:citykey:residency:1"]),
        encryption_jwk=jwe.encryption_jwk(TRANSACTION_KEY, kid="tx-0001"), iat=iat, exp=iat + ttl, enc_values=enc,
    )


DROP = object()


def changed(obj: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """`obj` with members replaced (or removed, with DROP)."""
    found = dict(obj)
    for name, value in change.items():
        if value is DROP:
            found.pop(name, None)
        else:
            found[name] = value
    return found


def claims(base: openid4vp.AuthorizationRequest | None = None, **change: Any) -> dict[str, Any]:
    """The request's claims, changed."""
    return changed((base or request()).to_claims(), change)


def signed(payload: Mapping[str, Any] | openid4vp.AuthorizationRequest | None = None, *, key: PrivateKey = LIBRARY_KEY,
           attested: str | None = None, header: Mapping[str, Any] | None = None) -> str:
    body = payload.to_claims() if isinstance(payload, openid4vp.AuthorizationRequest) else (payload or claims())
    full = {"alg": "ES256", "typ": openid4vp.REQUEST_TYP, "jwt": attested or attestation(), **(header or {})}
    return raw_jws({k: v for k, v in full.items() if v is not DROP}, body, key)


def dcql(credentials: list[dict[str, Any]] | None = None, **top: Any) -> dict[str, Any]:
    query = request().dcql.to_json()
    if credentials is not None:
        query["credentials"] = credentials
    return {**query, **top}


def credential(**change: Any) -> dict[str, Any]:
    return changed(request().dcql.to_json()["credentials"][0], change)


def metadata(**change: Any) -> dict[str, Any]:
    return changed(request().to_claims()["client_metadata"], change)


ENC_KEY = dict(jwe.encryption_jwk(TRANSACTION_KEY, kid="tx-0001"))


def request_cases() -> Iterator[tuple[str, str, str, str]]:
    """(name, description, Request Object, the link's client_id)."""
    def case(name: str, description: str, token: str, client: str = CLIENT_ID) -> tuple[str, str, str, str]:
        return name, description, token, client

    yield case("valid-library-signup", "A listed library asks for name and address, within its scope.", signed())
    nested = request([("address", "postal_code"), ("resident_of",)], enc=("A256GCM", "A128GCM"))
    yield case("valid-nested-claim", "A claim inside address (covered by `address` in may_ask); A256GCM preferred.",
               signed(claims(nested, client_metadata=metadata(encrypted_response_enc_values_supported=[
                   "A192GCM", "A256GCM", "A128GCM"]))))
    yield case("valid-default-enc", "No encrypted_response_enc_values_supported: A128GCM, the default.",
               signed(claims(client_metadata=metadata(encrypted_response_enc_values_supported=DROP))))
    yield case("valid-array-index", "An array index in a path: allowed by the profile, in scope of its parent.",
               signed(request([("address", 0)])))
    yield case("out-of-scope", "The listed library asks for the birthdate, which the city does not let it ask for.",
               signed(request([("given_name",), ("birthdate",)])))
    pool = request(client=openid4vp.client_id(POOL))
    yield case("out-of-scope-pool", "The pools, listed for residency only, ask for name and address.",
               signed(pool, key=POOL_KEY, attested=attestation(POOL_LISTED)), openid4vp.client_id(POOL))
    rogue = request([("birthdate",)], client=openid4vp.client_id(ROGUE))
    yield case("unlisted-verifier", "An attestation signed by the city for a verifier its key list does not name.",
               signed(rogue, key=ROGUE_KEY, attested=attestation(ROGUE_LISTED)), openid4vp.client_id(ROGUE))
    yield case("attestation-forged", "The attestation names the city's signing key but is signed by another key.",
               signed(attested=attestation(key=ROGUE_KEY, kid=signing_kid(ACTIVE))))
    yield case("attestation-unknown-key", "The attestation is signed by a key the city does not list.",
               signed(attested=attestation(key=ROGUE_KEY)))
    yield case("attestation-revoked-key", "The attestation is signed by a city key the city has revoked.",
               signed(attested=attestation(key=REVOKED)))
    yield case("attestation-retired-key", "The attestation is dated after its signing key was retired.",
               signed(attested=attestation(key=RETIRED)))
    yield case("attestation-other-city", "Another city's attestation (another issuer).",
               signed(attested=attestation(key=OTHER_CITY, issuer="https://id.shelbyville.example")))
    yield case("attestation-expired", "The attestation expired two days ago (the verifier did not sync).",
               signed(attested=attestation(now=NOW - 3 * DAY)))
    yield case("attestation-wrong-key", "The attestation names the library with another key than the city lists.",
               signed(key=ROGUE_KEY,
                      attested=attestation(change=lambda c: c.update(cnf={"jwk": public_jwk(ROGUE_KEY)}))))
    yield case("attestation-private-key", "The attestation's cnf holds a private key.",
               signed(attested=attestation(change=lambda c: c["cnf"]["jwk"].update(d="AAAA"))))
    yield case("attestation-typ", "The attestation's typ is plain JWT.", signed(attested=attestation(typ="JWT")))
    yield case("attestation-missing", "No attestation in the request's jwt header.", signed(header={"jwt": DROP}))
    yield case("signed-by-another-key", "A valid attestation for the library, the request signed by another key.",
               signed(key=ROGUE_KEY))
    yield case("client-id-not-the-links", "The link names the pools; the request the library.", signed(),
               openid4vp.client_id(POOL))
    other_prefix = f"redirect_uri:{LIBRARY}/"
    yield case("client-id-other-prefix", "A client_id without the verifier_attestation prefix.",
               signed(claims(client_id=other_prefix)), other_prefix)
    yield case("attestation-for-another-client", "The pools' client_id with the library's attestation and key.",
               signed(claims(client_id=openid4vp.client_id(POOL))), openid4vp.client_id(POOL))
    yield case("request-expired", "The request expired two minutes ago (past the leeway).",
               signed(request(iat=NOW - 420)))
    yield case("request-expired-and-out-of-scope", "Every reason is given, not only the first.",
               signed(request([("birthdate",)], iat=NOW - 420)))
    yield case("request-from-the-future", "The request is dated ten minutes ahead.", signed(request(iat=NOW + 600)))
    yield case("response-uri-not-a-url", "A response_uri with an unbalanced bracket (found by fuzzing).",
               signed(claims(response_uri="https://[library.springfield.example/response")))
    yield case("request-typ", "The request's typ is plain JWT.", signed(header={"typ": "JWT"}))
    yield case("request-alg-none", "alg none (the signature is not even checked).", signed(header={"alg": "none"}))
    yield case("request-crit", "A crit header.", signed(header={"crit": ["exp"]}))
    yield case("response-mode-plain", "direct_post: the answer would travel unencrypted.",
               signed(claims(response_mode="direct_post")))
    yield case("response-type-code", "response_type code.", signed(claims(response_type="code")))
    yield case("transaction-data", "transaction_data is not supported.",
               signed(claims(transaction_data=["eyJ0eXBlIjoicGF5bWVudCJ9"])))
    yield case("scope", "A scope instead of a DCQL query.", signed(claims(scope="openid")))
    yield case("nonce-short", "A nonce of 8 characters.", signed(claims(nonce="abcdefgh")))
    yield case("state-not-url-safe", "A state with a space.", signed(claims(state="state with spaces 123")))
    yield case("exp-before-iat", "exp not after iat.", signed(claims(exp=NOW - 10)))
    yield case("no-client-metadata", "No key to encrypt the answer to.", signed(claims(client_metadata=DROP)))
    yield case("two-encryption-keys", "Two response keys.",
               signed(claims(client_metadata=metadata(jwks={"keys": [ENC_KEY, {**ENC_KEY, "kid": "tx-0002"}]}))))
    yield case("encryption-key-private", "The response key holds its private part.",
               signed(claims(client_metadata=metadata(jwks={"keys": [{**ENC_KEY, "d": "AAAA"}]}))))
    yield case("encryption-key-no-kid", "The response key has no kid.",
               signed(claims(client_metadata=metadata(jwks={"keys": [
                   {k: v for k, v in ENC_KEY.items() if k != "kid"}]}))))
    off_curve = {**ENC_KEY, "y": b64url_encode(bytes(31) + b"\x01")}
    yield case("encryption-key-off-curve", "The response key is not a point on P-256.",
               signed(claims(client_metadata=metadata(jwks={"keys": [off_curve]}))))
    yield case("encryption-enc-unsupported", "The verifier offers only A192GCM.",
               signed(claims(client_metadata=metadata(encrypted_response_enc_values_supported=["A192GCM"]))))
    yield case("response-uri-http", "The answer would go over plain http to another host.",
               signed(claims(response_uri="http://library.springfield.example/openid4vp/response/tx-0001")))
    yield case("response-uri-fragment", "A response_uri with a fragment.",
               signed(claims(response_uri=f"{LIBRARY}/openid4vp/response/tx-0001#x")))
    yield case("dcql-credential-sets", "DCQL credential_sets.",
               signed(claims(dcql_query=dcql(credential_sets=[{"options": [["city"]]}]))))
    yield case("dcql-claim-sets", "DCQL claim_sets.", signed(claims(dcql_query=dcql([credential(claim_sets=[[0]])]))))
    yield case("dcql-values", "DCQL value matching (it would tell the verifier a value).",
               signed(claims(dcql_query=dcql([credential(claims=[
                   {"path": ["resident_of"], "values": ["Springfield"]}])]))))
    yield case("dcql-multiple", "DCQL multiple true.", signed(claims(dcql_query=dcql([credential(multiple=True)]))))
    yield case("dcql-no-holder-binding", "require_cryptographic_holder_binding false.",
               signed(claims(dcql_query=dcql([credential(require_cryptographic_holder_binding=False)]))))
    yield case("dcql-format", "An mdoc query.", signed(claims(dcql_query=dcql([credential(format="mso_mdoc")]))))
    yield case("dcql-no-vct", "No vct_values.", signed(claims(dcql_query=dcql([credential(meta={"vct_values": []})]))))
    yield case("dcql-no-claims", "No claims.", signed(claims(dcql_query=dcql([credential(claims=[])]))))
    yield case("dcql-too-many-claims", "33 claims.",
               signed(claims(dcql_query=dcql([credential(claims=[{"path": [f"c{i}"]} for i in range(33)])]))))
    yield case("dcql-null-path", "A null path element (every array element).",
               signed(claims(dcql_query=dcql([credential(claims=[{"path": ["address", None]}])]))))
    yield case("dcql-negative-index", "A negative array index.",
               signed(claims(dcql_query=dcql([credential(claims=[{"path": ["address", -1]}])]))))
    yield case("dcql-claim-twice", "One claim named twice.",
               signed(claims(dcql_query=dcql([credential(claims=[
                   {"path": ["given_name"]}, {"path": ["given_name"]}])]))))
    yield case("dcql-ids-shared", "Two credential queries with one id.",
               signed(claims(dcql_query=dcql([credential(), credential()]))))
    yield case("dcql-too-many-queries", "Five credential queries.",
               signed(claims(dcql_query=dcql([credential(id=f"q{i}") for i in range(5)]))))
    yield case("dcql-bad-id", "A credential query id with a space.",
               signed(claims(dcql_query=dcql([credential(id="a b")]))))
    yield case("not-a-jws", "Not a compact JWS.", "this is not a request object")
    yield case("too-large", "Longer than 16,384 characters.", "a" * (openid4vp.MAX_REQUEST_OBJECT_CHARS + 1))
    token = signed()
    rest = token.partition(".")[2]
    duplicate = b64url_encode(b'{"alg":"ES256","alg":"ES256"}')
    yield case("duplicate-member", "A header with a duplicate member name.", f"{duplicate}.{rest}")


def link(**params: str) -> str:
    return "openid4vp://?" + urllib.parse.urlencode(params)


def invocation_cases() -> Iterator[tuple[str, str, str]]:
    ok = {"client_id": CLIENT_ID, "request_uri": REQUEST_URI}
    yield "qr-code", "What a service's QR code holds.", openid4vp.invocation_url(CLIENT_ID, REQUEST_URI)
    yield "scheme-upper-case", "The scheme in capitals.", "OPENID4VP://?" + urllib.parse.urlencode(ok)
    wallet = openid4vp.invocation_url(CLIENT_ID, REQUEST_URI, base="https://id.springfield.example/wallet/")
    yield "wallet-query", "The web wallet's address with the parameters in its query.", wallet
    fragment = "https://id.springfield.example/wallet/#" + urllib.parse.urlencode(ok)
    yield "wallet-fragment", "The web wallet's same-device link: the parameters in the fragment.", fragment
    yield "loopback-request-uri", "A request_uri on this machine over http.", link(
        client_id=CLIENT_ID, request_uri="http://127.0.0.1:8400/openid4vp/request/tx-0001")
    yield "method-get", "request_uri_method get, said out loud.", link(**ok, request_uri_method="get")
    yield "spaces-as-plus", "A client_id with '+' for a space and a stray '%zz' (both read as Python reads them).", (
        "openid4vp://?client_id=verifier_attestation%3Ahttps%3A%2F%2Flib+rary.example%2F%zz&request_uri="
        + urllib.parse.quote(REQUEST_URI, safe=""))
    yield "by-value", "A request by value.", link(**ok, request="eyJhbGciOiJub25lIn0.e30.")
    yield "method-post", "request_uri_method post.", link(**ok, request_uri_method="post")
    yield "no-request-uri", "No request_uri.", link(client_id=CLIENT_ID)
    yield "blank-client-id", "An empty client_id (dropped, so missing).", "openid4vp://?client_id=&request_uri=" + (
        urllib.parse.quote(REQUEST_URI, safe=""))
    yield "repeated", "client_id twice.", link(**ok) + "&client_id=x"
    yield "field-without-value", "A field without '='.", link(**ok) + "&flag"
    yield "too-many-fields", "17 fields.", link(**ok) + "".join(f"&x{i}=1" for i in range(15))
    yield "ckq1", "A CKQ1: challenge, not a link.", "CKQ1:0ABCDEFGH"
    yield "ftp", "Another scheme.", "ftp://?" + urllib.parse.urlencode(ok)
    yield "request-uri-http", "A request_uri over plain http to another host.", link(
        client_id=CLIENT_ID, request_uri="http://library.springfield.example/openid4vp/request/tx-0001")
    yield "request-uri-fragment", "A request_uri with a fragment.", link(client_id=CLIENT_ID,
                                                                         request_uri=REQUEST_URI + "#f")
    yield "too-long", "Longer than 2,048 characters.", link(client_id=CLIENT_ID, request_uri=REQUEST_URI + "x" * 2048)
    yield ("request-uri-unbalanced-bracket", "A request_uri whose host opens a bracket it never closes (found by "
           "fuzzing: Python's URL parser raised).",
           link(client_id=CLIENT_ID, request_uri="https://[::1/openid4vp/request/x"))
    yield "request-uri-not-ipv6", "A bracketed host that is not an IPv6 address.", link(
        client_id=CLIENT_ID, request_uri="https://[library]/openid4vp/request/x")
    yield "request-uri-port-out-of-range", "A port above 65535.", link(
        client_id=CLIENT_ID, request_uri="https://library.springfield.example:99999/openid4vp/request/x")
    yield "request-uri-port-not-a-number", "A port that is not a number.", link(
        client_id=CLIENT_ID, request_uri="https://library.springfield.example:http/openid4vp/request/x")
    yield "link-unbalanced-bracket", "The link itself is not a URL.", "https://[x/wallet/#" + urllib.parse.urlencode(ok)


def outcome(run: Callable[[], Mapping[str, Any]]) -> dict[str, Any]:
    try:
        return {"accepted": dict(run())}
    except VerificationFailed as exc:
        return {"codes": sorted(exc.codes)}
    except CitykeyError as exc:
        return {"codes": [exc.code]}


def build() -> dict[str, Any]:
    with deterministic_signatures():
        text = bundle()
        trusted = load_bundle(text, thumbprint(ROOT), now=NOW)

        def judge(token: str, client: str) -> Mapping[str, Any]:
            found = openid4vp.verify_authorization_request(token, client_id_param=client, key_list=trusted.key_list,
                                                           now=NOW)
            r = found.request
            return {"verifier": found.verifier.aud, "name": found.verifier.name, "client_id": r.client_id,
                    "claim_names": list(r.dcql.claim_names), "queries": r.dcql.to_json()["credentials"],
                    "nonce": r.nonce, "state": r.state, "response_uri": r.response_uri,
                    "encryption_jwk": dict(r.encryption_jwk), "enc_values": list(r.enc_values), "iat": r.iat,
                    "exp": r.exp}

        requests = [{"name": name, "description": description, "client_id": client, "request_object": token,
                     "expected": outcome(lambda token=token, client=client: judge(token, client))}
                    for name, description, token, client in request_cases()]
        links = []
        for name, description, text_link in invocation_cases():
            def parse(text_link: str = text_link) -> Mapping[str, Any]:
                client, uri = openid4vp.parse_invocation(text_link)
                return {"client_id": client, "request_uri": uri}
            links.append({"name": name, "description": description, "link": text_link, "expected": outcome(parse)})
    return {
        "description": (
            "OpenID4VP 1.0 Request Objects and request links as city wallets judge them (wallet_spec/openid4vp.py), "
            "at `now`, trusting `bundle` under the pinned `root`. `expected` is `accepted` (what the wallet shows "
            "and uses) or `codes` (sorted error codes). Generated by tests/vectors/make_openid4vp.py."
        ),
        "now": NOW,
        "root": thumbprint(ROOT),
        "bundle": text,
        "requests": requests,
        "links": links,
    }


def render(vectors: dict[str, Any]) -> str:
    return json.dumps(vectors, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    built = build()
    kinds = [c["expected"].get("codes", ["accepted"]) for c in built["requests"] + built["links"]]
    OUT.write_text(render(built), encoding="utf-8")
    sys.stdout.write(f"wrote {OUT.name}: {len(built['requests'])} requests, {len(built['links'])} links, "
                     f"{sum(k == ['accepted'] for k in kinds)} accepted\n")
