"""A scanner kiosk for tests: a verifier directory with the pinned root, the city's bundle, and a Gate.

Used by the scanner's API tests, the nothing-kept test and the browser tests.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from citykey_io.files import atomic_write, make_private_dir
from issuer.desk.paper import issue_paper_card
from tests.verifier.springfield import City
from verifier.policies import policy_named
from verifier.replay import ReplayCache
from verifier.scanner.gate import Gate
from verifier.sync import BUNDLE_FILE, IDENTITY_FILE, Identity, pin_root
from wallet_spec.encoding import json_dumps
from wallet_spec.profile import Address, Resident

KIOSK_AUD = "https://library.springfield.example"
KIOSK_NAME = "Springfield Public Library"


def make_home(directory: Path, city: City, *, now: int, aud: str = KIOSK_AUD) -> Path:
    """`citykey verifier init --no-key --root …` and a synced bundle, as files."""
    make_private_dir(directory)
    pin_root(directory, city.store.root_thumbprint)
    atomic_write(directory / IDENTITY_FILE, json_dumps({"aud": aud, "name": KIOSK_NAME}).encode())
    atomic_write(directory / BUNDLE_FILE, city.bundle_text(now=now).encode("ascii"))
    return directory


def make_gate(directory: Path, policy: str, *, replay: ReplayCache | None = None, aud: str = KIOSK_AUD) -> Gate:
    return Gate(directory, policy_named(policy), Identity(aud, KIOSK_NAME), replay=replay)


def resident(i: int) -> Resident:
    """A resident with unique values (names, birthdate, street, postal code) and an address."""
    birthdate = dt.date(1931, 1, 1) + dt.timedelta(days=97 * i + 13)
    return Resident(f"Zq7given{i:04d}x", f"Zq7family{i:04d}x", birthdate, "Springfield",
                    Address(f"{i} Zq7street{i:04d}x Ave", "Springfield", f"Z{i:05d}"))


def personal_values(person: Resident) -> list[str]:
    assert person.address is not None
    return [person.given_name, person.family_name, person.birthdate.isoformat(), person.address.street_address,
            person.address.postal_code]


def paper_card_text(city: City, person: Resident, *, now: int) -> str:
    """The `CK2:` text printed on a paper card, made by the desk's own code (`issuer.desk.paper`)."""
    from issuer.signing import SigningKeys
    from tests.verifier.springfield import PASSPHRASE

    keys = SigningKeys.open(city.store, PASSPHRASE)
    return issue_paper_card(person, keys=keys, registry=city.registry, now=now).qr_text
