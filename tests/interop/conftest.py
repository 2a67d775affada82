"""The interop tests' city: the real issuer app on loopback, one for the whole run (see city.py).

Skipped when node is absent; `make test` installs the other libraries first (`npm ci` in tests/interop).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from issuer.app import create_app
from issuer.db import sqlite_url
from issuer.settings import IssuerSettings
from keys import KeyStore
from tests.browser.support import free_port, serving
from tests.interop.city import HERE, INSTALLED, NODE, City
from tests.support import CITY_PASSPHRASE, cheap_kdfs

if NODE is None:
    pytest.skip("no node: apt-get install -y nodejs npm (.ci/run does)", allow_module_level=True)


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    if not INSTALLED.exists():
        pytest.fail(f"the interop libraries are not installed in {HERE}: make {INSTALLED.relative_to(HERE.parents[1])}")
    tmp = tmp_path_factory.mktemp("interop")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as patch:  # cheap key files; undone at once, so no other test sees it
        cheap_kdfs(patch)
        KeyStore.init(tmp / "keys", url, CITY_PASSPHRASE, now=int(time.time()) - 3600)
    app = create_app(
        IssuerSettings(
            data_dir=tmp / "data",
            keys_dir=tmp / "keys",
            db_url=sqlite_url(tmp / "issuer.db"),
            key_passphrase=CITY_PASSPHRASE.decode(),  # type: ignore[arg-type]  # pydantic makes the SecretStr
            city_name="Springfield",
            rate_limits=False,
        )
    )
    with serving(app, port, what="the issuer"):
        yield City(url, tmp / "keys", app.state.issuer)
    app.state.issuer.engine.dispose()
