"""QR codes a person can show: PNG and SVG files, inline SVG and terminal output (segno).

The one rendering policy for every party: the CLI's `--qr`/`--terminal`, the clerk
desk's pages and paper cards. Reading photos is the verifier's (`verifier.scan`).
Every symbol is a full QR code (never Micro QR) at error correction level M,
with the standard quiet zone of 4 modules. Level M restores up to ~15 % of
damaged codewords (a glare spot, a crease, a scratched screen protector) for
two or three versions more than level L (a residency pass: v18 instead of v16;
level Q would need v22). It is fixed, not boosted to a higher level that fits
the same version, so a text's version is predictable and matches the sizes
in docs/credential.md.

A `CK2:` (or older `CK1:`) text is Base45, whose alphabet is exactly QR's alphanumeric mode
(5.5 bits a character instead of 8); `qr_symbol` refuses such a text that
would need byte mode, because that means the text is not what `qr.encode`
makes and the symbol would be some versions larger than it should be.
"""

from __future__ import annotations

import io
import os
from typing import IO

import segno

from wallet_spec.errors import FormatError, TooLarge
from wallet_spec.qr import PREFIXES

ERROR_LEVEL = "M"
QUIET_ZONE = 4
"""Modules of light margin around the symbol, as ISO/IEC 18004 requires; scanners find the code by it."""

PNG_SCALE = 8
"""Pixels per module in a PNG.

Everyday presentations need QR versions 18 (residency pass) to 23 (identity,
renewal): 89 to 109 modules, 97 to 117 with the quiet zone, so at 8 px a module
the PNG is 776 to 936 px wide. That is just under a phone screen's width in
device pixels (1,080 to 1,290): a wallet shows it 1:1 or enlarged by a small
factor, with sharp module edges and no downsampling, and the code fills most
of the screen, which is what a scanner at arm's length needs. Printed at
300 dpi a module is 0.68 mm and the code 7 to 8 cm wide, well above what
handheld scanners resolve. A 640×480 webcam needs about 2 px a module
(tests/verifier/test_scan.py reads frames at 2 to 3 px): the code must then
span 195 to 235 px, about half the frame's height, i.e. a 6 cm code some
15 cm from a 60° webcam. That distance is set by the webcam's optics, not by
this scale; a smaller PNG would only make the phone enlarge it itself.
"""

SVG_SCALE = PNG_SCALE
"""SVG is resolution-independent; this only sets its default width and height (same as the PNG)."""

Destination = str | os.PathLike[str] | IO[bytes]


def _target(path: Destination) -> str | IO[bytes]:
    return os.fspath(path) if isinstance(path, os.PathLike) else path


def qr_symbol(text: str) -> segno.QRCode:
    """The QR code for `text`: level M, never Micro QR; a `CK2:` or `CK1:` text must use alphanumeric mode."""
    try:
        symbol = segno.make(text, error=ERROR_LEVEL, micro=False, boost_error=False)
    except segno.DataOverflowError:
        raise TooLarge(f"{len(text)} characters do not fit in any QR code at level {ERROR_LEVEL}") from None
    if text.startswith(PREFIXES) and symbol.mode != "alphanumeric":
        raise FormatError(
            f"a {text[:4]} text must encode in QR alphanumeric mode, but needs {symbol.mode} mode: "
            "it holds characters outside Base45"
        )
    return symbol


def version(text: str) -> int:
    """The QR version (1–40) `text` needs: its size is 17 + 4 × version modules a side."""
    v = qr_symbol(text).version
    assert isinstance(v, int)
    return v


def write_png(text: str, path: Destination, *, scale: int = PNG_SCALE) -> None:
    """Write `text` as a black-on-white PNG, `scale` pixels a module, with a 4-module quiet zone."""
    if scale < 1:
        raise ValueError("scale must be a positive number of pixels per module")
    qr_symbol(text).save(_target(path), kind="png", scale=scale, border=QUIET_ZONE, dark="black", light="white")


def write_svg(text: str, path: Destination, *, scale: int = SVG_SCALE) -> None:
    """Write `text` as an SVG (one path, black on an opaque white background) with a 4-module quiet zone."""
    qr_symbol(text).save(
        _target(path), kind="svg", scale=scale, border=QUIET_ZONE, dark="black", light="white",
        title="citykey presentation",
    )


def png_bytes(text: str, *, scale: int = PNG_SCALE) -> bytes:
    """The PNG `write_png` writes, in memory (for an HTTP response or a test)."""
    out = io.BytesIO()
    write_png(text, out, scale=scale)
    return out.getvalue()


def terminal(text: str) -> str:
    """`text` as lines of half-block characters (two modules a character row), for a terminal.

    Dark modules are spaces and light ones blocks, so the code reads correctly
    in the usual light-on-dark terminal; the quiet zone is 4 modules. A v22 code
    is 113 columns wide: the terminal must be at least that wide.
    """
    out = io.StringIO()
    qr_symbol(text).terminal(out=out, compact=True, border=QUIET_ZONE)
    return out.getvalue()


def svg_element(text: str, *, title: str, css_class: str = "qr") -> str:
    """`text` as an inline `<svg>` element for an HTML page (segno escapes the title).

    It has a viewBox and no size, so the page's CSS sizes it (large on a screen, a fixed
    width on paper); no XML declaration, the SVG namespace, one path of dark modules.
    """
    out = io.BytesIO()
    qr_symbol(text).save(
        out, kind="svg", border=QUIET_ZONE, dark="black", light="white", xmldecl=False, svgns=True,
        title=title, svgclass=css_class, lineclass=None, omitsize=True,
    )
    return out.getvalue().decode("utf-8")


__all__ = [
    "ERROR_LEVEL",
    "PNG_SCALE",
    "QUIET_ZONE",
    "SVG_SCALE",
    "Destination",
    "png_bytes",
    "qr_symbol",
    "svg_element",
    "terminal",
    "version",
    "write_png",
    "write_svg",
]
