"""QR codes as inline SVG for the desk's pages, rendered with segno.

The same choices as `citykey.qrimage` (which the issuer may not import: the CLI
sits above it): level M, never Micro QR, no error-level boost, a 4-module
quiet zone, black on white. The SVG has a viewBox and no size, so the page's
CSS sizes it (large on the desk screen, a fixed width on paper).
"""

from __future__ import annotations

import io

import segno
from markupsafe import Markup

ERROR_LEVEL = "M"
QUIET_ZONE = 4


def svg(text: str, *, title: str, css_class: str = "qr") -> Markup:
    """`text` as an `<svg>` element to put in a page as it is (segno escapes the title)."""
    symbol = segno.make(text, error=ERROR_LEVEL, micro=False, boost_error=False)
    out = io.BytesIO()
    symbol.save(
        out,
        kind="svg",
        border=QUIET_ZONE,
        dark="black",
        light="white",
        xmldecl=False,
        svgns=True,
        title=title,
        svgclass=css_class,
        lineclass=None,
        omitsize=True,
    )
    return Markup(out.getvalue().decode("utf-8"))  # noqa: S704  # segno's own markup, title escaped by it
