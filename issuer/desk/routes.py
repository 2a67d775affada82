"""The desk's pages, under `/desk`.

    GET  /desk                 → the form when signed in, else the sign-in page
    GET  /desk/login           sign-in form
    POST /desk/login           name, password, csrf
    POST /desk/logout          csrf
    GET  /desk/enrol           the attributes form
    POST /desk/enrol           attributes, csrf → 303 to the offer page
    GET  /desk/offers/{handle} the offer page: QR, code, countdown, "print paper card"
    POST /desk/paper-card      attributes (or the offer page's handle), csrf → 303 to the card page
    GET  /desk/cards/{handle}  the printable paper card and its revocation receipt
    GET  /desk/lang/{en|es}    sets the language cookie, back to /desk
    GET  /desk/admin           admins only: audit counts of the last 48 hours, accounts and lockouts
    POST /desk/admin/unlock    admins only: name, csrf
    POST /desk/admin/end-sessions  admins only: name, csrf

Every POST is refused (403) unless it is same-origin and carries the
session's CSRF token (`issuer.desk.auth`). A POST that makes something answers
with a redirect to a page shown by its own URL (post/redirect/get), so back,
forward and reload never make a second offer or card: the page is a sealed
row under a handle that names no one (`issuer.desk.pages`). The attributes a
clerk types travel only in POST bodies: they reach `create_offer` (sealed under
the offer's code) or the paper card, and never a log, a URL or the session;
validation messages name fields, not values. "Print paper card" on the offer
page posts the page's handle, which opens the sealed offer while it is unredeemed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from citykey_io.clock import now as clock
from citykey_io.i18n import N_, Translations, error_message, languages
from citykey_io.qrimage import svg_element
from issuer import clerks, errors
from issuer.api.bodies import Rules, read_form
from issuer.desk import DeskConfig, audit, i18n, pages
from issuer.desk.auth import CSRF_FIELD, Session, csrf_ok, same_origin, signed_in
from issuer.desk.forms import ResidentForm, read_resident
from issuer.desk.paper import issue_paper_card
from issuer.offers import create_offer
from issuer.oid4vci import city_name
from issuer.state import IssuerState
from wallet_spec.attributes import FIELDS, MAX_LENGTH
from wallet_spec.errors import CitykeyError, FormatError, RateLimited
from wallet_spec.profile import Resident

T = TypeVar("T")
log = logging.getLogger("citykey.issuer.desk")
router = APIRouter(prefix="/desk", include_in_schema=False)

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)

MAX_BODY = 16 * 1024
"""A form of six short fields and a token; anything larger is refused before it is parsed."""
MAX_FIELDS = 16
FORM_RULES = Rules(what="the form", limit=MAX_BODY)
TX_CODE_LENGTH = 6
"""Digits of the transaction code the clerk may add to an offer (read out, never in the QR code)."""

HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
CAMERA_HEADERS = HEADERS | {
    "Content-Security-Policy": HEADERS["Content-Security-Policy"].replace(
        "script-src 'self';", "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self';"
    ),
}
"""The enrolment page, which has the scan form: its camera reader compiles its own WebAssembly
(`'wasm-unsafe-eval'`) fetched from `/desk/static/camera/` (`connect-src 'self'`). The camera's
stream is not fetched (`srcObject`), so no `media-src`. Every other page keeps `HEADERS`."""


TOO_MANY_SIGN_INS = N_("Too many sign-in attempts. Wait a minute, then try again.")
LOGIN_REFUSED = N_(
    "Sign-in refused. Check the name and password. After 5 failed attempts in a row "
    "an account is locked for 15 minutes."
)
"""Messages are marked with `N_` where they are chosen and translated by the page (`{{ _(error) }}`)."""

# `clock` (citykey_io.clock.now) is the time as a dependency, so tests can move it (lockout, idle timeout, expiry).
Now = Annotated[int, Depends(clock)]


def _qr(text: str, *, title: str, css_class: str = "qr") -> Markup:
    """A QR code as an inline `<svg>` for a page (`citykey_io.qrimage`: the one rendering policy)."""
    return Markup(svg_element(text, title=title, css_class=css_class))  # noqa: S704  # segno's markup, title escaped


def _desk(request: Request) -> DeskConfig:
    found: DeskConfig = request.app.state.desk
    return found


def _state(request: Request) -> IssuerState:
    found: IssuerState = request.app.state.issuer
    return found


def _page(
    request: Request,
    template: str,
    session: Session,
    now: int,
    *,
    status: int = 200,
    headers: dict[str, str] = HEADERS,
    **context: Any,
) -> HTMLResponse:
    _ = i18n.for_request(request)
    html = _env.get_template(template).render(
        _=_,
        lang=_.lang,
        languages=i18n.switch(),
        session=session,
        csrf_field=CSRF_FIELD,
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers=headers)
    _desk(request).sessions.write(response, request, session, now)
    return response


def _redirect(request: Request, to: str, session: Session | None, now: int) -> RedirectResponse:
    response = RedirectResponse(to, status_code=303, headers=HEADERS)
    if session is not None:
        _desk(request).sessions.write(response, request, session, now)
    return response


def _forbidden(request: Request, session: Session, now: int) -> HTMLResponse:
    return _page(
        request,
        "message.html",
        session,
        now,
        status=403,
        title=N_("Request refused"),
        text=N_("A security check failed. Go back, reload the page and try again."),
    )


def _clerk(request: Request, session: Session) -> clerks.Clerk | None:
    if session.clerk is None or session.tag is None:
        return None
    return clerks.session_clerk(_state(request).engine, session.clerk, session.tag)


async def _form(request: Request) -> dict[str, str] | None:
    """The URL-encoded form body (`issuer.api.bodies.read_form`: at most `MAX_BODY` bytes, no other
    content type, each name once); None if it is refused, answered as any failed check (403)."""
    try:
        return await read_form(request, FORM_RULES, max_fields=MAX_FIELDS)
    except FormatError:  # TooLarge included
        return None


async def _posted(request: Request, now: int) -> tuple[Session, dict[str, str] | None, Response | None]:
    """The session and the form of a POST, or the refusal to send instead (403 on any failed check)."""
    session = _desk(request).sessions.load(request, now)
    if not same_origin(request, _state(request).settings.public_url):
        return session, None, _forbidden(request, session, now)
    form = await _form(request)
    if form is None or not csrf_ok(session, form.get(CSRF_FIELD)):
        return session, None, _forbidden(request, session, now)
    return session, form, None


# --- pages ------------------------------------------------------------------


@router.get("")
@router.get("/")
def home(request: Request, now: Now) -> Response:
    session = _desk(request).sessions.load(request, now)
    return _redirect(request, "/desk/enrol" if _clerk(request, session) else "/desk/login", session, now)


@router.get("/lang/{code}")
def language(code: str, request: Request, now: Now) -> Response:
    response = _redirect(request, "/desk/", None, now)
    if code in languages():
        response.set_cookie(
            i18n.LANG_COOKIE,
            code,
            max_age=365 * 86_400,
            path="/desk",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


@router.get("/login")
def login_form(request: Request, now: Now, m: str | None = None) -> Response:
    session = _desk(request).sessions.load(request, now)
    if _clerk(request, session):
        return _redirect(request, "/desk/enrol", session, now)
    notice = (
        N_("Your session has ended. Please sign in again.")
        if m == "ended" or session.ended
        else N_("You have signed out.")
        if m == "signed_out"
        else None
    )
    return _page(request, "login.html", session, now, notice=notice, error=None, name="")


@router.post("/login")
async def login(request: Request, now: Now) -> Response:
    session, form, refusal = await _posted(request, now)
    if refusal is not None or form is None:
        return refusal or _forbidden(request, session, now)
    name = form.get("name")
    password = form.get("password")
    name = name.strip() if isinstance(name, str) else ""
    password = password if isinstance(password, str) else ""
    state = _state(request)
    desk = _desk(request)
    try:  # before any argon2 work: a flood of guesses costs the server nothing
        desk.sign_ins_by_address.spend(request.client.host if request.client else "", now=now, what="sign-ins")
        desk.sign_ins_by_name.spend(name.casefold(), now=now, what="sign-ins")
    except RateLimited as exc:
        log.info("desk sign-in throttled")
        page = _page(request, "login.html", session, now, status=429, notice=None, error=TOO_MANY_SIGN_INS, name="")
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    attempt = await run_in_threadpool(clerks.authenticate, state.engine, name, password, now=now)
    if attempt.outcome is not clerks.Outcome.OK or attempt.clerk is None:
        await run_in_threadpool(audit.record, state.engine, state.settings.office, "login_failed", now=now)
        log.info("desk sign-in refused")  # no name: a mistyped password in the name field must not be logged
        shown = name if len(name) <= 64 else ""
        return _page(request, "login.html", session, now, status=401, notice=None, error=LOGIN_REFUSED, name=shown)
    log.info("desk sign-in")
    return _redirect(request, "/desk/enrol", signed_in(attempt.clerk.name, attempt.clerk.tag, now), now)


@router.post("/logout")
async def logout(request: Request, now: Now) -> Response:
    session, _, refusal = await _posted(request, now)
    if refusal is not None:
        return refusal
    clerk = _clerk(request, session)
    if clerk is not None:  # server-side: a copy of this cookie, or another device's, ends too
        await run_in_threadpool(clerks.end_sessions, _state(request).engine, clerk.name)
    response = RedirectResponse("/desk/login?m=signed_out", status_code=303, headers=HEADERS)
    _desk(request).sessions.clear(response, request)
    return response


def _enrol_page(
    request: Request,
    session: Session,
    now: int,
    clerk: clerks.Clerk,
    form: ResidentForm | None,
    *,
    status: int = 200,
    tx_code: bool = False,
    **extra: Any,
) -> HTMLResponse:
    return _page(
        request,
        "enrol.html",
        session,
        now,
        status=status,
        headers=CAMERA_HEADERS,
        clerk=clerk,
        city=city_name(_state(request)),
        values=form.values if form else dict.fromkeys(FIELDS, ""),
        errors=form.errors if form else {},
        refused=form.refused if form else False,
        limits=MAX_LENGTH,
        tx_code=tx_code,
        today=dt.datetime.fromtimestamp(now, dt.UTC).date().isoformat(),
        **extra,
    )


def _for_clerk(request: Request, now: int, page: Callable[[Session, clerks.Clerk], Response]) -> Response:
    """`page` for the signed-in clerk, or the redirect to the login page (saying so if the session ended)."""
    session = _desk(request).sessions.load(request, now)
    clerk = _clerk(request, session)
    if clerk is None:
        return _redirect(request, "/desk/login" + ("?m=ended" if session.ended else ""), session, now)
    return page(session, clerk)


@router.get("/enrol")
def enrol_form(request: Request, now: Now) -> Response:
    return _for_clerk(request, now, lambda session, clerk: _enrol_page(request, session, now, clerk, None))


@dataclass(frozen=True, slots=True)
class _Submitted:
    session: Session
    clerk: clerks.Clerk
    form: ResidentForm
    resident: Resident
    tx_code: bool


async def _resident_post(request: Request, now: int) -> _Submitted | Response:
    """The checked attributes of an enrolment POST, or the page to answer instead.

    A paper card asked for from the offer page posts the page's handle (`offer`) instead of the
    attributes: they come from the sealed offer, opened with the code the page's row holds. Once the
    wallet has redeemed the offer (or it expired) they are gone, and the clerk enters them again.
    """
    session = _desk(request).sessions.load(request, now)
    clerk = _clerk(request, session)
    if clerk is None:  # signed out or timed out: nothing is done, whatever was posted
        if not same_origin(request, _state(request).settings.public_url):
            return _forbidden(request, session, now)
        return _redirect(request, "/desk/login?m=ended", session, now)
    session, posted, refusal = await _posted(request, now)
    if refusal is not None or posted is None:
        return refusal or _forbidden(request, session, now)
    state = _state(request)
    if "offer" in posted and request.url.path.endswith("/paper-card"):
        offer = await run_in_threadpool(
            pages.shown, state.engine, pages.OFFER_PAGE, posted["offer"], clerk=clerk.name, now=now
        )
        resident = None if offer is None else await run_in_threadpool(
            pages.offer_resident, state, str(offer["code"]), now
        )
        if resident is None:
            return _ended(request, session, now, clerk)
        return _Submitted(session, clerk, ResidentForm({}, {}, resident), resident, False)
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    form = read_resident(posted, city=city_name(state), today=today)
    tx_code = posted.get("tx_code") == "on"
    if form.resident is None:
        return _enrol_page(request, session, now, clerk, form, status=422, tx_code=tx_code)
    return _Submitted(session, clerk, form, form.resident, tx_code)


async def _recorded(
    request: Request, submitted: _Submitted, now: int, event: str, work: Callable[[], T]
) -> T | Response:
    """Run a desk action off the event loop and count it in the audit log; a failure is a plain error page.

    Only the error code is logged: the attributes the clerk typed never reach a log line.
    """
    state = _state(request)
    try:
        done = await run_in_threadpool(work)
    except CitykeyError as exc:
        log.error("desk: %s failed: %s", event, exc.code)
        return _page(
            request,
            "message.html",
            submitted.session,
            now,
            status=500,
            title=N_("Something went wrong"),
            text=N_("The credential could not be made. Nothing was saved. Try again, or call support."),
            detail=error_message(exc.code, i18n.for_request(request).lang),
        )
    await run_in_threadpool(audit.record, state.engine, state.settings.office, event, now=now)
    return done


async def _resident_action(
    request: Request, now: int, event: str, work: Callable[[IssuerState, _Submitted], T]
) -> tuple[_Submitted, T] | Response:
    """Read a posted resident form and run `work` on it (`_recorded`); a refusal is the page to return."""
    submitted = await _resident_post(request, now)
    if isinstance(submitted, Response):
        return submitted
    state = _state(request)
    done = await _recorded(request, submitted, now, event, lambda: work(state, submitted))
    return done if isinstance(done, Response) else (submitted, done)


@router.post("/enrol")
async def enrol(request: Request, now: Now) -> Response:
    acted = await _resident_action(
        request, now, "offer_created",
        lambda state, submitted: create_offer(
            state, submitted.resident, now=now, tx_code_length=TX_CODE_LENGTH if submitted.tx_code else None
        ),
    )
    if isinstance(acted, Response):
        return acted
    submitted, offer = acted
    state = _state(request)
    value = {"offer_uri": offer.offer_uri, "tx_code": offer.tx_code, "expires": offer.expires,
             "code": offer.pre_authorized_code}
    handle = await run_in_threadpool(
        pages.keep, state.engine, pages.OFFER_PAGE, value, clerk=submitted.clerk.name, now=now, expires=offer.expires
    )
    return _redirect(request, f"/desk/offers/{handle}", submitted.session, now)


def _kept_page(
    request: Request, kind: str, handle: str, now: int, template: str,
    values: Callable[[Translations, dict[str, Any]], dict[str, Any]],
) -> Response:
    """The page kept under `handle` (an offer, a card) for the signed-in clerk who made it, rendered with
    `template` and what `values` makes of its value in the page's language; else the login or "page has ended"."""
    session = _desk(request).sessions.load(request, now)
    clerk = _clerk(request, session)
    if clerk is None:
        return _redirect(request, "/desk/login" + ("?m=ended" if session.ended else ""), session, now)
    value = pages.shown(_state(request).engine, kind, handle, clerk=clerk.name, now=now)
    if value is None:
        return _ended(request, session, now, clerk)
    return _page(request, template, session, now, clerk=clerk, **values(i18n.for_request(request), value))


@router.get("/offers/{handle}")
def offer_page(handle: str, request: Request, now: Now) -> Response:
    state = _state(request)

    def values(_: Translations, offer: dict[str, Any]) -> dict[str, Any]:
        offer_uri = str(offer["offer_uri"])
        web_link = web_wallet_link(state, offer_uri)
        return {
            "handle": handle,
            "offer_uri": offer_uri,
            "qr": _qr(offer_uri, title=_("Credential offer QR code: the resident scans it with the city wallet app")),
            "web_link": web_link,
            "web_qr": _qr(web_link, title=_("Web wallet QR code: the resident scans it with the phone camera")),
            "tx_code": offer["tx_code"],
            "expires_iso": _iso(int(offer["expires"])),
            "expires_local": _local_time(int(offer["expires"])),
            "seconds_left": max(0, int(offer["expires"]) - now),
        }

    return _kept_page(request, pages.OFFER_PAGE, handle, now, "offer.html", values)


def _ended(request: Request, session: Session, now: int, clerk: clerks.Clerk) -> HTMLResponse:
    return _page(
        request, "message.html", session, now, status=404, clerk=clerk,
        title=N_("This page has ended"),
        text=N_("The offer or card shown here has expired or was used. Enter the resident again to make a new one."),
        back="/desk/enrol",
    )


def web_wallet_link(state: IssuerState, offer_uri: str) -> str:
    """The web wallet opened with this offer; the offer and the city's root ride in the fragment, never sent."""
    fragment = urlencode({"offer": offer_uri, "root": state.store.root_thumbprint}, quote_via=quote)
    return f"{state.issuer_id.rstrip('/')}/wallet/#{fragment}"


@router.post("/paper-card")
async def paper_card(request: Request, now: Now) -> Response:
    acted = await _resident_action(
        request, now, "paper_card_printed",
        lambda state, submitted: issue_paper_card(
            submitted.resident, keys=state.keys, registry=state.registry, now=now
        ),
    )
    if isinstance(acted, Response):
        return acted
    submitted, card = acted
    state = _state(request)
    value = {"qr_text": card.qr_text, "receipt": card.receipt, "expires": card.expires,
             "resident_of": card.resident_of, "ages": [list(age) for age in card.ages]}
    handle = await run_in_threadpool(
        pages.keep, state.engine, pages.CARD_PAGE, value, clerk=submitted.clerk.name, now=now,
        expires=now + pages.CARD_PAGE_TTL,
    )
    return _redirect(request, f"/desk/cards/{handle}", submitted.session, now)


@router.get("/cards/{handle}")
def card_page(handle: str, request: Request, now: Now) -> Response:
    def values(_: Translations, card: dict[str, Any]) -> dict[str, Any]:
        return {
            "card": card,
            "card_qr": _qr(str(card["qr_text"]), title=_("Residency card QR code: services scan it to check the card"),
                           css_class="qr card-qr"),
            "receipt_qr": _qr(str(card["receipt"]), title=_("Revocation receipt QR code: scanned at a city desk to "
                                                            "cancel a lost card"), css_class="qr receipt-qr"),
            "valid_until": dt.datetime.fromtimestamp(int(card["expires"]), dt.UTC).date().isoformat(),
        }

    return _kept_page(request, pages.CARD_PAGE, handle, now, "card.html", values)


ADMIN_WINDOW = 48 * 3600
"""How far back the administration page shows audit counts."""


ADMIN_DONE = {
    "unlocked": N_("{name} is unlocked and can sign in again."),
    "sessions_ended": N_("Every session of {name} has ended; they must sign in again."),
    "unknown": N_("There is no account named {name}."),
}
"""What an administrator's action did, announced on the page it returns to."""


@router.get("/admin")
def admin(request: Request, now: Now, done: str | None = None, who: str | None = None) -> Response:
    session = _desk(request).sessions.load(request, now)
    clerk = _clerk(request, session)
    if clerk is None:
        return _redirect(request, "/desk/login" + ("?m=ended" if session.ended else ""), session, now)
    if clerk.role != "admin":
        return _forbidden(request, session, now)
    engine = _state(request).engine
    counts = [
        {"hour_text": _iso(c.hour)[:16].replace("T", " "), "office": c.office, "event": c.event, "count": c.count}
        for c in reversed(audit.counts(engine))
        if c.hour > now - ADMIN_WINDOW and c.event in audit.EVENTS
    ]
    accounts = [
        {"name": a.name, "role": a.role, "locked_text": _local_time(a.locked_until) if a.locked_until > now else None}
        for a in clerks.list_clerks(engine)
    ]
    status = ADMIN_DONE.get(done or "") if who and len(who) <= 64 else None
    return _page(request, "admin.html", session, now, clerk=clerk, counts=counts, accounts=accounts,
                 done=status, who=who or "")


async def _admin_action(request: Request, now: int, action: Callable[[Any, str], bool], done: str) -> Response:
    session, form, refusal = await _posted(request, now)
    if refusal is not None or form is None:
        return refusal or _forbidden(request, session, now)
    clerk = _clerk(request, session)
    if clerk is None or clerk.role != "admin":
        return _forbidden(request, session, now)
    name = form.get("name")
    if not isinstance(name, str) or not name:
        return _redirect(request, "/desk/admin", session, now)
    found = await run_in_threadpool(action, _state(request).engine, name)
    query = urlencode({"done": done if found else "unknown", "who": name})
    return _redirect(request, f"/desk/admin?{query}#admin-status", session, now)


@router.post("/admin/unlock")
async def admin_unlock(request: Request, now: Now) -> Response:
    return await _admin_action(request, now, clerks.unlock_clerk, "unlocked")


@router.post("/admin/end-sessions")
async def admin_end_sessions(request: Request, now: Now) -> Response:
    """End every session of an account (a lost or shared computer); the admin's own too, if named."""
    return await _admin_action(request, now, clerks.end_sessions, "sessions_ended")


async def not_found(request: Request, exc: Exception) -> Response:
    """An unknown URL: a page in the desk's language for a browser, the one error body for an API client.

    A browser's navigation asks for `text/html` first; wallets, verifiers and scripts ask for JSON
    (or anything) and get what every other error of the issuer answers (`issuer.errors`).
    """
    assert isinstance(exc, StarletteHTTPException)
    accept = request.headers.get("accept", "")
    if exc.status_code != 404 or "text/html" not in accept.split(",")[0]:
        return await errors.handle(request, exc)
    now = clock()
    session = _desk(request).sessions.load(request, now)
    return _page(
        request, "message.html", session, now, status=404, clerk=_clerk(request, session),
        title=N_("Page not found"),
        text=N_("There is no page at this address. Check the address, or start again from the desk."),
    )


def _iso(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat().replace("+00:00", "Z")


def _local_time(timestamp: int) -> str:
    """The server's local time of day with its zone: what a clerk without JavaScript sees."""
    return dt.datetime.fromtimestamp(timestamp).astimezone().strftime("%H:%M:%S %Z")
