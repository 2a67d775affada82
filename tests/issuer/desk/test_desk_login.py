"""Clerk sign-in: sessions, lockout, CSRF, same-origin checks, idle timeout and sign-out."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from issuer import clerks
from issuer.db import audit_events
from issuer.desk import audit
from issuer.desk.auth import COOKIE, IDLE_TIMEOUT, MAX_SESSION
from tests.issuer.desk.desk_support import CLERK, PASSWORD, RESIDENT, Desk, csrf_of


def cookie_headers(response) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(COOKIE + "=")]


def test_the_sign_in_page_has_a_csrf_token_labels_and_strict_headers(desk: Desk) -> None:
    page = desk.client.get("/desk/login")
    assert page.status_code == 200
    assert csrf_of(page.text)
    assert '<label for="name">' in page.text
    assert '<label for="password">' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"  # no-referrer would make browsers send Origin: null


def test_a_clerk_signs_in_and_reaches_the_form(desk: Desk) -> None:
    response = desk.login()
    assert response.status_code == 303
    assert response.headers["location"] == "/desk/enrol"
    page = desk.client.get("/desk/enrol")
    assert page.status_code == 200
    assert "Signed in as ana" in page.text
    assert desk.client.get("/desk/", follow_redirects=False).headers["location"] == "/desk/enrol"


def test_the_session_cookie_is_httponly_strict_and_limited_to_the_desk(desk: Desk) -> None:
    (cookie,) = cookie_headers(desk.login())
    attributes = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/desk" in attributes
    assert "secure" not in attributes  # plain http here: a Secure cookie would never come back
    assert not any(a.startswith(("expires", "max-age")) for a in attributes)  # gone when the browser closes


def test_over_https_the_cookie_is_secure(desk: Desk) -> None:
    client = TestClient(desk.app, base_url="https://testserver")
    token = csrf_of(client.get("/desk/login").text)
    response = client.post(
        "/desk/login", data={"csrf": token, "name": CLERK, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303
    (cookie,) = cookie_headers(response)
    assert "secure" in [a.strip().lower() for a in cookie.split(";")]


def test_signing_in_replaces_the_csrf_token(desk: Desk) -> None:
    before = desk.csrf()
    desk.login()
    assert desk.csrf("/desk/enrol") != before


def test_a_wrong_password_is_refused_with_one_message_and_counted_without_a_name(desk: Desk) -> None:
    response = desk.login(password="not the password")
    assert response.status_code == 401
    assert "Sign-in refused" in response.text
    unknown = desk.login(name="nobody", password="not the password")
    assert unknown.status_code == 401
    assert unknown.text.count("Sign-in refused") == 1
    assert desk.client.get("/desk/enrol", follow_redirects=False).status_code == 303
    assert [(c.event, c.count) for c in audit.counts(desk.state.engine)] == [("login_failed", 2)]
    with desk.state.engine.connect() as conn:
        rows = conn.execute(select(audit_events)).all()
    assert all("nobody" not in str(tuple(row)) and CLERK not in str(tuple(row)) for row in rows)


def test_an_unknown_name_costs_one_verification_against_the_dummy_hash(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []

    class Spy(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            verified.append(str(hash))
            return super().verify(hash, password)

    monkeypatch.setattr(clerks, "HASHER", Spy(time_cost=1, memory_cost=8, parallelism=1))
    assert desk.login(name="nobody", password="whatever it is").status_code == 401
    assert verified == [clerks.dummy_hash()]
    verified.clear()
    assert desk.login(password="whatever it is").status_code == 401
    assert len(verified) == 1
    assert verified[0] != clerks.dummy_hash()


def test_five_failures_lock_the_account_for_fifteen_minutes(desk: Desk) -> None:
    for _ in range(clerks.MAX_FAILURES):
        assert desk.login(password="wrong password").status_code == 401
    (account,) = clerks.list_clerks(desk.state.engine)
    assert account.locked_until == desk.now + clerks.LOCKOUT_SECONDS
    locked = desk.login()  # the right password, during the lock
    assert locked.status_code == 401
    assert "Sign-in refused" in locked.text
    desk.now += clerks.LOCKOUT_SECONDS - 1
    assert desk.login().status_code == 401
    desk.now += 2
    assert desk.login().status_code == 303
    (account,) = clerks.list_clerks(desk.state.engine)
    assert (account.failed_logins, account.locked_until) == (0, 0)


def test_a_success_resets_the_failure_count(desk: Desk) -> None:
    for _ in range(clerks.MAX_FAILURES - 1):
        desk.login(password="wrong password")
    assert desk.login().status_code == 303
    desk.client.cookies.clear()
    for _ in range(clerks.MAX_FAILURES - 1):
        desk.login(password="wrong password")
    assert desk.login().status_code == 303


def test_a_lockout_does_not_end_a_signed_in_session(signed_in: Desk) -> None:
    other = TestClient(signed_in.app)
    for _ in range(clerks.MAX_FAILURES):
        token = csrf_of(other.get("/desk/login").text)
        other.post("/desk/login", data={"csrf": token, "name": CLERK, "password": "wrong password"})
    assert signed_in.client.get("/desk/enrol").status_code == 200


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_post_without_the_sessions_csrf_token_is_refused(desk: Desk, token: str | None) -> None:
    desk.client.get("/desk/login")
    data = {"name": CLERK, "password": PASSWORD} | ({} if token is None else {"csrf": token})
    response = desk.client.post("/desk/login", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "Request refused" in response.text


def test_another_sessions_token_is_refused(desk: Desk) -> None:
    token = csrf_of(TestClient(desk.app).get("/desk/login").text)
    desk.client.get("/desk/login")
    response = desk.client.post("/desk/login", data={"csrf": token, "name": CLERK, "password": PASSWORD})
    assert response.status_code == 403


def test_csrf_is_checked_on_the_form_the_paper_card_and_sign_out(signed_in: Desk) -> None:
    for path in ("/desk/enrol", "/desk/paper-card", "/desk/logout"):
        response = signed_in.client.post(path, data={**RESIDENT, "csrf": "wrong"}, follow_redirects=False)
        assert response.status_code == 403, path
    assert signed_in.client.get("/desk/enrol").status_code == 200  # still signed in
    assert audit.counts(signed_in.state.engine) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"origin": "http://testserver.evil.example"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_a_cross_origin_post_is_refused_even_with_the_token(signed_in: Desk, headers: dict[str, str]) -> None:
    for path in ("/desk/enrol", "/desk/paper-card", "/desk/logout"):
        token = signed_in.csrf("/desk/enrol")
        response = signed_in.client.post(path, data={**RESIDENT, "csrf": token}, headers=headers)
        assert response.status_code == 403, (path, headers)
    token = signed_in.csrf("/desk/login")
    login = signed_in.client.post(
        "/desk/login", data={"csrf": token, "name": CLERK, "password": PASSWORD}, headers=headers
    )
    assert login.status_code == 403


def test_a_same_origin_post_with_origin_headers_passes(desk: Desk) -> None:
    response = desk.login(origin="http://testserver", **{"sec-fetch-site": "same-origin"})
    assert response.status_code == 303


def test_the_public_urls_origin_is_accepted_too(tmp_path) -> None:
    from tests.issuer.desk.desk_support import make_desk

    desk = make_desk(tmp_path, public_url="https://desk.springfield.example/")
    clerks.add_clerk(desk.state.engine, CLERK, PASSWORD)
    assert desk.login(origin="https://desk.springfield.example").status_code == 303
    desk.state.engine.dispose()


def test_an_idle_session_ends_after_thirty_minutes(signed_in: Desk) -> None:
    signed_in.now += IDLE_TIMEOUT - 60
    assert signed_in.client.get("/desk/enrol").status_code == 200  # activity moves the deadline
    signed_in.now += IDLE_TIMEOUT - 60
    assert signed_in.client.get("/desk/enrol").status_code == 200
    signed_in.now += IDLE_TIMEOUT + 1
    response = signed_in.client.get("/desk/enrol", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/desk/login?m=ended"
    assert "Your session has ended" in signed_in.client.get("/desk/login?m=ended").text


def test_a_session_ends_after_a_shift_whatever_the_activity(signed_in: Desk) -> None:
    start = signed_in.now
    while signed_in.now - start + 20 * 60 <= MAX_SESSION:
        signed_in.now += 20 * 60
        assert signed_in.client.get("/desk/enrol").status_code == 200
    signed_in.now += 20 * 60
    assert signed_in.client.get("/desk/enrol", follow_redirects=False).status_code == 303


def test_a_posted_form_after_the_session_ended_does_nothing(signed_in: Desk) -> None:
    token = signed_in.csrf("/desk/enrol")
    signed_in.now += IDLE_TIMEOUT + 1
    response = signed_in.client.post("/desk/enrol", data={**RESIDENT, "csrf": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/desk/login?m=ended"
    assert audit.counts(signed_in.state.engine) == []


def test_a_new_password_or_a_removed_account_ends_its_sessions(signed_in: Desk) -> None:
    clerks.remove_clerk(signed_in.state.engine, CLERK)
    assert signed_in.client.get("/desk/enrol", follow_redirects=False).status_code == 303
    clerks.add_clerk(signed_in.state.engine, CLERK, PASSWORD)  # same name, new hash: a new tag
    assert signed_in.client.get("/desk/enrol", follow_redirects=False).status_code == 303


def test_a_tampered_cookie_is_a_fresh_anonymous_session(signed_in: Desk) -> None:
    value = signed_in.client.cookies.get(COOKIE)
    assert value
    signed_in.client.cookies.clear()
    signed_in.client.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"), path="/desk")
    assert signed_in.client.get("/desk/enrol", follow_redirects=False).status_code == 303


def test_sign_out_clears_the_session(signed_in: Desk) -> None:
    token = signed_in.csrf("/desk/enrol")
    response = signed_in.client.post("/desk/logout", data={"csrf": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/desk/login?m=signed_out"
    assert any("max-age=0" in h.lower() for h in cookie_headers(response))
    assert signed_in.client.get("/desk/enrol", follow_redirects=False).status_code == 303
    assert "You have signed out" in signed_in.client.get("/desk/login?m=signed_out").text


def test_only_small_url_encoded_forms_are_read(signed_in: Desk) -> None:
    token = signed_in.csrf("/desk/enrol")
    huge = signed_in.client.post("/desk/enrol", data={**RESIDENT, "csrf": token, "pad": "x" * 20_000})
    assert huge.status_code == 403
    many = signed_in.client.post("/desk/enrol", data={**RESIDENT, "csrf": token, **{f"f{i}": "1" for i in range(20)}})
    assert many.status_code == 403
    multipart = signed_in.client.post(
        "/desk/enrol", data={**RESIDENT, "csrf": token}, files={"photo": ("a.jpg", b"\xff\xd8", "image/jpeg")}
    )
    assert multipart.status_code == 403
    chunked = signed_in.client.post(
        "/desk/enrol",
        content=(part for part in [f"csrf={token}&".encode(), b"given_name=" + b"x" * 20_000]),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 403
    assert audit.counts(signed_in.state.engine) == []
    assert signed_in.client.post("/desk/enrol", data={**RESIDENT, "csrf": token}).status_code == 200


def test_a_cookie_copied_before_sign_out_no_longer_works(signed_in: Desk) -> None:
    copied = signed_in.client.cookies.get(COOKIE)
    assert copied
    token = signed_in.csrf("/desk/enrol")
    assert signed_in.client.post("/desk/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    signed_in.client.cookies.clear()
    signed_in.client.cookies.set(COOKIE, copied, path="/desk")  # the thief's copy
    refused = signed_in.client.get("/desk/enrol", follow_redirects=False)
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/desk/login")


def test_ending_a_clerks_sessions_ends_them_on_every_device(signed_in: Desk) -> None:
    assert signed_in.client.get("/desk/enrol", follow_redirects=False).status_code == 200
    assert clerks.end_sessions(signed_in.state.engine, CLERK)
    assert signed_in.client.get("/desk/enrol", follow_redirects=False).status_code == 303
    assert not clerks.end_sessions(signed_in.state.engine, "nobody")
