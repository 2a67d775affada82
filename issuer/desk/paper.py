"""The paper card: a residency pass for a resident without a phone, and its revocation receipt.

The pass is issued at the desk like any other (`issue_batch`, type
`residency`), to a holder key made on the spot and thrown away at once, so no
one can ever make a key-binding JWT for it. What is printed is a *static
presentation*: the pass with `resident_of` and its age claims disclosed and no
KB-JWT, as `CK2:` QR text. A verifier accepts it only under a policy with
`require_key_binding=False`; that is the service's choice, and a weaker one
(whoever holds the paper can show it; like a photo ID without the photo).

Nothing is stored but the pass's status allocation bit; the receipt (the
MAC'd status reference) is printed beside the card, to be kept apart, so the
card can be revoked if lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from issuer.batch import issue_batch
from issuer.signing import SigningKeys
from issuer.statuslists import StatusRegistry
from wallet_spec import qr
from wallet_spec.jwk import generate_private_key, public_jwk
from wallet_spec.present import present
from wallet_spec.profile import AGE_THRESHOLDS, RESIDENCY, CredentialType, Resident
from wallet_spec.sdjwt import SdJwt, unfold

CARD_TYPE: CredentialType = RESIDENCY


@dataclass(frozen=True, slots=True)
class PaperCard:
    qr_text: str
    """`CK2:` text of the static presentation (no key binding)."""
    receipt: str
    expires: int
    resident_of: str
    ages: tuple[tuple[int, bool], ...]
    """The age thresholds the card shows, with their values: what the printed text says."""


def issue_paper_card(resident: Resident, *, keys: SigningKeys, registry: StatusRegistry, now: int) -> PaperCard:
    holder_jwk = public_jwk(generate_private_key())  # the private half is never kept: no KB is possible
    batch = issue_batch(resident, {CARD_TYPE.name: [holder_jwk]}, keys=keys, registry=registry, now=now)
    credential = SdJwt.parse(batch.credentials[0])
    claims = credential.payload()
    ages = tuple(n for n in AGE_THRESHOLDS if f"age_over_{n}" in CARD_TYPE.carries)
    presentation = present(credential, [("resident_of",), *((f"age_over_{n}",) for n in ages)])
    shown_jwt = SdJwt.parse(presentation)
    shown = unfold(shown_jwt.payload(), shown_jwt.disclosures).claims
    return PaperCard(
        qr_text=qr.encode(presentation),
        receipt=batch.receipt,
        expires=int(claims["exp"]),
        resident_of=str(shown["resident_of"]),
        ages=tuple((n, bool(shown[f"age_over_{n}"])) for n in ages),
    )
