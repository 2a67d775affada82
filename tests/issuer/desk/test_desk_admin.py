"""The administration page: audit counts and lockouts, for admins only."""

from __future__ import annotations

from issuer import clerks
from tests.issuer.desk.desk_support import CLERK, PASSWORD, Desk


def sign_in_admin(desk: Desk) -> None:
    clerks.add_clerk(desk.state.engine, "boss", PASSWORD, "admin")
    assert desk.login("boss").status_code == 303


def test_a_clerk_may_not_see_the_admin_page(signed_in: Desk) -> None:
    assert 'id="admin-link"' not in signed_in.client.get("/desk/enrol").text
    assert signed_in.client.get("/desk/admin").status_code == 403
    token = signed_in.csrf("/desk/enrol")
    assert signed_in.client.post("/desk/admin/unlock", data={"csrf": token, "name": CLERK}).status_code == 403


def test_the_admin_page_needs_a_sign_in(desk: Desk) -> None:
    response = desk.client.get("/desk/admin", follow_redirects=False)
    assert response.headers["location"] == "/desk/login"


def test_an_admin_sees_counts_without_names_and_unlocks_an_account(desk: Desk) -> None:
    for _ in range(clerks.MAX_FAILURES):
        desk.login(password="wrong password")
    sign_in_admin(desk)
    desk.enrol()
    page = desk.client.get("/desk/admin")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert '<td data-label="Event">failed sign-ins</td>\n      <td class="num" data-label="Count">5</td>' in page.text
    assert "credential offers made" in page.text
    assert "locked until" in page.text
    token = desk.csrf("/desk/admin")
    response = desk.client.post("/desk/admin/unlock", data={"csrf": token, "name": CLERK}, follow_redirects=False)
    assert response.status_code == 303
    assert "locked until" not in desk.client.get("/desk/admin").text
    desk.client.cookies.clear()
    assert desk.login().status_code == 303


def test_the_admin_page_speaks_spanish(desk: Desk) -> None:
    sign_in_admin(desk)
    desk.client.get("/desk/lang/es")
    page = desk.client.get("/desk/admin").text
    assert "Administración del mostrador" in page
    assert "Aún no hay eventos." in page
