"""An atheris (libFuzzer) harness for one target of fuzz/targets.py.

    .venv/bin/python -m fuzz.harness TARGET [libFuzzer options] [CORPUS_DIR ...]

e.g. `.venv/bin/python -m fuzz.harness qr -max_total_time=1800 fuzz/corpus/qr`. The project's modules
are instrumented for coverage; each input must end in a result or a typed `CitykeyError` (fuzz.targets.run),
anything else is reported by libFuzzer as a crash with the input saved as `crash-…`. `make fuzz` runs
every target this way (FUZZ_SECONDS each). The seeds of fuzz.targets.seeds are written into the first
corpus directory when it is empty.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris  # type: ignore[import-untyped]  # no stubs published

with atheris.instrument_imports(include=["wallet_spec", "verifier", "wallet", "fuzz"]):
    from fuzz.targets import TARGETS, run, seeds


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: python -m fuzz.harness {{{','.join(TARGETS)}}} [libFuzzer options] [corpus dirs]")
    name = argv[1]
    dirs = [Path(a) for a in argv[2:] if not a.startswith("-")]
    if dirs:
        dirs[0].mkdir(parents=True, exist_ok=True)
        if not any(dirs[0].iterdir()):
            for i, seed in enumerate(seeds(name)):
                (dirs[0] / f"seed-{i}").write_bytes(seed)

    def one_input(data: bytes) -> None:
        run(name, data)

    atheris.Setup([argv[0], *argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
