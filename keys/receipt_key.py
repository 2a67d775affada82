"""The receipt MAC key: the city's secret for MACing revocation receipts.

Stored like every other key, as an encrypted PKCS#8 file, so there is one
format, one passphrase and one backup procedure. The file holds an Ed25519
private key used for nothing but its 32 random bytes, which HKDF-SHA256
expands (info `citykey receipt mac v1`) into the HMAC key. Its identifier is
the RFC 7638 thumbprint of the Ed25519 public key: it names the file and lets a
later receipt say which MAC key made it, and reveals nothing about the secret.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wallet_spec.encoding import b64url_encode, json_dumps

HKDF_INFO = b"citykey receipt mac v1"
MAC_KEY_BYTES = 32


def generate() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def key_id(key: ed25519.Ed25519PrivateKey) -> str:
    x = b64url_encode(key.public_key().public_bytes_raw())
    canonical = json_dumps({"crv": "Ed25519", "kty": "OKP", "x": x})
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


def mac_key(key: ed25519.Ed25519PrivateKey) -> bytes:
    """The 32-byte HMAC-SHA256 key derived from the stored key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=MAC_KEY_BYTES, salt=None, info=HKDF_INFO)
    return hkdf.derive(key.private_bytes_raw())
