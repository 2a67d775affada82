"""The key store at rest: layout, permissions, encryption, passphrases, damage, the receipt MAC key."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from citykey_io import pem
from keys import KeyStore
from keys.store import METADATA_NAME
from wallet_spec import jws
from wallet_spec.errors import KeyStoreError, PassphraseInvalid, UsageError
from wallet_spec.jwk import generate_private_key, private_jwk, public_key_from_jwk, thumbprint
from wallet_spec.keylist import signing_kid

WRONG = b"not the right passphrase"


def states(store: KeyStore) -> list[str]:
    records = store.records()
    return [k.state for k in records]


def pem_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.pem"))


def test_init_makes_a_root_a_signing_key_and_a_receipt_key_each_in_a_file_named_by_its_kid(
    store: KeyStore, store_dir: Path
) -> None:
    names = {p.stem for p in pem_files(store_dir)}
    assert names == {store.root_thumbprint, store.active().kid, store.receipt_mac_id}
    assert len(names) == 3
    assert states(store) == ["active"]


def test_directory_is_0700_and_every_file_0600(store: KeyStore, store_dir: Path) -> None:
    store.rotate(b"correct horse battery staple", now=store.active().created + 1, max_credential_lifetime=100)
    assert stat.S_IMODE(store_dir.stat().st_mode) == 0o700
    files = list(store_dir.iterdir())
    assert {f.name for f in files} >= {METADATA_NAME, ".lock"}
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f.name


def test_files_are_private_even_under_a_permissive_umask(tmp_path: Path, issuer_id: str, passphrase: bytes,
                                                         now: int) -> None:
    old = os.umask(0)
    try:
        KeyStore.init(tmp_path / "ks", issuer_id, passphrase, now=now)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "ks").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in (tmp_path / "ks").iterdir())


def test_private_keys_are_encrypted_pkcs8_and_no_secret_is_in_plaintext(
    store: KeyStore, store_dir: Path, passphrase: bytes
) -> None:
    for f in pem_files(store_dir):
        data = f.read_bytes()
        assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
        assert b"BEGIN PRIVATE KEY" not in data
        assert b"BEGIN EC PRIVATE KEY" not in data
    _, signing = store.active_signing_key(passphrase)
    root = store.root_key(passphrase)
    secrets = [private_jwk(signing)["d"], private_jwk(root)["d"], store.receipt_mac_key(passphrase).hex()]
    secrets += [base64.b64encode(k.private_numbers().private_value.to_bytes(32, "big")).decode()
                for k in (signing, root)]
    everything = b"".join(f.read_bytes() for f in store_dir.iterdir())
    for secret in secrets:
        assert secret.encode() not in everything
    metadata = json.loads((store_dir / METADATA_NAME).read_text())
    assert '"d"' not in json.dumps(metadata)


def test_new_files_get_the_production_scrypt_cost_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pem, "DEFAULT_COST", pem.PRODUCTION_COST)
    assert pem.ScryptCost(n=2**14, r=8, p=5) == pem.PRODUCTION_COST  # OWASP's equivalent of N=2^17, p=1
    data = pem.encrypt(generate_private_key(), b"correct horse battery staple")
    der = base64.b64decode(b"".join(data.splitlines()[1:-1]))
    assert b"\x02\x02\x40\x00\x02\x01\x08\x02\x01\x05" in der  # INTEGER 16384, INTEGER 8, INTEGER 5


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command not installed")
def test_key_files_open_with_openssl_and_the_passphrase_alone(store: KeyStore, store_dir: Path,
                                                              passphrase: bytes) -> None:
    openssl = shutil.which("openssl")
    assert openssl is not None
    kid = store.active().kid
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [openssl, "pkey", "-in", str(store_dir / f"{kid}.pem"), "-passin", "env:PASS", "-pubout"],
        capture_output=True, env={**os.environ, "PASS": passphrase.decode()}, check=False,
    )
    assert done.returncode == 0, done.stderr
    public = serialization.load_pem_public_key(done.stdout)
    assert signing_kid(public) == kid  # type: ignore[arg-type]


def test_open_reads_public_metadata_without_a_passphrase(store: KeyStore, store_dir: Path) -> None:
    opened = KeyStore.open(store_dir)
    assert opened.root_thumbprint == store.root_thumbprint
    assert opened.issuer_id == store.issuer_id
    assert opened.records() == store.records()
    assert opened.receipt_mac_id == store.receipt_mac_id


def test_active_signing_key_is_the_key_its_kid_names_and_signs_what_the_jwks_verifies(
    store: KeyStore, passphrase: bytes
) -> None:
    kid, key = store.active_signing_key(passphrase)
    assert kid == signing_kid(key) == store.active().kid == thumbprint(key)[:8]
    token = jws.sign({"typ": "JWT", "kid": kid}, {"hello": "world"}, key)
    published = {k["kid"]: k for k in store.jwks()["jwks"]["keys"]}
    assert jws.signature_valid(jws.parse(token), public_key_from_jwk(published[kid]))


def test_jwks_is_issuer_metadata_with_active_and_retiring_keys_only(store: KeyStore, passphrase: bytes) -> None:
    first = store.active().kid
    second = store.rotate(passphrase, now=store.active().created + 1, max_credential_lifetime=1000)
    third = store.rotate(passphrase, now=store.active().created + 2, max_credential_lifetime=1000)
    store.revoke(second.kid, reason="compromised", now=store.active().created + 3, passphrase=passphrase)
    metadata = store.jwks()
    assert metadata["issuer"] == store.issuer_id
    keys = metadata["jwks"]["keys"]
    assert [k["kid"] for k in keys] == [first, third.kid]
    for k in keys:
        assert (k["use"], k["alg"], k["kty"], k["crv"]) == ("sig", "ES256", "EC", "P-256")
        assert "d" not in k
        assert thumbprint(k)[:8] == k["kid"]  # the kid the credentials carry


@pytest.mark.parametrize(
    "use",
    [
        lambda s, p: s.active_signing_key(p),
        lambda s, p: s.root_key(p),
        lambda s, p: s.receipt_mac_key(p),
        lambda s, p: s.signed_key_list(p, now=s.active().created),
        lambda s, p: s.rotate(p, now=s.active().created, max_credential_lifetime=10),
        lambda s, p: s.revoke(s.active().kid, reason="superseded", now=s.active().created, passphrase=p),
    ],
    ids=["active_signing_key", "root_key", "receipt_mac_key", "signed_key_list", "rotate", "revoke"],
)
def test_a_wrong_passphrase_is_refused_and_changes_nothing(store: KeyStore, store_dir: Path, use: object) -> None:
    before = sorted(p.name for p in store_dir.iterdir()), (store_dir / METADATA_NAME).read_bytes()
    with pytest.raises(PassphraseInvalid):
        use(store, WRONG)  # type: ignore[operator]
    assert (sorted(p.name for p in store_dir.iterdir()), (store_dir / METADATA_NAME).read_bytes()) == before


def test_a_passphrase_must_be_bytes(store: KeyStore) -> None:
    with pytest.raises(UsageError):
        store.active_signing_key("correct horse battery staple")  # type: ignore[arg-type]


def test_init_refuses_a_short_passphrase_and_creates_nothing(tmp_path: Path, issuer_id: str, now: int) -> None:
    with pytest.raises(UsageError, match="at least 12"):
        KeyStore.init(tmp_path / "ks", issuer_id, b"short", now=now)
    assert not (tmp_path / "ks").exists()


@pytest.mark.parametrize("issuer", ["id.city.example", "http://id.city.example", "https://", "ftp://x.example",
                                    "https://id.city.example/?q=1"])
def test_init_refuses_an_issuer_id_that_is_not_an_https_url(tmp_path: Path, issuer: str, passphrase: bytes,
                                                            now: int) -> None:
    with pytest.raises(UsageError):
        KeyStore.init(tmp_path / "ks", issuer, passphrase, now=now)


def test_init_accepts_http_for_localhost(tmp_path: Path, passphrase: bytes, now: int) -> None:
    assert KeyStore.init(tmp_path / "ks", "http://localhost:8000", passphrase, now=now).issuer_id


def test_init_refuses_an_existing_store(store: KeyStore, store_dir: Path, issuer_id: str, passphrase: bytes,
                                        now: int) -> None:
    before = (store_dir / METADATA_NAME).read_bytes()
    with pytest.raises(KeyStoreError, match="not empty"):
        KeyStore.init(store_dir, issuer_id, passphrase, now=now)
    assert (store_dir / METADATA_NAME).read_bytes() == before


def test_init_refuses_a_non_empty_directory_but_takes_an_empty_one(tmp_path: Path, issuer_id: str,
                                                                   passphrase: bytes, now: int) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(KeyStoreError, match="not empty"):
        KeyStore.init(tmp_path / "full", issuer_id, passphrase, now=now)
    (tmp_path / "empty").mkdir(mode=0o755)
    KeyStore.init(tmp_path / "empty", issuer_id, passphrase, now=now)
    assert stat.S_IMODE((tmp_path / "empty").stat().st_mode) == 0o700


def test_opening_a_missing_store_is_a_keystore_error(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="no key store"):
        KeyStore.open(tmp_path / "nowhere")
    with pytest.raises(KeyStoreError, match=r"keystore\.json"):
        KeyStore.open(tmp_path)


def _json_edit(change: Callable[[dict[str, Any]], object]) -> Callable[[str], str]:
    def edit(text: str) -> str:
        obj = json.loads(text)
        change(obj)
        return json.dumps(obj)
    return edit


def _second_active(obj: dict[str, Any]) -> None:
    twin = dict(obj["signing_keys"][0])
    twin["jwk"], twin["kid"] = obj["root"]["jwk"], obj["root"]["kid"]
    obj["signing_keys"].append(twin)


DAMAGE: dict[str, Callable[[str], str]] = {
    "empty file": lambda text: "",
    "truncated": lambda text: text[: len(text) // 2],
    "not json": lambda text: "\x00\x01garbage",
    "json array": lambda text: "[]",
    "duplicate member": lambda text: text.replace('"issuer":', '"issuer": "x", "issuer":'),
    "wrong format": _json_edit(lambda o: o.update(format="citykey-keystore/9")),
    "no issuer": _json_edit(lambda o: o.pop("issuer")),
    "root kid is not its thumbprint": _json_edit(lambda o: o["root"].update(kid="A" * 43)),
    "signing kid is not its thumbprint": _json_edit(lambda o: o["signing_keys"][0].update(kid="A" * 43)),
    "jwk is not a P-256 key": _json_edit(lambda o: o["signing_keys"][0]["jwk"].update(crv="P-384")),
    "unknown state": _json_edit(lambda o: o["signing_keys"][0].update(state="dormant")),
    "created is a string": _json_edit(lambda o: o["signing_keys"][0].update(created="yesterday")),
    "created is a boolean": _json_edit(lambda o: o["signing_keys"][0].update(created=True)),
    "unknown revocation reason": _json_edit(lambda o: o["signing_keys"][0].update(reason="bored")),
    "signing keys not a list": _json_edit(lambda o: o.update(signing_keys={})),
    "no active key": _json_edit(lambda o: o.update(signing_keys=[])),
    "two active keys": _json_edit(_second_active),
    "receipt id not base64url": _json_edit(lambda o: o["receipt_mac"].update(kid="../../etc/passwd")),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_damaged_metadata_is_a_keystore_error_with_a_message(store_dir: Path, store: KeyStore,
                                                             damage: Callable[[str], str]) -> None:
    path = store_dir / METADATA_NAME
    path.write_text(damage(path.read_text()))
    with pytest.raises(KeyStoreError) as caught:
        KeyStore.open(store_dir)
    assert type(caught.value) is KeyStoreError
    assert "keystore.json is damaged: " in caught.value.message


def test_unreadable_bytes_in_metadata_are_a_keystore_error(store_dir: Path, store: KeyStore) -> None:
    (store_dir / METADATA_NAME).write_bytes(b"\xff\xfe{}")
    with pytest.raises(KeyStoreError, match="damaged"):
        KeyStore.open(store_dir)


def test_a_missing_key_file_is_a_keystore_error_naming_it(store: KeyStore, store_dir: Path,
                                                          passphrase: bytes) -> None:
    (store_dir / f"{store.active().kid}.pem").unlink()
    with pytest.raises(KeyStoreError, match="missing") as caught:
        store.active_signing_key(passphrase)
    assert not isinstance(caught.value, PassphraseInvalid)
    assert store.active().kid in caught.value.message


def test_a_damaged_key_file_is_told_apart_from_a_wrong_passphrase(store: KeyStore, store_dir: Path,
                                                                  passphrase: bytes) -> None:
    path = store_dir / f"{store.active().kid}.pem"
    lines = path.read_bytes().splitlines(keepends=True)
    body = bytearray(lines[3])
    body[10] = ord("A") if body[10] != ord("A") else ord("B")  # flip ciphertext bytes
    path.write_bytes(b"".join([*lines[:3], bytes(body), *lines[4:]]))
    with pytest.raises(KeyStoreError, match="damaged") as caught:
        store.active_signing_key(passphrase)
    assert not isinstance(caught.value, PassphraseInvalid)
    with pytest.raises(PassphraseInvalid):
        store.active_signing_key(WRONG)


def test_a_plaintext_key_file_is_refused(store: KeyStore, store_dir: Path, passphrase: bytes) -> None:
    _, key = store.active_signing_key(passphrase)
    (store_dir / f"{store.active().kid}.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with pytest.raises(KeyStoreError, match="not an encrypted"):
        store.active_signing_key(passphrase)


def test_a_key_file_holding_another_key_is_refused(store: KeyStore, store_dir: Path, passphrase: bytes) -> None:
    (store_dir / f"{store.active().kid}.pem").write_bytes(pem.encrypt(generate_private_key(), passphrase))
    with pytest.raises(KeyStoreError, match="different key"):
        store.active_signing_key(passphrase)


def test_receipt_mac_key_is_hkdf_of_the_stored_ed25519_key_and_stable(
    store: KeyStore, store_dir: Path, passphrase: bytes, tmp_path: Path, issuer_id: str, now: int
) -> None:
    mac_key = store.receipt_mac_key(passphrase)
    assert len(mac_key) == 32
    assert KeyStore.open(store_dir).receipt_mac_key(passphrase) == mac_key
    stored = serialization.load_pem_private_key(
        (store_dir / f"{store.receipt_mac_id}.pem").read_bytes(), passphrase)
    assert isinstance(stored, ed25519.Ed25519PrivateKey)
    expected = HKDF(hashes.SHA256(), 32, salt=None, info=b"citykey receipt mac v1").derive(stored.private_bytes_raw())
    assert mac_key == expected
    other = KeyStore.init(tmp_path / "other", issuer_id, passphrase, now=now)
    assert other.receipt_mac_key(passphrase) != mac_key


def test_the_root_can_be_kept_offline(store: KeyStore, store_dir: Path, passphrase: bytes,
                                      tmp_path: Path) -> None:
    root_file = store_dir / f"{store.root_thumbprint}.pem"
    offline = tmp_path / "usb-stick.pem"
    shutil.move(root_file, offline)
    new = store.rotate(passphrase, now=store.active().created + 60, max_credential_lifetime=1000)
    assert store.active_signing_key(passphrase)[0] == new.kid
    with pytest.raises(KeyStoreError, match="offline"):
        store.signed_key_list(passphrase, now=store.active().created)
    shutil.move(offline, root_file)
    assert store.signed_key_list(passphrase, now=store.active().created)


def test_loose_permissions_are_reported(store: KeyStore, store_dir: Path) -> None:
    assert store.loose_permissions() == []
    os.chmod(store_dir, 0o755)  # noqa: S103 - the mistake under test
    os.chmod(store.key_file(store.active().kid), 0o644)
    assert store.loose_permissions() == [store_dir, store.key_file(store.active().kid)]
