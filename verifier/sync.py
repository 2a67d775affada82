"""A verifier's directory and its trust bundle: pin the city's root once, then sync whenever online.

A verifier directory (`citykey verifier init --dir V --root THUMBPRINT`, 0700) holds:

    verifier.json   this verifier's audience id and name (and public JWK when it has a key)
    verifier.pem    its challenge-signing key, encrypted (optional: only a listed verifier signs)
    trust.json      {"root": the pinned root thumbprint, "source": where the bundle was last synced from}
    bundle.jwt      the trust bundle in use (replaced only by a valid, newer one)
    sync.json       {"etag", "source", "synced_at", "checked_at", "error"}: conditional requests, freshness
    counts.json     decisions per outcome per day (`verifier.scanner.counts`); nothing about anyone
    replay.db       the one-way replay cache (hashes that expire; `verifier.replay`)
    attestation.jwt the city's Verifier Attestation for this verifier's key (OpenID4VP; listed verifiers only)

`sync` fetches a bundle from an `http(s)://` URL (with `If-None-Match`: a 304
costs a few bytes) or a file, checks it end to end against the pinned root
(`wallet_spec.bundle.load_bundle`), and replaces `bundle.jwt` atomically only
when the new bundle is valid and newer (a larger `issued_at`) than the one
held. A failed download, a forged or expired bundle, or an older one (a
replayed response, a stale mirror) never replaces a good bundle: the error is
raised and written to `sync.json` so the scanner can say the network is gone.
Time is a parameter.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from citykey_io.files import atomic_write, make_private_dir
from citykey_io.http import get_bounded
from wallet_spec.bundle import MAX_BUNDLE_CHARS, TrustBundle, load_bundle
from wallet_spec.encoding import json_dumps, json_loads
from wallet_spec.errors import BundleOutdated, CitykeyError, FormatError, SyncFailed, UsageError
from wallet_spec.openid4vp import MAX_REQUEST_OBJECT_CHARS, verify_attestation

IDENTITY_FILE = "verifier.json"
KEY_FILE = "verifier.pem"
TRUST_FILE = "trust.json"
BUNDLE_FILE = "bundle.jwt"
ATTESTATION_FILE = "attestation.jwt"
SYNC_FILE = "sync.json"
REPLAY_FILE = "replay.db"
TIMEOUT_S = 15.0

Outcome = Literal["updated", "unchanged", "not_modified"]


@dataclass(frozen=True, slots=True)
class Freshness:
    """How old the held bundle is, in the words a kiosk needs."""

    issued_at: int
    next_update: int
    age: int
    """Seconds since the city signed it."""
    due: bool
    """Past `next_update`: still usable, but the verifier should sync."""

    @classmethod
    def of(cls, bundle: TrustBundle, *, now: int) -> Freshness:
        return cls(bundle.issued_at, bundle.next_update, now - bundle.issued_at, now > bundle.next_update)

    def describe(self) -> str:
        hours = self.age // 3600
        when = f"{hours // 24} days" if hours >= 48 else f"{hours} hours" if hours >= 1 else "minutes"
        return f"signed by the city {when} ago" + ("; due for an update" if self.due else "")


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync did (`updated`, `unchanged`, `not_modified`), the bundle now held, and how fresh it is."""

    outcome: Outcome
    bundle: TrustBundle
    freshness: Freshness


@dataclass(frozen=True, slots=True)
class Identity:
    """Who this verifier is: the `aud` key-bound presentations must name, and the name wallets show."""

    aud: str
    name: str
    kid: str | None = None
    """The thumbprint of its challenge-signing key, when it has one."""


def _read_json(path: Path) -> Any:
    try:
        return json_loads(path.read_bytes(), what=path.name)
    except FileNotFoundError:
        raise UsageError(f"{path.name} is missing: run `citykey verifier init --dir {path.parent} ...`") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path.name}: {exc.strerror or exc}") from None


def _write_json(path: Path, value: Any, *, mode: int = 0o600) -> None:
    atomic_write(path, (json_dumps(value) + "\n").encode("utf-8"), mode=mode)


def read_identity(directory: Path) -> Identity:
    obj = _read_json(directory / IDENTITY_FILE)
    if not isinstance(obj, dict) or not isinstance(obj.get("aud"), str) or not isinstance(obj.get("name"), str):
        raise FormatError(f"{IDENTITY_FILE} must name this verifier's aud and name")
    kid = obj.get("kid")
    return Identity(obj["aud"], obj["name"], kid if isinstance(kid, str) else None)


def pin_root(directory: Path, root_thumbprint: str, *, source: str | None = None) -> None:
    """Pin the city's root key (its RFC 7638 thumbprint) in `trust.json`."""
    if not root_thumbprint or not all(c.isalnum() or c in "-_" for c in root_thumbprint):
        raise UsageError("the root must be a key thumbprint (base64url)")
    make_private_dir(directory)
    _write_json(directory / TRUST_FILE, {"root": root_thumbprint, "source": source})


def read_pin(directory: Path) -> tuple[str, str | None]:
    """(root thumbprint, last source) from `trust.json`."""
    obj = _read_json(directory / TRUST_FILE)
    if not isinstance(obj, dict) or not isinstance(obj.get("root"), str):
        raise FormatError(f"{TRUST_FILE} holds no pinned root")
    source = obj.get("source")
    return obj["root"], source if isinstance(source, str) else None


def read_sync_state(directory: Path) -> dict[str, Any]:
    try:
        obj = json_loads((directory / SYNC_FILE).read_bytes(), what=SYNC_FILE)
    except (OSError, CitykeyError):
        return {}
    return obj if isinstance(obj, dict) else {}


def held_bundle(directory: Path, *, now: int) -> TrustBundle | None:
    """The bundle in `bundle.jwt`, verified against the pin; None when there is none or it no longer verifies."""
    root, _ = read_pin(directory)
    try:
        text = (directory / BUNDLE_FILE).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return load_bundle(text, root, now=now)
    except CitykeyError:
        return None


def check_newer(held: TrustBundle | None, fetched: TrustBundle) -> None:
    """Raise BundleOutdated unless `fetched` was signed after `held` (none held: any valid one is newer)."""
    if held is not None and fetched.issued_at <= held.issued_at:
        raise BundleOutdated(
            f"the fetched bundle was signed at {fetched.issued_at}, not after the held one ({held.issued_at}); "
            "keeping the held bundle"
        )


def _fetch_url(url: str, etag: str | None, client: httpx.Client) -> tuple[int, str, str | None]:
    headers = {"If-None-Match": etag} if etag else {}
    try:
        with client.stream("GET", url, headers=headers, timeout=TIMEOUT_S, follow_redirects=False) as response:
            if response.status_code == 304:
                return 304, "", etag
            if response.status_code != 200:
                raise SyncFailed(f"the bundle server answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BUNDLE_CHARS:
                    raise SyncFailed(f"the bundle server sent more than {MAX_BUNDLE_CHARS} bytes")
            new_etag = response.headers.get("ETag")
    except httpx.HTTPError as exc:
        raise SyncFailed(f"cannot reach the bundle server: {type(exc).__name__}") from None
    try:
        return 200, body.decode("ascii"), new_etag
    except UnicodeDecodeError:
        raise FormatError("the bundle server sent a body that is not ASCII") from None


def _read_file(path: Path) -> str:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BUNDLE_CHARS + 1)
    except OSError as exc:
        raise SyncFailed(f"cannot read the bundle file: {exc.strerror or exc}") from None
    if len(data) > MAX_BUNDLE_CHARS:
        raise SyncFailed(f"the bundle file is larger than {MAX_BUNDLE_CHARS} bytes")
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise FormatError("the bundle file is not ASCII text") from None


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def sync(directory: Path, source: str, *, now: int, client: httpx.Client | None = None) -> SyncResult:
    """Fetch, check and (when valid and newer) install the trust bundle; see the module docstring.

    Raises SyncFailed (nothing fetched), a verification error (the fetched bundle
    does not verify against the pin) or BundleOutdated (not newer); in every case
    the held bundle stays, and `sync.json` records the error code and when.
    """
    root, _ = read_pin(directory)
    state = read_sync_state(directory)
    held = held_bundle(directory, now=now)
    try:
        if is_url(source):
            etag = state.get("etag") if state.get("source") == source and held is not None else None
            own = client is None
            http = client if client is not None else httpx.Client()
            try:
                status, text, etag = _fetch_url(source, etag if isinstance(etag, str) else None, http)
            finally:
                if own:
                    http.close()
        else:
            status, text, etag = 200, _read_file(Path(source)), None
        if status == 304 and held is not None:
            _write_json(directory / SYNC_FILE, {**state, "checked_at": now, "error": None})
            return SyncResult("not_modified", held, Freshness.of(held, now=now))
        fetched = load_bundle(text, root, now=now)
        held_text = None
        with contextlib.suppress(OSError, UnicodeDecodeError):
            held_text = (directory / BUNDLE_FILE).read_text(encoding="ascii")
        if held is not None and held_text is not None and held_text.strip() == text.strip():
            outcome: Outcome = "unchanged"
        else:
            check_newer(held, fetched)
            atomic_write(directory / BUNDLE_FILE, text.strip().encode("ascii") + b"\n", mode=0o644)
            outcome = "updated"
    except CitykeyError as exc:
        _write_json(directory / SYNC_FILE, {**state, "checked_at": now, "error": exc.code})
        raise
    attestation_error = None
    identity = read_identity(directory) if (directory / IDENTITY_FILE).exists() else None
    if identity is not None and identity.kid is not None and any(v.kid == identity.kid for v in fetched.verifiers):
        try:
            sync_attestation(directory, source, identity.kid, fetched, now=now, client=client)
        except CitykeyError as exc:
            attestation_error = exc.code
    _write_json(directory / SYNC_FILE, {"etag": etag, "source": source, "synced_at": now, "checked_at": now,
                                        "error": None, "attestation_error": attestation_error})
    _write_json(directory / TRUST_FILE, {"root": root, "source": source})
    return SyncResult(outcome, fetched, Freshness.of(fetched, now=now))


def attestation_source(bundle_source: str, kid: str) -> str:
    """Where the city publishes this verifier's attestation: beside the bundle (`…/verifier-attestations/KID`)."""
    if is_url(bundle_source):
        return bundle_source.rsplit("/", 1)[0] + f"/verifier-attestations/{kid}"
    return str(Path(bundle_source).parent / "verifier-attestations" / kid)


def sync_attestation(
    directory: Path, bundle_source: str, kid: str, bundle: TrustBundle, *, now: int, client: httpx.Client | None = None
) -> str:
    """Fetch the city's Verifier Attestation for this verifier, check it against `bundle`, keep it."""
    where = attestation_source(bundle_source, kid)
    if is_url(where):
        http = client if client is not None else httpx.Client()
        try:
            fetched = get_bounded(http, where, limit=MAX_REQUEST_OBJECT_CHARS, what="the verifier's attestation",
                                  timeout=TIMEOUT_S)
        except httpx.HTTPError as exc:
            raise SyncFailed(f"cannot reach the city for this verifier's attestation: {type(exc).__name__}") from None
        finally:
            if client is None:
                http.close()
        if fetched.status != 200:
            raise SyncFailed(f"the city has no attestation for this verifier (HTTP {fetched.status})")
        try:
            text = fetched.body.decode("ascii").strip()
        except UnicodeDecodeError:
            raise FormatError("the city's attestation is not ASCII") from None
    else:
        text = _read_file(Path(where)).strip()
    verify_attestation(text, bundle.key_list, now=now)
    atomic_write(directory / ATTESTATION_FILE, text.encode("ascii") + b"\n", mode=0o644)
    return text


def held_attestation(directory: Path, bundle: TrustBundle, *, now: int) -> str:
    """The attestation `sync` kept, still valid against `bundle`; `UsageError` saying to sync otherwise."""
    try:
        text = (directory / ATTESTATION_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        raise UsageError("this verifier holds no attestation from the city: run `citykey verifier sync`") from None
    verify_attestation(text, bundle.key_list, now=now)
    return text
