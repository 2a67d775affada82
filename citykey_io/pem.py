"""Encrypted PKCS#8 PEM files, written with a key-derivation cost we choose.

`cryptography`'s `BestAvailableEncryption` derives the file key with 2,048
rounds of PBKDF2: cheap to guess against for anyone who copies the key store.
We write the same standard container (RFC 5958 EncryptedPrivateKeyInfo, PBES2
of RFC 8018) with scrypt (RFC 7914 §7) and AES-256-CBC instead. The cost,
N=2^14, r=8, p=5, is one of OWASP's settings equivalent to N=2^17, r=8, p=1
(about 0.15 s per file here) while staying under OpenSSL's 32 MiB scrypt
memory limit, so `openssl pkey -in KID.pem` still opens a file with the
passphrase alone: a backup never depends on citykey to be recovered.

Reading uses `cryptography`'s own loader, which takes the cost from the file.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from wallet_spec.errors import KeyStoreError, PassphraseInvalid

StoredKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey

PEM_LABEL = b"ENCRYPTED PRIVATE KEY"


@dataclass(frozen=True, slots=True)
class ScryptCost:
    n: int
    r: int
    p: int


PRODUCTION_COST = ScryptCost(n=2**14, r=8, p=5)
DEFAULT_COST = PRODUCTION_COST
"""The cost new files get. Tests lower it (monkeypatch) to stay fast; nothing else should."""

# --- a minimal DER writer: only what EncryptedPrivateKeyInfo needs ------------


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def _seq(*items: bytes) -> bytes:
    return _der(0x30, b"".join(items))


def _octets(data: bytes) -> bytes:
    return _der(0x04, data)


def _int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(a) for a in dotted.split("."))
    body = bytearray([40 * first + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return _der(0x06, bytes(body))


_PBES2 = _oid("1.2.840.113549.1.5.13")
_SCRYPT = _oid("1.3.6.1.4.1.11591.4.11")
_AES256_CBC = _oid("2.16.840.1.101.3.4.1.42")


def encrypt(key: StoredKey, passphrase: bytes, cost: ScryptCost | None = None) -> bytes:
    """The key as an `ENCRYPTED PRIVATE KEY` PEM: PBES2, scrypt, AES-256-CBC, fresh salt and IV."""
    cost = cost or DEFAULT_COST
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, iv = os.urandom(16), os.urandom(16)
    file_key = Scrypt(salt=salt, length=32, n=cost.n, r=cost.r, p=cost.p).derive(passphrase)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(file_key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
    der = _seq(
        _seq(
            _PBES2,
            _seq(
                _seq(_SCRYPT, _seq(_octets(salt), _int(cost.n), _int(cost.r), _int(cost.p))),
                _seq(_AES256_CBC, _octets(iv)),
            ),
        ),
        _octets(ciphertext),
    )
    return _pem(der)


def _pem(der: bytes) -> bytes:
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"-----BEGIN " + PEM_LABEL + b"-----\n" + b"\n".join(lines) + b"\n-----END " + PEM_LABEL + b"-----\n"


def decrypt(data: bytes, passphrase: bytes, *, what: str) -> StoredKey:
    """Open an encrypted PEM; refuse plaintext ones. A failed decryption is PassphraseInvalid."""
    if not data.lstrip().startswith(b"-----BEGIN " + PEM_LABEL + b"-----"):
        raise KeyStoreError(f"{what} is not an encrypted PKCS#8 PEM file; refusing to use it")
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except ValueError:
        raise PassphraseInvalid(f"the passphrase does not decrypt {what}") from None
    except (TypeError, UnsupportedAlgorithm) as exc:  # pragma: no cover - defensive
        raise KeyStoreError(f"{what} cannot be read: {exc}") from None
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key
    raise KeyStoreError(f"{what} holds a key of an unexpected type")
