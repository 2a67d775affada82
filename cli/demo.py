"""`citykey demo`: the credential layer end to end, on embedded sample data, in memory."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time

from rich.console import Console
from rich.panel import Panel

from wallet_spec import jwk
from wallet_spec.errors import VerificationFailed
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.present import present
from wallet_spec.profile import Address, Resident, issue_credential, verify_credential

SAMPLE = Resident(
    given_name="Dolores",
    family_name="Sample",
    birthdate=dt.date(1957, 4, 2),
    resident_of="Springfield",
    address=Address(street_address="100 Example Ave", locality="Springfield", postal_code="00000"),
)
ISSUER = "https://id.springfield.example"


def run() -> None:
    """Issue a credential, present two different disclosures, verify both offline."""
    console = Console()
    now = int(time.time())
    city_key = jwk.generate_private_key()
    holder_key = jwk.generate_private_key()

    console.rule("1. The clerk's desk issues a credential")
    credential = issue_credential(
        SAMPLE,
        issuer=ISSUER,
        signing_key=city_key,
        kid=jwk.thumbprint(city_key),
        holder_key=holder_key.public_key(),
        status_idx=secrets.randbelow(1 << 20),
        status_uri=f"{ISSUER}/statuslists/1",
        now=now,
    )
    console.print(
        f"SD-JWT VC: {len(credential.serialize())} characters, "
        f"{len(credential.disclosures)} disclosures, "
        f"{len(credential.payload()['_sd'])} digests (decoys pad the rest)"
    )
    console.print("Signed payload (what everyone sees; every personal claim is a digest):")
    console.print_json(json.dumps({k: v for k, v in credential.payload().items() if k != "_sd"}))

    scenes = [
        ("2. The bus validator asks: resident, 65+?", "https://transit.springfield.example",
         [("resident_of",), ("age_over_65",)]),
        ("3. The library asks: name and address, for a card", "https://library.springfield.example",
         [("given_name",), ("family_name",), ("address",)]),
    ]
    for title, verifier_id, wanted in scenes:
        console.rule(title)
        nonce = secrets.token_urlsafe(12)
        shown = present(credential, wanted, holder_key=holder_key, nonce=nonce, aud=verifier_id)
        policy = KeyBindingPolicy(required=True, nonce=nonce, aud=verifier_id)
        verified = verify_credential(shown, city_key.public_key(), key_binding=policy)
        personal = {k: v for k, v in verified.claims.items() if k not in {"iss", "iat", "exp", "vct", "cnf", "status"}}
        console.print(f"presentation: {len(shown)} characters, key-bound to {verifier_id}")
        console.print(Panel(json.dumps(personal, indent=2, ensure_ascii=False), title="[green]VALID: disclosed"))

    console.rule("4. The same presentation replayed to a different verifier")
    try:
        verify_credential(
            shown, city_key.public_key(),
            key_binding=KeyBindingPolicy(required=True, nonce="another-nonce", aud="https://clinic.example"),
        )
    except VerificationFailed as exc:
        console.print(f"[red]REJECTED[/red]: {', '.join(exc.codes)}")
