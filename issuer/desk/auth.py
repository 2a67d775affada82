"""Desk sessions, CSRF tokens and the same-origin check.

A session is a cookie signed with `settings.session_secret` (itsdangerous,
HMAC-SHA1 over a key derived with the salt below). It holds only:

    {"c": CSRF token, "s": started, "v": last seen, "n": clerk name, "t": password tag}

never a resident's attribute. The cookie is `HttpOnly`, `SameSite=Strict`,
limited to `/desk`, `Secure` when the request came over https, and has no
expiry of its own (the browser drops it when closed); the server ends a
signed-in session after `IDLE_TIMEOUT` without a request and `MAX_SESSION` after
sign-in, and at once when the clerk's password changes or the account is
removed (the tag no longer matches). Sessions are stateless: signing out
clears the cookie in the browser, and a copy taken before that stays valid
until the idle timeout. That is why the timeout is short.

Every POST must (1) come from this origin: an `Origin` header, when sent,
must be this server's own origin or the configured public URL's, and without
one `Sec-Fetch-Site` must not say cross-site; and (2) carry the session's
CSRF token in the form field `csrf`, compared in constant time. The token is
replaced at sign-in, so one planted before sign-in is useless after it.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "citykey_desk"
COOKIE_PATH = "/desk"
IDLE_TIMEOUT = 30 * 60
MAX_SESSION = 12 * 60 * 60
"""A long shift: sign in again after it, whatever the activity."""
CSRF_FIELD = "csrf"
MIN_SECRET_BYTES = 32
_SALT = "citykey-desk-session-v1"
_MAX_COOKIE = 1024


@dataclass(frozen=True, slots=True)
class Session:
    """What the desk's signed cookie holds: the CSRF token, when the session began and was last seen, who."""

    csrf: str
    started: int
    seen: int
    clerk: str | None = None
    tag: str | None = None
    ended: bool = False
    """True when the request carried a signed-in session that had timed out (the page says so)."""

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"c": self.csrf, "s": self.started, "v": self.seen}
        if self.clerk is not None:
            data |= {"n": self.clerk, "t": self.tag}
        return data


def fresh(now: int, *, ended: bool = False) -> Session:
    return Session(csrf=secrets.token_urlsafe(32), started=now, seen=now, ended=ended)


def signed_in(name: str, tag: str, now: int) -> Session:
    """A new session for a clerk who just signed in: new CSRF token, new start (no session fixation)."""
    return replace(fresh(now), clerk=name, tag=tag)


class Sessions:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the session secret must be at least {MIN_SECRET_BYTES} bytes")
        self._serializer = URLSafeSerializer(secret, salt=_SALT)

    def load(self, request: Request, now: int) -> Session:
        """The request's session; a fresh one if it has none, a bad one, or one that timed out."""
        raw = request.cookies.get(COOKIE)
        if not raw or len(raw) > _MAX_COOKIE:
            return fresh(now)
        try:
            data = self._serializer.loads(raw)
        except BadSignature:
            return fresh(now)
        try:
            session = Session(
                csrf=str(data["c"]),
                started=int(data["s"]),
                seen=int(data["v"]),
                clerk=None if data.get("n") is None else str(data["n"]),
                tag=None if data.get("t") is None else str(data["t"]),
            )
        except (KeyError, TypeError, ValueError):
            return fresh(now)
        idle = now - session.seen > IDLE_TIMEOUT and session.clerk is not None  # a sign-in form may wait
        if idle or now - session.started > MAX_SESSION or now < session.seen - 60:
            return fresh(now, ended=session.clerk is not None)
        return session

    def write(self, response: Response, request: Request, session: Session, now: int) -> None:
        """Send the session back with `seen` moved to now: the idle timeout counts from the last request."""
        value = self._serializer.dumps(replace(session, seen=now).to_json())
        response.set_cookie(
            COOKIE,
            value,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def clear(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict", secure=request.url.scheme == "https"
        )


def csrf_ok(session: Session, submitted: object) -> bool:
    if not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(session.csrf.encode("utf-8"), submitted.encode("utf-8"))


def origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: Request, public_url: str | None) -> bool:
    """True unless the browser says the request comes from another site."""
    allowed = {f"{request.url.scheme}://{request.url.netloc}".lower()}
    if public_url and (public := origin_of(public_url)) is not None:
        allowed.add(public)
    origin = request.headers.get("origin")
    if origin is not None:
        return origin.lower() in allowed  # "null" (sandboxed frames, some redirects) is refused
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")
