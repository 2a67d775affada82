"""The holder's side: choose disclosures by claim path and bind them to a verifier."""

from __future__ import annotations

from collections.abc import Iterable

from wallet_spec import keybinding
from wallet_spec.errors import ClaimNotFound, UsageError
from wallet_spec.jwk import PrivateKey
from wallet_spec.sdjwt import ClaimPath, SdJwt, has_claim, unfold


def parse_claim_path(text: str) -> ClaimPath:
    """`address.locality` → ('address', 'locality'); digits index arrays: `nationalities.0`."""
    if not text or any(not part for part in text.split(".")):
        raise UsageError(f"claim path {text!r} is empty or has an empty segment")
    return tuple(int(p) if p.isascii() and p.isdigit() else p for p in text.split("."))


def select(credential: SdJwt, paths: Iterable[ClaimPath]) -> SdJwt:
    """The credential with only the disclosures needed to reveal `paths`.

    Asking for a claim reveals all of it (its nested disclosures too) and the
    disclosures of its parents, which the verifier needs to reach it. Asking
    for a claim the credential does not have is an error, never a silent omission.
    """
    unfolded = unfold(credential.payload(), credential.disclosures)
    wanted = list(paths)
    for path in wanted:
        if not has_claim(unfolded.claims, path):
            raise ClaimNotFound(f"the credential has no claim {'.'.join(map(str, path))!r}")
    keep: set[str] = set()
    for digest, ref in unfolded.references.items():
        for path in wanted:
            n = min(len(path), len(ref.path))
            if ref.path[:n] == path[:n]:  # an ancestor of the wanted claim, or inside it
                keep.add(digest)
                break
    chosen = tuple(d for d in credential.disclosures if d.digest in keep)
    return SdJwt(credential.jwt, chosen)


def present(
    credential: SdJwt,
    paths: Iterable[ClaimPath],
    *,
    holder_key: PrivateKey | None = None,
    nonce: str | None = None,
    aud: str | None = None,
    iat: int | None = None,
) -> str:
    """Select disclosures and, given a holder key, append a KB-JWT for `aud` and `nonce`."""
    if credential.kb_jwt is not None:
        raise UsageError("a credential to present must not already carry a KB-JWT")
    chosen = select(credential, paths)
    if holder_key is None:
        return chosen.serialize()
    if nonce is None or aud is None:
        raise UsageError("key binding needs both a nonce and an audience")
    kb = keybinding.create(chosen.sd_part, holder_key, nonce=nonce, aud=aud, iat=iat)
    return chosen.sd_part + kb
