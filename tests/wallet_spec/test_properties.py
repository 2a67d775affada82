"""Property tests: over random claim trees, issue → present → verify shows exactly what was chosen.

A tree is built from `Obj` and `Arr` nodes whose members each carry a flag saying
whether the issuer marks them selectively disclosable. From one tree the tests
derive the issuer's input (with `SD()`), the plain claims, every claim path, and
the model of what a verifier must see for a given selection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallet_spec.jwk import PrivateKey, public_jwk
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.present import present
from wallet_spec.sdjwt import SD, ClaimPath, SdJwt, issue
from wallet_spec.verify import verify

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Obj:
    members: dict[str, tuple[bool, Any]]


@dataclass(frozen=True)
class Arr:
    items: list[tuple[bool, Any]]


RESERVED = {"_sd", "..."}
TOP_RESERVED = RESERVED | {"_sd_alg", "cnf", "iat", "nbf", "exp"}
"""Set by `issue` itself or checked by `verify` as validity claims."""

names = st.text(max_size=6).filter(lambda s: s not in RESERVED)
leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    member = st.tuples(st.booleans(), children)
    return st.builds(Arr, st.lists(member, max_size=4)) | st.builds(Obj, st.dictionaries(names, member, max_size=4))


nodes = st.recursive(leaves, _extend, max_leaves=10)
trees = st.builds(
    Obj,
    st.dictionaries(names.filter(lambda s: s not in TOP_RESERVED), st.tuples(st.booleans(), nodes), max_size=5),
)


def to_issue(node: Any) -> Any:
    """The issuer's input: members flagged disclosable wrapped in SD()."""
    if isinstance(node, Obj):
        return {k: SD(to_issue(v)) if sd else to_issue(v) for k, (sd, v) in node.members.items()}
    if isinstance(node, Arr):
        return [SD(to_issue(v)) if sd else to_issue(v) for sd, v in node.items]
    return node


def plain(node: Any) -> Any:
    if isinstance(node, Obj):
        return {k: plain(v) for k, (_, v) in node.members.items()}
    if isinstance(node, Arr):
        return [plain(v) for _, v in node.items]
    return node


def all_paths(node: Any, path: Path = ()) -> list[Path]:
    """Every claim path in the tree (what a holder could ask to show)."""
    found: list[Path] = []
    children: list[tuple[str | int, Any]] = []
    if isinstance(node, Obj):
        children = [(k, v) for k, (_, v) in node.members.items()]
    elif isinstance(node, Arr):
        children = [(i, v) for i, (_, v) in enumerate(node.items)]
    for step, child in children:
        found.append((*path, step))
        found.extend(all_paths(child, (*path, step)))
    return found


def _related(path: Path, selected: list[Path]) -> bool:
    """An ancestor of a selected claim, the claim itself, or inside it."""
    return any(path[: len(s)] == s[: len(path)] for s in selected)


def expected(node: Any, selected: list[Path], path: Path = ()) -> Any:
    """What the verifier must see: plain members always, disclosable ones only when related to the selection."""
    if isinstance(node, Obj):
        return {
            k: expected(v, selected, (*path, k))
            for k, (sd, v) in node.members.items()
            if not sd or _related((*path, k), selected)
        }
    if isinstance(node, Arr):
        return [
            expected(v, selected, (*path, i))
            for i, (sd, v) in enumerate(node.items)
            if not sd or _related((*path, i), selected)
        ]
    return node


def containers(node: Any, path: Path = ()) -> list[Path]:
    """Paths of every object and array (where `pad_to` can add decoys)."""
    found: list[Path] = []
    if isinstance(node, Obj):
        found.append(path)
        for k, (_, v) in node.members.items():
            found.extend(containers(v, (*path, k)))
    elif isinstance(node, Arr):
        found.append(path)
        for i, (_, v) in enumerate(node.items):
            found.extend(containers(v, (*path, i)))
    return found


PROPS = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _round_trip(
    tree: Obj,
    selected: list[ClaimPath],
    issuer_key: PrivateKey,
    holder_key: PrivateKey,
    now: int,
    pad_to: dict[ClaimPath, int] | None = None,
) -> dict[str, Any]:
    credential = issue(
        to_issue(tree), issuer_key, header={"typ": "example+sd-jwt"}, holder_jwk=public_jwk(holder_key), pad_to=pad_to
    )
    assert SdJwt.parse(credential.serialize()) == credential
    text = present(credential, selected, holder_key=holder_key, nonce="n", aud="a", iat=now)
    verified = verify(
        text,
        issuer_key.public_key(),
        typ="example+sd-jwt",
        now=now,
        key_binding=KeyBindingPolicy(required=True, nonce="n", aud="a"),
    )
    claims = dict(verified.claims)
    assert claims.pop("cnf") == {"jwk": public_jwk(holder_key)}
    return claims


@PROPS
@given(tree=trees)
def test_presenting_every_claim_gives_back_the_original_claims(
    tree: Obj, issuer_key: PrivateKey, holder_key: PrivateKey, now: int
) -> None:
    top = [(name,) for name in tree.members]
    assert _round_trip(tree, top, issuer_key, holder_key, now) == plain(tree)


@PROPS
@given(data=st.data(), tree=trees)
def test_presenting_chosen_paths_shows_exactly_those_claims_and_their_parents_and_children(
    data: st.DataObject, tree: Obj, issuer_key: PrivateKey, holder_key: PrivateKey, now: int
) -> None:
    paths = all_paths(tree)
    selected = data.draw(st.lists(st.sampled_from(paths), max_size=4) if paths else st.just([]), label="selected")
    assert _round_trip(tree, selected, issuer_key, holder_key, now) == expected(tree, selected)


@PROPS
@given(data=st.data(), tree=trees)
def test_decoy_padding_never_changes_what_the_verifier_sees(
    data: st.DataObject, tree: Obj, issuer_key: PrivateKey, holder_key: PrivateKey, now: int
) -> None:
    paths = all_paths(tree)
    selected = data.draw(st.lists(st.sampled_from(paths), max_size=3) if paths else st.just([]), label="selected")
    pad_to = data.draw(
        st.dictionaries(st.sampled_from(containers(tree)), st.integers(min_value=0, max_value=6), max_size=4),
        label="pad_to",
    )
    padded = _round_trip(tree, selected, issuer_key, holder_key, now, pad_to=pad_to)
    assert padded == _round_trip(tree, selected, issuer_key, holder_key, now)
    assert padded == expected(tree, selected)
