"""The scanner's latency: from a 640×480 camera frame, and from a handheld scanner's typed text, to the decision.

Both go through the scanner's own HTTP API (`verifier.scanner.app`, FastAPI's
TestClient: routing, JSON, the words in the kiosk's language) to a `Gate` in
one-way mode with its SQLite replay cache (`synchronous=FULL`: each acceptance
is on disk before it is reported). The frame is what the page posts: a JPEG
(quality 85) of a phone's QR code held up to a webcam, decoded with zxing-cpp.
Each call scans a different presentation, so every decision is a real one.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import segno
from fastapi.testclient import TestClient
from PIL import Image

from citykey_io.files import atomic_write
from verifier.policies import policy_named
from verifier.scanner.app import create_app
from verifier.scanner.gate import Gate
from verifier.sync import BUNDLE_FILE, Identity, pin_root
from wallet_spec import jwk, qr
from wallet_spec.bundle import sign_bundle
from wallet_spec.keylist import KeyList, ListedKey, sign_key_list, signing_kid
from wallet_spec.present import present
from wallet_spec.profile import RESIDENCY, Resident, issue_credential
from wallet_spec.statuslist import StatusList, sign_token

AUD = "https://library.example"
PRESENTATIONS = 300
Measure = Callable[[Callable[[], object]], tuple[float, int]]


def camera_frame(text: str) -> bytes:
    """640×480 JPEG with the code 3 px a module in the middle: what the page's canvas sends."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=3, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    frame = Image.new("RGB", (640, 480), (100, 100, 100))
    frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
    out = io.BytesIO()
    frame.save(out, format="JPEG", quality=85)
    return out.getvalue()


def rows(measure: Measure) -> list[tuple[str, float, int]]:
    now = int(time.time())
    root, issuer_key, holder_key = (jwk.generate_private_key() for _ in range(3))
    kid = signing_kid(issuer_key)
    key_list = sign_key_list(
        KeyList("https://id.example", now, now + 30 * 86_400, (ListedKey(kid, jwk.public_jwk(issuer_key), 0),)), root
    )
    status = sign_token(StatusList.new(131_072), uri="https://id.example/s/1", key=issuer_key, kid=kid,
                        iat=now, exp=now + 86_400, ttl=3600)
    bundle = sign_bundle(key_list_token=key_list, status_list_tokens=[status], issuer="https://id.example",
                         issued_at=now, next_update=now + 86_400, signing_key=issuer_key, kid=kid)
    resident = Resident("Bench", "Marker", dt.date(1950, 1, 1), "Springfield")
    credential = issue_credential(resident, issuer="https://id.example", signing_key=issuer_key, kid=kid,
                                  holder_key=holder_key.public_key(), status_idx=7,
                                  status_uri="https://id.example/s/1", now=now, credential_type=RESIDENCY)
    texts = [qr.encode(present(credential, [("resident_of",)], holder_key=holder_key, nonce=f"bench-{i:06d}-nonce",
                               aud=AUD, iat=now)) for i in range(PRESENTATIONS)]
    frames = [camera_frame(t) for t in texts[: PRESENTATIONS // 3]]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        pin_root(home, jwk.thumbprint(root))
        atomic_write(home / BUNDLE_FILE, bundle.encode("ascii"))
        gate = Gate(home, policy_named("library-card"), Identity(AUD, "Bench Library"))
        client = TestClient(create_app(gate, clock=lambda: now))
        typed = itertools.cycle(texts)
        shown = itertools.cycle(frames)

        def wedge() -> None:
            assert client.post("/api/scan", json={"text": next(typed)}).json()["outcome"] != "none"

        def frame() -> None:
            gate._last_frame = None  # each frame is a new phone, not the same one still in view
            assert client.post("/api/frame", content=next(shown),
                               headers={"Content-Type": "image/jpeg"}).json()["outcome"] != "none"

        measured = [
            ("scanner: 640×480 camera frame (JPEG) → decision, HTTP API", *measure(frame)),
            ("scanner: handheld scanner text → decision, HTTP API", *measure(wedge)),
        ]
        gate.close()
    return measured
