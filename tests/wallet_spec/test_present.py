"""The holder's side: choosing what to show by claim path, and binding it to one verifier."""

from __future__ import annotations

from typing import Any

import pytest

from wallet_spec import jws
from wallet_spec.encoding import sha256_b64url
from wallet_spec.errors import ClaimNotFound, UsageError
from wallet_spec.jwk import PrivateKey
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.present import parse_claim_path, present, select
from wallet_spec.sdjwt import SdJwt


def _names(token: SdJwt) -> list[Any]:
    return sorted(str(d.name if d.name is not None else d.value) for d in token.disclosures)


def _shown(forge: Any, presentation: str) -> dict[str, Any]:
    claims = forge.verify(presentation).claims
    return {k: v for k, v in claims.items() if k not in ("iss", "iat", "exp", "cnf", "plain")}


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("given_name", ("given_name",)),
        ("address.locality", ("address", "locality")),
        ("nationalities.0", ("nationalities", 0)),
        ("a.12.b", ("a", 12, "b")),
        ("a.-1", ("a", "-1")),
        ("a.1e3", ("a", "1e3")),
        ("a.²", ("a", "²")),
        ("a.٣", ("a", "٣")),
    ],
)
def test_claim_paths_are_dotted_names_with_ascii_digits_as_array_indices(text: str, path: tuple[Any, ...]) -> None:
    assert parse_claim_path(text) == path


@pytest.mark.parametrize("text", ["", ".", "a.", ".a", "a..b"])
def test_empty_claim_path_segments_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_claim_path(text)


def test_selecting_a_nested_claim_includes_its_parents(credential: SdJwt, forge: Any) -> None:
    chosen = select(credential, [("address", "locality")])
    assert _names(chosen) == ["address", "locality"]
    assert _shown(forge, chosen.serialize()) == {
        "address": {"locality": "Köln", "country": "DE"},
        "nationalities": ["US"],
    }


def test_selecting_a_parent_includes_everything_nested_in_it(credential: SdJwt, forge: Any) -> None:
    chosen = select(credential, [("address",)])
    assert _names(chosen) == ["address", "locality", "street_address"]
    assert _shown(forge, chosen.serialize())["address"] == {
        "street_address": "Heidestraße 17",
        "locality": "Köln",
        "country": "DE",
    }


def test_selecting_an_array_element_by_index_shows_only_that_element(credential: SdJwt, forge: Any) -> None:
    chosen = select(credential, [("nationalities", 1)])
    assert _names(chosen) == ["FR"]
    assert _shown(forge, chosen.serialize()) == {"nationalities": ["FR", "US"]}


def test_selecting_a_whole_array_shows_every_element(credential: SdJwt, forge: Any) -> None:
    chosen = select(credential, [("nationalities",)])
    assert _names(chosen) == ["DE", "FR"]
    assert _shown(forge, chosen.serialize()) == {"nationalities": ["DE", "FR", "US"]}


def test_selecting_sibling_claims_shows_nothing_else(credential: SdJwt, forge: Any) -> None:
    chosen = select(credential, [("given_name",), ("email",)])
    assert _names(chosen) == ["email", "given_name"]
    assert _shown(forge, chosen.serialize()) == {
        "given_name": "Erika",
        "email": "erika@example.com",
        "nationalities": ["US"],
    }


def test_selecting_nothing_or_a_plain_claim_sends_no_disclosures(credential: SdJwt) -> None:
    assert select(credential, []).disclosures == ()
    assert select(credential, [("iss",), ("plain", "kept"), ("nationalities", 2)]).disclosures == ()


def test_selected_disclosures_keep_the_issuers_order_and_jwt(credential: SdJwt) -> None:
    chosen = select(credential, [("email",), ("address", "street_address"), ("given_name",)])
    assert chosen.jwt == credential.jwt
    order = [credential.disclosures.index(d) for d in chosen.disclosures]
    assert order == sorted(order)
    assert chosen.kb_jwt is None


@pytest.mark.parametrize(
    "path",
    [
        ("nickname",),
        ("address", "postal_code"),
        ("nationalities", 3),
        ("nationalities", -1),
        ("nationalities", "0"),
        ("given_name", "first"),
        ("plain", "kept", "deeper"),
        ("address", 0),
    ],
)
def test_asking_for_a_claim_the_credential_lacks_is_an_error(credential: SdJwt, path: tuple[Any, ...]) -> None:
    with pytest.raises(ClaimNotFound):
        select(credential, [("given_name",), path])


def test_claim_not_found_is_a_usage_error(credential: SdJwt) -> None:
    with pytest.raises(UsageError) as info:
        present(credential, [("nickname",)])
    assert info.value.code == "claim_not_found"


def test_present_without_holder_key_sends_a_plain_sd_jwt(credential: SdJwt) -> None:
    text = present(credential, [("given_name",)])
    assert text.endswith("~")
    assert SdJwt.parse(text).kb_jwt is None


def test_present_with_holder_key_binds_the_presentation_to_nonce_and_audience(
    credential: SdJwt, holder_key: PrivateKey, forge: Any
) -> None:
    text = present(
        credential, [("given_name",)], holder_key=holder_key, nonce="abc", aud="https://bus.example", iat=forge.now
    )
    parsed = SdJwt.parse(text)
    kb = jws.parse(parsed.kb_jwt or "")
    assert kb.header["typ"] == "kb+jwt"
    assert kb.payload == {
        "iat": forge.now,
        "aud": "https://bus.example",
        "nonce": "abc",
        "sd_hash": sha256_b64url(parsed.sd_part),
    }
    verified = forge.verify(text, key_binding=KeyBindingPolicy(required=True, nonce="abc", aud="https://bus.example"))
    assert verified.claims["given_name"] == "Erika"
    assert verified.key_binding == kb.payload


def test_presenting_a_credential_that_already_has_a_kb_jwt_is_refused(
    credential: SdJwt, holder_key: PrivateKey
) -> None:
    bound = SdJwt.parse(present(credential, [], holder_key=holder_key, nonce="n", aud="a"))
    with pytest.raises(UsageError, match="KB-JWT"):
        present(bound, [("given_name",)], holder_key=holder_key, nonce="n", aud="a")
    with pytest.raises(UsageError):
        present(bound, [])


@pytest.mark.parametrize(("nonce", "aud"), [(None, "a"), ("n", None), (None, None)])
def test_key_binding_needs_both_nonce_and_audience(
    credential: SdJwt, holder_key: PrivateKey, nonce: str | None, aud: str | None
) -> None:
    with pytest.raises(UsageError, match="nonce"):
        present(credential, [("given_name",)], holder_key=holder_key, nonce=nonce, aud=aud)
