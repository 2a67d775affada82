"""`citykey issuer …`: run the city's issuing service and see what it stores."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from cli.output import print_json, reported
from issuer.app import create_app
from issuer.inventory import database_files, database_tables, key_store_files
from issuer.settings import IssuerSettings
from issuer.state import IssuerState

app = typer.Typer(help="The city's issuer service: serve it, list what it stores.", no_args_is_help=True)


def settings() -> IssuerSettings:
    try:
        return IssuerSettings()  # type: ignore[call-arg]  # read from CITYKEY_* variables
    except ValidationError as exc:
        missing = ", ".join("CITYKEY_" + str(e["loc"][0]).upper() for e in exc.errors())
        typer.echo(f"error: usage: set {missing} (see docs/operations.md)", err=True)
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
) -> None:
    """Serve the issuer (configured by CITYKEY_* variables: data dir, database URL, key passphrase)."""
    configured = settings()  # fail early, with a usage message, when the configuration is incomplete
    with reported():
        application = create_app(configured)
    # The app object, not an import string: uvicorn would put the working directory on sys.path,
    # where a key store folder named `keys` could shadow the `keys` package.
    uvicorn.run(application, host=host, port=port, log_level="info")


@app.command()
def inventory(json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Everything the issuer stores, read from disk and database: for a city's lawyers."""
    with reported():
        state = IssuerState.open(settings())
    files = key_store_files(state.store)
    tables = database_tables(state.engine)
    db_files = (
        database_files(Path(state.engine.url.database or ""))
        if state.engine.dialect.name == "sqlite"
        else []
    )
    state.engine.dispose()
    if json_output:
        result: dict[str, Any] = {
            "key_store": [vars_of(f) for f in files],
            "database_files": [vars_of(f) for f in db_files],
            "tables": [{"name": t.name, "columns": list(t.columns), "rows": t.rows} for t in tables],
        }
        print_json(result)
        return
    table = Table("stored", "size / rows", "holds", title="what the issuer stores (docs/privacy.md)")
    for f in files:
        table.add_row(f"keys/{f.name}", f"{f.size:,} B", f.holds)
    for f in db_files:
        table.add_row(f.name, f"{f.size:,} B", f.holds)
    for t in tables:
        table.add_row(f"table {t.name}", f"{t.rows} rows", ", ".join(t.columns))
    Console().print(table)


def vars_of(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__slots__}
