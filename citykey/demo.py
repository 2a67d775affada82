"""`citykey demo`: the whole flow on embedded sample data, in a temporary directory, in seconds.

Every step runs the same code as the real commands (key store, issuer database,
wallet, offline verifier); each outcome is checked, and the demo exits 1 if
any step does not behave as the story says.
"""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from citykey_io.qrimage import version as qr_version
from issuer.batch import MAX_BATCH, issue_batch, revoke_with_receipt
from issuer.db import create_schema, make_engine, sqlite_url
from issuer.inventory import database_files, database_tables, key_store_files
from issuer.signing import SigningKeys
from issuer.statuslists import StatusRegistry
from issuer.trust_bundle import build_bundle, status_base_uri
from keys import KeyStore
from verifier import Policy, verify
from verifier.policy import ONE_WAY_KB_MAX_AGE
from verifier.replay import ReplayCache
from wallet.model import Wallet
from wallet_spec import jws, qr
from wallet_spec.bundle import load_bundle
from wallet_spec.errors import VerificationFailed
from wallet_spec.profile import Address, Resident, standard_types
from wallet_spec.request import encode_request, make_request, parse_request
from wallet_spec.sdjwt import SdJwt

ISSUER = "https://id.springfield.example"
DOLORES = Resident(
    given_name="Dolores",
    family_name="Sample",
    birthdate=dt.date(1957, 4, 2),
    resident_of="Springfield",
    address=Address(street_address="100 Example Ave", locality="Springfield", postal_code="00000"),
)
BRUNO = Resident(given_name="Bruno", family_name="Example", birthdate=dt.date(2001, 9, 30), resident_of="Springfield")
PASSPHRASE = b"demo passphrase, never use in production"
BUS = "https://transit.springfield.example"
GATE = "https://pool.springfield.example"
LIBRARY = "https://library.springfield.example"


class Demo:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.console = Console()
        self.now = int(time.time())
        self.store = KeyStore.init(workdir / "keys", ISSUER, PASSPHRASE, now=self.now)
        self.db_path = workdir / "issuer.db"
        engine = make_engine(sqlite_url(self.db_path))
        create_schema(engine)
        self.engine = engine
        self.registry = StatusRegistry(engine, status_base_uri(ISSUER))
        self._keys: SigningKeys | None = None

    def signing_keys(self) -> SigningKeys:
        """The store's active signing key and receipt key, decrypted again only after a rotation."""
        self._keys = SigningKeys.open(self.store, PASSPHRASE, held=self._keys)
        return self._keys

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.console.print(f"[bold red]demo failed: {what}")
            raise typer.Exit(1)

    def enrol(self, resident: Resident, count: int = 2) -> tuple[Wallet, str]:
        """A batch of `count` credentials of each standard type (fewer if they would not fit one batch),
        each with its own holder key."""
        wallet = Wallet()
        kinds = standard_types(resident, now=self.now)
        count = max(1, min(count, MAX_BATCH // len(kinds)))
        keys = {kind.name: wallet.new_holder_keys(count) for kind in kinds}
        batch = issue_batch(resident, keys, keys=self.signing_keys(), registry=self.registry, now=self.now)
        for text in batch.credentials:
            wallet.import_credential(text)
        return wallet, batch.receipt

    def sync(self) -> None:
        text = build_bundle(self.store, self.registry, PASSPHRASE, now=self.now)
        self.bundle = load_bundle(text, self.store.root_thumbprint, now=self.now)

    def scan(self, wallet: Wallet, verifier: str, wanted: list[str]) -> tuple[str, dict[str, object] | list[str]]:
        """The verifier shows a challenge QR; the wallet answers with a QR; the verifier decides offline."""
        request = make_request(aud=verifier, claims=wanted, name=verifier, now=self.now)
        challenge = encode_request(request)
        asked = parse_request(challenge, now=self.now)
        shown, used = wallet.answer(asked, allow_unsigned=True, iat=self.now)  # the holder accepts an unknown asker
        self.last = qr.encode(shown)
        kid = str(jws.parse(SdJwt.parse(used.sd_jwt).jwt).header["kid"])
        policy = Policy(required=request.paths, nonce=request.nonce, aud=verifier)
        return kid, self.decide(self.last, policy)

    def decide(
        self, text: str, policy: Policy, replay: ReplayCache | None = None
    ) -> dict[str, object] | list[str]:
        """What the verifier's screen shows: the disclosed claims, or every reason for a no."""
        try:
            accepted = verify(qr.decode(text), self.bundle, policy, now=self.now, replay=replay)
        except VerificationFailed as exc:
            return exc.codes
        return {k: v for k, v in accepted.claims.items() if k not in {"iss", "iat", "exp", "vct", "cnf", "status"}}


def run(
    serve: Annotated[
        bool, typer.Option("--serve", help="Run a city in a box instead: desk, web wallet and scanner on loopback.")
    ] = False,
    home: Annotated[Path, typer.Option("--home", help="With --serve: the city's home folder (new or empty).")] = Path(
        "citykey-demo-city"
    ),
    port: Annotated[int, typer.Option("--port", help="With --serve: the issuer's port (desk, web wallet).")] = 8080,
    scanner_port: Annotated[int, typer.Option("--scanner-port", help="With --serve: the scanner's port.")] = 8090,
) -> None:
    """Keys, issuance, two disclosures, revocation, rotation, and what the issuer stored (or, with --serve, a city)."""
    if serve:
        from citykey import city_in_a_box

        city_in_a_box.run(home, port, scanner_port)
        return
    with tempfile.TemporaryDirectory(prefix="citykey-demo-") as tmp:
        _story(Demo(Path(tmp)))


def _story(demo: Demo) -> None:
    say = demo.console
    say.rule("1. The city creates its keys")
    say.print(f"root (verifiers pin this): [bold]{demo.store.root_thumbprint}[/]")
    say.print(f"active signing key: {demo.store.active().kid}")

    say.rule("2. A clerk enrols Dolores; her wallet receives a batch of small credentials")
    dolores, _ = demo.enrol(DOLORES)
    say.print(f"issued {len(dolores.credentials)} credentials (residency passes and identity, two of each type), "
              "each with its own holder key and status index")
    demo.sync()
    say.print(f"verifiers sync the trust bundle: {len(demo.bundle.status_lists)} status list, "
              f"{len(demo.bundle.key_list.keys)} signing key")

    say.rule("3. The bus validator asks: resident, 65 or over?")
    _, shown = demo.scan(dolores, BUS, ["resident_of", "age_over_65"])
    demo.check(shown == {"resident_of": "Springfield", "age_over_65": True}, "the bus check")
    version = qr_version(demo.last)
    demo.check(version <= 18, "the bus QR size")
    say.print(f"her phone shows a QR code of version {version} ({len(demo.last)} characters); "
              f"[green]VALID[/] disclosed only: {shown}")

    say.rule("4. The library asks: name and postal code")
    _, shown = demo.scan(dolores, LIBRARY, ["given_name", "family_name", "address.postal_code"])
    demo.check(isinstance(shown, dict) and "birthdate" not in shown, "the library check")
    say.print(f"[green]VALID[/] disclosed only: {shown}")

    replayed = demo.decide(demo.last, Policy(nonce=secrets.token_urlsafe(12), aud=BUS))
    demo.check(replayed == ["nonce_mismatch", "aud_mismatch"], "a replayed presentation")
    say.print(f"the library's presentation replayed at the bus: [red]REJECTED[/] {replayed}")

    say.rule("5. A turnstile that shows no challenge (one-way mode)")
    cache = ReplayCache(demo.workdir / "turnstile-replay.db")
    turnstile = Policy(required=(("resident_of",),), aud=GATE, one_way=True, kb_max_age=ONE_WAY_KB_MAX_AGE)
    code = qr.encode(dolores.present([("resident_of",)], aud=GATE, iat=demo.now)[0])
    first, again = demo.decide(code, turnstile, cache), demo.decide(code, turnstile, cache)
    demo.check(isinstance(first, dict) and again == ["replayed"], "the one-way replay")
    say.print(f"first scan [green]VALID[/]; the same QR scanned again: [red]REJECTED[/] {again}")

    say.rule("6. Bruno loses his phone; his receipt revokes his batch")
    bruno, receipt = demo.enrol(BRUNO)
    revoked = revoke_with_receipt(receipt, keys=demo.signing_keys(), registry=demo.registry)
    demo.sync()
    _, result = demo.scan(bruno, BUS, ["resident_of"])
    demo.check(result == ["revoked"], "the revoked batch")
    say.print(f"{revoked} credentials revoked; a finder's presentation: [red]REJECTED[/] {result}")
    _, result = demo.scan(dolores, BUS, ["resident_of"])
    demo.check(isinstance(result, dict), "Dolores after Bruno's revocation")
    say.print("Dolores is unaffected: [green]VALID[/]")

    say.rule("7. The city rotates its signing key")
    old_kid = demo.store.active().kid
    demo.store.rotate(PASSPHRASE, now=demo.now, max_credential_lifetime=365 * 86_400)
    demo.sync()
    kid, result = demo.scan(dolores, BUS, ["age_over_65"])
    demo.check(kid == old_kid and isinstance(result, dict), "an old credential after rotation")
    say.print(f"Dolores's credential, signed by the old key {kid[:10]}…: [green]VALID[/]")
    carmen, _ = demo.enrol(Resident("Carmen", "Ejemplo", dt.date(1990, 1, 1), "Springfield"), count=2)
    kid, result = demo.scan(carmen, BUS, ["resident_of"])
    demo.check(kid == demo.store.active().kid != old_kid and isinstance(result, dict), "a new credential")
    say.print(f"a new resident's credential, signed by the new key {kid[:10]}…: [green]VALID[/]")

    say.rule("8. Everything the issuer stored")
    table = Table("file or table", "size / rows", "holds")
    for f in key_store_files(demo.store):
        table.add_row(f"keys/{f.name}", f"{f.size:,} B", f.holds)
    for f in database_files(demo.db_path):
        table.add_row(f.name, f"{f.size:,} B", f.holds)
    for t in database_tables(demo.engine):
        table.add_row(f"table {t.name}", f"{t.rows} rows", ", ".join(t.columns))
    say.print(table)
    demo.engine.dispose()
    names = [r.given_name.encode() for r in (DOLORES, BRUNO)] + [b"1957-04-02", b"Example Ave"]
    stored = [p for p in [*demo.store.directory.iterdir(), *demo.db_path.parent.glob("issuer.db*")] if p.is_file()]
    hits = sum(p.read_bytes().count(n) for p in stored for n in names)
    demo.check(hits == 0, "personal data found in the issuer's files")
    say.print(f"searched {len(stored)} files for the residents' names, birthdate and street: "
              f"[bold green]{hits}[/] found")
