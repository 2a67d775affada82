"""`make bench`: verification and issuance cost, side by side with a peer in the same run.

The peer is `sd-jwt`, the IETF reference implementation from which RFC 9901's
examples were generated (on jwcrypto). The floor is what no verifier can avoid:
two P-256 ECDSA verifications (issuer signature and key binding). Both
libraries verify the very same presentation, so the peer run is also an
interoperability check. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import statistics
import time
import timeit
from collections.abc import Callable

import cryptography
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from verifier import Policy
from verifier import verify as verifier_verify
from wallet_spec import jwk
from wallet_spec.bundle import load_bundle, sign_bundle
from wallet_spec.keybinding import KeyBindingPolicy
from wallet_spec.keylist import KeyList, ListedKey, sign_key_list
from wallet_spec.present import present
from wallet_spec.profile import Address, Resident, issue_credential, verify_credential
from wallet_spec.statuslist import StatusList, sign_token

RESIDENT = Resident(
    given_name="Bench",
    family_name="Marker",
    birthdate=dt.date(1950, 1, 1),
    resident_of="Springfield",
    address=Address("1 Test St", "Springfield", "00000"),
)
AUD = "https://transit.example"
NONCE = "bench-nonce"


def measure(fn: Callable[[], object], *, budget: float = 1.5) -> tuple[float, int]:
    """Median microseconds per call over repeated timeit batches within a time budget."""
    fn()
    number = max(1, int(0.1 / max(timeit.timeit(fn, number=1), 1e-7)))
    samples: list[float] = []
    start = time.perf_counter()
    while time.perf_counter() - start < budget or len(samples) < 5:
        samples.append(timeit.timeit(fn, number=number) / number * 1e6)
    return statistics.median(samples), number * len(samples)


def main() -> None:
    issuer_key = jwk.generate_private_key()
    holder_key = jwk.generate_private_key()
    now = int(time.time())

    def issue() -> object:
        return issue_credential(
            RESIDENT, issuer="https://id.example", signing_key=issuer_key, kid=jwk.thumbprint(issuer_key),
            holder_key=holder_key.public_key(), status_idx=7, status_uri="https://id.example/s/1", now=now,
        )

    credential = issue_credential(
        RESIDENT, issuer="https://id.example", signing_key=issuer_key, kid=jwk.thumbprint(issuer_key),
        holder_key=holder_key.public_key(), status_idx=7, status_uri="https://id.example/s/1", now=now,
    )
    shown = present(
        credential, [("resident_of",), ("age_over_65",)], holder_key=holder_key, nonce=NONCE, aud=AUD, iat=now
    )
    policy = KeyBindingPolicy(required=True, nonce=NONCE, aud=AUD)
    issuer_pub = issuer_key.public_key()

    rows: list[tuple[str, float, int]] = []

    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"x")
    msg = b"x" * 400
    sig = issuer_key.sign(msg, ec.ECDSA(hashes.SHA256()))

    def floor() -> None:
        issuer_pub.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
        issuer_pub.verify(sig, msg, ec.ECDSA(hashes.SHA256()))

    rows.append(("floor: 2 × ECDSA P-256 verify (cryptography)", *measure(floor)))
    rows.append(("citykey verify_credential (profile + KB)", *measure(
        lambda: verify_credential(shown, issuer_pub, key_binding=policy, now=now))))

    peer_version = "not installed"
    try:
        from importlib.metadata import version

        from jwcrypto.jwk import JWK
        from sd_jwt.verifier import SDJWTVerifier

        peer_version = version("sd-jwt")
        peer_key = JWK.from_json(json.dumps(jwk.public_jwk(issuer_key)))
        peer_claims = SDJWTVerifier(shown, lambda iss, header: peer_key, AUD, NONCE).get_verified_payload()
        ours = verify_credential(shown, issuer_pub, key_binding=policy, now=now).claims
        assert peer_claims == ours, "peer and citykey disagree on the disclosed claims"
        rows.append((f"peer sd-jwt {peer_version} SDJWTVerifier (same presentation)", *measure(
            lambda: SDJWTVerifier(shown, lambda iss, header: peer_key, AUD, NONCE).get_verified_payload())))
    except ImportError:
        pass

    root = jwk.generate_private_key()
    kid = jwk.thumbprint(issuer_key)
    key_list = sign_key_list(
        KeyList("https://id.example", now, now + 30 * 86_400, (ListedKey(kid, jwk.public_jwk(issuer_key), 0),)),
        root,
    )
    status = sign_token(StatusList.new(131_072), uri="https://id.example/s/1", key=issuer_key, kid=kid,
                        iat=now, exp=now + 86_400, ttl=3600)
    bundle_text = sign_bundle(key_list_token=key_list, status_list_tokens=[status], issuer="https://id.example",
                              issued_at=now, next_update=now + 86_400, signing_key=issuer_key, kid=kid)
    bundle = load_bundle(bundle_text, jwk.thumbprint(root), now=now)
    offline = Policy(required=(("resident_of",), ("age_over_65",)), nonce=NONCE, aud=AUD)
    rows.append(("citykey verifier.verify (bundle: key list, status bit, policy)", *measure(
        lambda: verifier_verify(shown, bundle, offline, now=now))))
    rows.append(("citykey load_bundle (daily sync: 3 signatures, 131,072-entry list)", *measure(
        lambda: load_bundle(bundle_text, jwk.thumbprint(root), now=now))))

    rows.append(("citykey issue_credential (15 disclosures, 16 digests)", *measure(issue)))
    rows.append(("citykey present (2 claims + KB-JWT)", *measure(
        lambda: present(credential, [("resident_of",), ("age_over_65",)], holder_key=holder_key,
                        nonce=NONCE, aud=AUD, iat=now))))

    from benchmarks import scanner

    rows.extend(scanner.rows(measure))

    print(f"Python {platform.python_version()}, cryptography {cryptography.__version__}, "
          f"peer sd-jwt {peer_version}, {platform.machine()}; presentation {len(shown)} chars\n")
    print("| operation | median µs/call | calls |")
    print("|---|---:|---:|")
    for name, micros, calls in rows:
        print(f"| {name} | {micros:,.0f} | {calls:,} |")


if __name__ == "__main__":
    main()
