"""A verifier built on other implementations asks the citykey wallet for a proof over OpenID4VP, and accepts it.

`openid4vp_verifier.mjs` is a web service on the OpenWallet Foundation's libraries that knows nothing
of citykey but the city's issuer URL. It made its own key (`keygen`); the city lists it with a scope
(`KeyStore.register_verifier`, the bundle re-signed) and so attests it (`verifier_attestations`,
served at `/verifier-attestations/<kid>`, where the script fetches it). oid4vc-ts creates its signed
Request Object under the `verifier_attestation` client id prefix, with the attestation in the `jwt`
header; the script serves it at `request_uri` and takes the answer at `response_uri`. The citykey
wallet (`wallet.openid4vp.fetch_request` and `answer`) checks the request against the city's bundle
and answers; the script decrypts and validates the answer with oid4vc-ts (state, DCQL `vp_token`),
each presentation with sd-jwt-js (issuer key from `/.well-known/jwt-vc-issuer`, disclosures, status,
KB-JWT nonce and `aud` = the full client id) and the claims against the query with dcql-ts.
A presentation for another nonce, audience or state is refused, each by the rule that says so, and
the citykey wallet refuses a foreign verifier that asks for more than the city lets it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.interop.city import HERE, NODE, RESIDENT, City, accepted, pinned
from wallet.model import Wallet
from wallet.openid4vp import answer, fetch_request
from wallet_spec import jwe, openid4vp
from wallet_spec.errors import VerificationFailed
from wallet_spec.openid4vp import VerifiedRequest, client_id
from wallet_spec.profile import ALL_VCTS, IDENTITY, RESIDENCY_VCT

SCRIPT = "openid4vp_verifier.mjs"
OID4VP = pinned("@openid4vc/openid4vp")
SD_JWT = pinned("@sd-jwt/sd-jwt-vc")
SHOP = "https://shop.example"
CLIENT_ID = client_id(SHOP)
SCOPE = ["given_name", "family_name", "address", "resident_of", "age_over_18"]


@dataclass
class Foreign:
    """The foreign verifier's running transaction: its link, and its verdict once a wallet answered."""

    ready: dict[str, Any]
    process: subprocess.Popen[str]

    def verdict(self) -> tuple[int, dict[str, Any]]:
        out, err = self.process.communicate(timeout=30)  # what follows the line `ready` came from
        lines = out.splitlines()
        assert len(lines) == 1, f"{SCRIPT}: {out} {err}"
        verdict: dict[str, Any] = json.loads(lines[0])
        return self.process.returncode, verdict


@dataclass
class Shop:
    key_file: Path
    city: City

    @contextmanager
    def asking(self, *claims: str, vcts: frozenset[str] = ALL_VCTS, enc: str | None = None) -> Iterator[Foreign]:
        """The script serving one request for `claims` (dotted paths), until a wallet answers."""
        assert NODE is not None
        args = ["--key", str(self.key_file), "--aud", SHOP, "--city", self.city.url, "--wait", "20"]
        args += ["--enc", enc] if enc else []
        args += [a for c in claims for a in ("--claim", c)] + [a for v in sorted(vcts) for a in ("--vct", v)]
        process = subprocess.Popen(  # noqa: S603  # our script, our arguments
            [NODE, str(HERE / SCRIPT), "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=HERE,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line, f"{SCRIPT} did not start: {process.stderr.read() if process.stderr else ''}"
            ready: dict[str, Any] = json.loads(line)
            assert ready.get("ready") is True, ready
            yield Foreign(ready, process)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()


@pytest.fixture(scope="module")
def shop(city: City, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """The foreign verifier's key, made by the script, listed by the city with a scope."""
    made = accepted(SCRIPT, "keygen")
    key_file = tmp_path_factory.mktemp("shop") / "key.jwk"
    key_file.write_text(json.dumps(made["private_jwk"]))
    assert city.list_verifier(SHOP, "A Shop", made["public_jwk"], SCOPE) == made["kid"]
    return Shop(key_file, city)


@pytest.fixture(scope="module")
def wallet(city: City) -> Wallet:
    return city.receive()


def asked(foreign: Foreign, city: City, http: httpx.Client) -> VerifiedRequest:
    return fetch_request(foreign.ready["invocation"], http=http, bundle=city.bundle(), now=int(time.time()))


def post(http: httpx.Client, request: openid4vp.AuthorizationRequest, text: str, *, state: str | None = None) -> None:
    """An answer made by hand: `text` as the one presentation, encrypted as the wallet encrypts it."""
    sealed = jwe.encrypt(openid4vp.response_payload({"city": [text]}, state or request.state), request.encryption_jwk)
    assert http.post(request.response_uri, data={"response": sealed}).status_code == 200


def test_the_other_verifier_accepts_the_citykey_wallets_answer(shop: Shop, city: City, wallet: Wallet) -> None:
    with shop.asking("given_name", "family_name", "address") as foreign, httpx.Client(timeout=10) as http:
        request = asked(foreign, city, http)
        assert request.verifier.name == "A Shop"
        assert request.request.client_id == CLIENT_ID == foreign.ready["client_id"]
        assert request.request.dcql.claim_names == ("given_name", "family_name", "address")
        sent = answer(request, wallet, http=http, now=int(time.time()))
        code, verdict = foreign.verdict()
    assert (code, verdict["accepted"]) == (0, True), verdict
    assert [c.vct for c in sent.shown] == [IDENTITY.vct]
    assert (verdict["library"], verdict["client_id"], verdict["kb_aud"]) == (OID4VP, CLIENT_ID, CLIENT_ID)
    assert (verdict["jarm"], verdict["enc"], verdict["dcql_satisfied"]) == ("Encrypted", "A128GCM", True)
    assert verdict["shown"] == ["address", "family_name", "given_name"]  # what was asked, not the birthdate
    claims = verdict["claims"]
    assert (claims["iss"], claims["vct"]) == (city.url, IDENTITY.vct)
    assert (claims["given_name"], claims["family_name"]) == (RESIDENT.given_name, RESIDENT.family_name)
    assert claims["address"] == {"street_address": "1 Elm Row", "locality": "Springfield", "postal_code": "62704"}


def test_the_other_verifier_gets_a_residency_pass_for_an_age_check(shop: Shop, city: City, wallet: Wallet) -> None:
    """Asked with A256GCM only, the citykey wallet encrypts with it."""
    with (shop.asking("age_over_18", vcts=frozenset({RESIDENCY_VCT}), enc="A256GCM") as foreign,
          httpx.Client(timeout=10) as http):
        answer(asked(foreign, city, http), wallet, http=http, now=int(time.time()))
        code, verdict = foreign.verdict()
    assert (code, verdict["accepted"], verdict["enc"]) == (0, True, "A256GCM"), verdict
    assert (verdict["claims"]["vct"], verdict["claims"]["age_over_18"]) == (RESIDENCY_VCT, True)
    assert verdict["shown"] == ["age_over_18", "resident_of"]


@pytest.mark.parametrize(
    ("change", "by", "rule", "error"),
    [
        ("nonce", SD_JWT, "SDJWTException", "Verify Error: Invalid Nonce"),
        ("aud", SCRIPT, "key-binding", f'the KB-JWT\'s aud "{SHOP}" is not {CLIENT_ID}'),
        ("state", OID4VP, "Oauth2Error", "OpenId4Vp Authorization Response state mismatch."),
    ],
)
def test_an_answer_for_another_nonce_audience_or_state_is_refused(
    shop: Shop, city: City, wallet: Wallet, change: str, by: str, rule: str, error: str
) -> None:
    with shop.asking("given_name") as foreign, httpx.Client(timeout=10) as http:
        request = asked(foreign, city, http).request
        nonce = "a-nonce-from-another-request" if change == "nonce" else request.nonce
        aud = SHOP if change == "aud" else request.client_id  # the bare identifier: the prefix left off
        text, _ = wallet.present(request.dcql.credentials[0].claims, nonce=nonce, aud=aud, iat=int(time.time()))
        post(http, request, text, state="another-transactions-state" if change == "state" else None)
        code, verdict = foreign.verdict()
    assert code == 1, verdict
    assert (verdict["by"], verdict["rule"], verdict["error"]) == (by, rule, error)


def test_the_citykey_wallet_refuses_the_other_verifier_asking_beyond_its_scope(shop: Shop, city: City) -> None:
    with (shop.asking("given_name", "birthdate") as foreign, httpx.Client(timeout=10) as http,
          pytest.raises(VerificationFailed) as refused):
        asked(foreign, city, http)
    assert refused.value.codes == ["request_out_of_scope"]
