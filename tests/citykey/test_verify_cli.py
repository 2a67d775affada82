"""`citykey verify`: the verifier's yes or no from stdin and the trust bundle, pinned to the root.

The city (key store, issuer database, a wallet holding a batch, trust bundles)
is made once per module with the issuer library at the real clock; every case
runs `citykey verify` in process with typer's CliRunner.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from citykey.demo import DOLORES
from citykey.main import app
from issuer.batch import issue_batch
from issuer.db import create_schema, make_engine, sqlite_url
from issuer.signing import SigningKeys
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import build_bundle, status_base_uri
from keys import KeyStore
from tests.support import cheap_kdfs
from wallet.model import Wallet
from wallet_spec import jws

ISSUER = "https://id.springfield.example"
PASSPHRASE = b"correct horse battery staple"
NONCE = "library-nonce-31"
AUD = "https://library.springfield.example"
DAY = 86_400
CHALLENGE = ("--nonce", NONCE, "--aud", AUD)
REGISTERED = frozenset({"iss", "iat", "exp", "vct", "cnf", "status"})
RESIDENT = DOLORES
"""The demo's resident (`citykey demo`): a full address, born 1957."""


@dataclass
class City:
    tmp: Path
    root: str
    root_jwk: dict[str, Any]
    bundle: Path
    wallet: Wallet
    foreign: Wallet
    """Credentials from another key store that claims the same issuer id."""

    def present(self, claims: str = "resident_of,age_over_65", *, nonce: str = NONCE, aud: str = AUD,
                wallet: Wallet | None = None) -> str:
        text, _ = (wallet or self.wallet).present([tuple(c.split(".")) for c in claims.split(",")],
                                                  nonce=nonce, aud=aud)
        return text

    def bundle_built(self, name: str) -> Path:
        return self.tmp / name


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    tmp = tmp_path_factory.mktemp("city")
    now = int(time.time())
    with pytest.MonkeyPatch.context() as patch:
        cheap_kdfs(patch)
        # Made ten days ago, so that its key may sign the backdated bundles below.
        store = KeyStore.init(tmp / "keys", ISSUER, PASSPHRASE, now=now - 10 * DAY)
        impostor = KeyStore.init(tmp / "impostor", ISSUER, PASSPHRASE, now=now)
        engine = make_engine(sqlite_url(tmp / "issuer.db"))
        create_schema(engine)
        registry = StatusRegistry(engine, status_base_uri(ISSUER), list_size=1024)
        wallet, foreign = Wallet(), Wallet()
        for owner, issuing in ((wallet, store), (foreign, impostor)):
            batch = issue_batch(RESIDENT, owner.new_holder_keys(16), registry=registry,
                                keys=SigningKeys.open(issuing, PASSPHRASE), now=now)
            for text in batch.credentials:
                owner.import_credential(text)
        for name, when in (("bundle.jwt", now), ("due.jwt", now - 2 * DAY), ("stale.jwt", now - 7 * DAY - 3600)):
            (tmp / name).write_text(build_bundle(store, registry, PASSPHRASE, now=when))
        key_list = jws.parse(jws.parse((tmp / "bundle.jwt").read_text()).payload["key_list"]).payload
        engine.dispose()
    return City(tmp, store.root_thumbprint, key_list["root"], tmp / "bundle.jwt", wallet, foreign)


def verify(city: City, *args: object, stdin: str | None, bundle: Path | None = None,
           root: str | None = None, env_root: str | None = None) -> Any:
    command = ["verify", "--bundle", str(bundle or city.bundle)]
    if root is not None:
        command += ["--root", root]
    env = {"COLUMNS": "200", "NO_COLOR": "1", "CITYKEY_ROOT": env_root}
    return CliRunner().invoke(app, [*command, *map(str, args)], input=stdin, env=env)


def verdict(city: City, *args: object, stdin: str, root: str | None = None, **kwargs: Any) -> tuple[int, Any]:
    result = verify(city, "--nonce", NONCE, "--aud", AUD, "--json", *args, stdin=stdin,
                    root=city.root if root is None else root, **kwargs)
    return result.exit_code, json.loads(result.stdout)


def codes(out: dict[str, Any]) -> list[str]:
    return [e["code"] for e in out["errors"]]


def test_a_valid_presentation_gives_the_disclosed_claims_as_json(city: City) -> None:
    code, out = verdict(city, "--require", "resident_of,age_over_65", stdin=city.present())
    assert code == 0
    assert set(out) == {"valid", "claims", "errors", "warnings"}  # `citykey sdjwt verify`'s shape, plus warnings
    assert (out["valid"], out["errors"], out["warnings"]) == (True, [], [])
    assert {k: v for k, v in out["claims"].items() if k not in REGISTERED} == {
        "resident_of": "Springfield", "age_over_65": True}


def test_human_output_prints_valid_and_the_claims_as_json_values(city: City) -> None:
    result = verify(city, "--nonce", NONCE, "--aud", AUD, stdin=city.present("resident_of,age_over_65,address"),
                    root=city.root)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "VALID"
    assert "  age_over_65: true" in lines
    assert '  resident_of: "Springfield"' in lines
    address = next(line for line in lines if line.startswith("  address: "))
    assert json.loads(address.removeprefix("  address: ")) == {
        "street_address": "100 Example Ave", "locality": "Springfield", "postal_code": "00000"}
    assert "True" not in result.stdout
    assert not any(line.strip().startswith(("iss:", "cnf:", "status:")) for line in lines)


def test_human_output_of_a_rejection_names_each_reason(city: City) -> None:
    result = verify(city, "--nonce", "other", "--aud", AUD, stdin=city.present(), root=city.root)
    assert result.exit_code == 1
    assert result.stdout.startswith("REJECTED nonce_mismatch: ")


def test_a_wrong_root_rejects_the_bundle(city: City) -> None:
    code, out = verdict(city, stdin=city.present(), root="A" * 43)
    assert code == 1
    assert out["valid"] is False
    assert codes(out) == ["bundle_invalid"]


def test_without_a_root_the_verifier_refuses_to_decide(city: City) -> None:
    result = verify(city, "--json", stdin=city.present())
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no trust anchor")
    assert "--root" in result.stderr
    assert result.stdout == ""


def test_the_root_may_come_from_citykey_root(city: City) -> None:
    result = verify(city, "--nonce", NONCE, "--aud", AUD, "--json", stdin=city.present(), env_root=city.root)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["valid"] is True


def test_the_root_may_be_given_as_a_jwk_file(city: City, tmp_path: Path) -> None:
    jwk_file = tmp_path / "root.json"
    jwk_file.write_text(json.dumps(city.root_jwk))
    code, out = verdict(city, stdin=city.present(), root=str(jwk_file))
    assert (code, out["valid"]) == (0, True)
    jwk_file.write_text("{not a jwk")
    assert verify(city, *CHALLENGE, stdin=city.present(), root=str(jwk_file)).exit_code == 2


@pytest.mark.parametrize(
    "stdin",
    [
        pytest.param("this is not a presentation", id="garbage"),
        pytest.param("", id="empty"),
        pytest.param("  \n", id="blank"),
        pytest.param("caf\u00e9~", id="not-ascii"),
    ],
)
def test_unreadable_input_exits_2(city: City, stdin: str) -> None:
    result = verify(city, *CHALLENGE, stdin=stdin, root=city.root)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_unreadable_input_says_unreadable_with_the_reason(city: City) -> None:
    result = verify(city, "--nonce", NONCE, "--aud", AUD, stdin="this is not a presentation", root=city.root)
    assert result.exit_code == 2
    assert result.stdout.startswith("UNREADABLE malformed: ")
    assert "REJECTED" not in result.stdout


@pytest.mark.parametrize("placeholder", ["ROOT_THUMBPRINT", "…", "root.json"])
def test_a_placeholder_root_is_a_usage_error_not_a_rejection(city: City, placeholder: str) -> None:
    result = verify(city, "--nonce", NONCE, "--aud", AUD, stdin=city.present(), root=placeholder)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: usage: --root {placeholder} is neither the root key's thumbprint")
    assert result.stdout == ""


def test_a_missing_or_unreadable_bundle_exits_2(city: City, tmp_path: Path) -> None:
    result = verify(city, *CHALLENGE, stdin=city.present(), bundle=tmp_path / "nowhere.jwt", root=city.root)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot read the trust bundle")
    broken = tmp_path / "broken.jwt"
    broken.write_text("not.a.bundle")
    assert verify(city, *CHALLENGE, stdin=city.present(), bundle=broken, root=city.root).exit_code == 2


def test_a_required_claim_that_is_not_disclosed_is_missing_claim(city: City) -> None:
    code, out = verdict(city, "--require", "resident_of,given_name", stdin=city.present("resident_of"))
    assert code == 1
    assert codes(out) == ["missing_claim"]
    assert out["claims"] == {}


def test_a_nonce_or_audience_mismatch_is_rejected(city: City) -> None:
    code, out = verdict(city, stdin=city.present(nonce="an old nonce"))
    assert (code, codes(out)) == (1, ["nonce_mismatch"])
    code, out = verdict(city, stdin=city.present(aud="https://bus.springfield.example"))
    assert (code, codes(out)) == (1, ["aud_mismatch"])


def test_a_credential_from_an_unlisted_key_is_unknown_key(city: City) -> None:
    code, out = verdict(city, stdin=city.present(wallet=city.foreign))
    assert code == 1
    assert "unknown_key" in codes(out)


def test_an_old_bundle_warns_when_due_and_refuses_when_stale(city: City) -> None:
    code, out = verdict(city, stdin=city.present(), bundle=city.bundle_built("due.jwt"))
    assert (code, out["valid"]) == (0, True)
    assert [w.split(":")[0] for w in out["warnings"]] == ["bundle_stale"]
    code, out = verdict(city, stdin=city.present(), bundle=city.bundle_built("stale.jwt"))
    assert code == 1
    assert "bundle_stale" in codes(out)


# --- docs/security.md item 2: key-bound verification always has a challenge ---------------------------------


@pytest.mark.parametrize(
    "challenge",
    [[], ["--aud", AUD], ["--nonce", NONCE], ["--accept-paper"], ["--accept-paper", "--aud", AUD]],
    ids=["nothing", "aud-alone", "nonce-alone", "paper-alone", "paper-aud-alone"],
)
def test_verify_without_a_challenge_exits_2_instead_of_accepting_a_presentation_for_another_verifier(
    city: City, challenge: list[str]
) -> None:
    made_for_the_bus = city.present(nonce="bus-nonce-000001", aud="https://bus.springfield.example")
    for _ in range(2):  # and again: nothing is accepted, the first time or the second
        result = verify(city, *challenge, stdin=made_for_the_bus, root=city.root)
        assert result.exit_code == 2
        assert "VALID" not in result.stdout
        assert "challenge_missing" in result.stderr
        assert "--nonce and --aud, or --request, or --one-way" in result.stderr


def test_a_paper_card_is_accepted_only_with_accept_paper_and_a_phone_code_still_answers_the_challenge(
    city: City,
) -> None:
    paper, _ = city.wallet.present([("resident_of",)])  # no key binding: what a paper card carries
    refused = verify(city, "--nonce", NONCE, "--aud", AUD, "--json", stdin=paper, root=city.root)
    assert refused.exit_code == 1
    assert [e["code"] for e in json.loads(refused.stdout)["errors"]] == ["kb_missing"]
    accepted = verify(city, "--nonce", NONCE, "--aud", AUD, "--accept-paper", "--json", stdin=paper, root=city.root)
    assert accepted.exit_code == 0
    assert json.loads(accepted.stdout)["claims"]["resident_of"] == "Springfield"
    elsewhere = city.present(nonce="bus-nonce-000001", aud="https://bus.springfield.example")
    result = verify(city, "--nonce", NONCE, "--aud", AUD, "--accept-paper", "--json", stdin=elsewhere,
                    root=city.root)
    assert result.exit_code == 1
    assert {e["code"] for e in json.loads(result.stdout)["errors"]} == {"nonce_mismatch", "aud_mismatch"}
