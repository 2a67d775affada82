"""A desk form that names a field twice is refused whole: which value counts is never guessed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from issuer.db import pending_offers
from issuer.desk import audit
from tests.issuer.desk.desk_support import RESIDENT, Desk


@pytest.mark.parametrize("path", ["/desk/enrol", "/desk/paper-card"])
@pytest.mark.parametrize("field", ["given_name", "birthdate", "csrf"])
def test_a_repeated_desk_field_is_refused_and_nothing_is_issued(signed_in: Desk, path: str, field: str) -> None:
    token = signed_in.csrf("/desk/enrol")
    form: dict[str, str | list[str]] = {"csrf": token, **RESIDENT}
    form[field] = [str(form[field]), "2001-01-01" if field == "birthdate" else str(form[field])]
    response = signed_in.client.post(path, data=form, follow_redirects=False)
    assert response.status_code == 403
    with signed_in.state.engine.connect() as conn:
        assert conn.execute(select(pending_offers)).all() == []
    assert audit.counts(signed_in.state.engine) == []
    assert signed_in.enrol().status_code == 200  # the same form, each field once, is accepted
