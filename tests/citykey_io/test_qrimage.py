"""Rendering a presentation's QR code: PNG and SVG files and terminal output that scan back to the exact text."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
import segno
from PIL import Image

from citykey_io.qrimage import PNG_SCALE, QUIET_ZONE, png_bytes, qr_symbol, terminal, version, write_png, write_svg
from verifier.scan import read_qr
from wallet_spec import qr
from wallet_spec.errors import FormatError, TooLarge
from wallet_spec.jwk import generate_private_key
from wallet_spec.keylist import signing_kid
from wallet_spec.present import present
from wallet_spec.profile import RESIDENCY, Resident, issue_credential

ISSUER = "https://id.springfield.example"
NOW = 1_767_225_600 + 37_000


@pytest.fixture(scope="module")
def text() -> str:
    """The QR text of a real key-bound presentation: "resident, 65+" for a bus validator."""
    city, holder = generate_private_key(), generate_private_key()
    credential = issue_credential(
        Resident("Erika", "Mustermann", dt.date(1958, 3, 15), "Springfield"),
        issuer=ISSUER, signing_key=city, kid=signing_kid(city), holder_key=holder.public_key(),
        status_idx=4_711, status_uri=f"{ISSUER}/statuslists/3", now=NOW, credential_type=RESIDENCY,
    )
    presentation = present(
        credential, [("age_over_65",)], holder_key=holder, nonce="n-0451", aud="https://bus.springfield.example",
        iat=NOW,
    )
    return qr.encode(presentation)


def side(text: str) -> int:
    """Modules a side, quiet zone included."""
    return 17 + 4 * version(text) + 2 * QUIET_ZONE


def modules_to_image(rows: list[list[bool]]) -> Image.Image:
    """Dark modules (True) black, 4 px a module: how a screen or paper shows a module grid."""
    image = Image.new("L", (len(rows[0]), len(rows)), 255)
    image.putdata([0 if dark else 255 for row in rows for dark in row])
    return image.resize((image.width * 4, image.height * 4), Image.Resampling.NEAREST)


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_ck1_text_is_a_full_qr_code_at_level_m_in_alphanumeric_mode(text: str) -> None:
    symbol = qr_symbol(text)
    assert symbol.mode == "alphanumeric"
    assert symbol.error == "M"
    assert not symbol.is_micro
    assert symbol.designator == f"{symbol.version}-M"


def test_version_is_segnos_own(text: str) -> None:
    assert version(text) == segno.make(text, error="m", micro=False, boost_error=False).version
    assert 1 <= version(text) <= 40


def test_the_png_has_the_chosen_scale_a_white_quiet_zone_and_scans_back(text: str, tmp_path: Path) -> None:
    path = tmp_path / "pass.png"
    write_png(text, path)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (side(text) * PNG_SCALE,) * 2
        gray = image.convert("L")
    margin = QUIET_ZONE * PNG_SCALE
    for box in [(0, 0, gray.width, margin), (0, gray.height - margin, gray.width, gray.height),
                (0, 0, margin, gray.height), (gray.width - margin, 0, gray.width, gray.height)]:
        assert gray.crop(box).getextrema() == (255, 255)
    assert read_qr(path) == text
    assert path.read_bytes() == png_bytes(text)


def test_a_smaller_png_scale_is_honoured(text: str, tmp_path: Path) -> None:
    write_png(text, tmp_path / "small.png", scale=3)
    with Image.open(tmp_path / "small.png") as image:
        assert image.size == (side(text) * 3,) * 2
    assert read_qr(tmp_path / "small.png") == text


def _svg_modules(svg: str) -> list[list[bool]]:
    """Rasterize segno's dark-module path (horizontal runs: `M x y`, `m dx dy`, `h n`) into a module grid."""
    size = re.search(r'<svg[^>]* width="(\d+)" height="(\d+)"', svg)
    scale = re.search(r'transform="scale\((\d+)\)"', svg)
    path = re.search(r'<path[^>]* class="qrline"[^>]* d="([^"]+)"', svg)
    assert size is not None
    assert scale is not None
    assert path is not None
    n = int(size.group(1)) // int(scale.group(1))
    grid = [[False] * n for _ in range(n)]
    x = y = 0.0
    for op, args in re.findall(r"([MmHhVv])([^MmHhVv]*)", path.group(1)):
        values = [float(v) for v in args.replace(",", " ").split()]
        if op in "Mm":
            x, y = (values[0], values[1]) if op == "M" else (x + values[0], y + values[1])
        elif op in "Hh":
            end = values[0] if op == "H" else x + values[0]
            for column in range(round(min(x, end)), round(max(x, end))):
                grid[int(y)][column] = True
            x = end
        else:
            pytest.fail(f"unexpected vertical run in segno's SVG: {op}{args}")
    return grid


def test_the_svg_draws_exactly_the_symbols_modules_and_scans_back(text: str, tmp_path: Path) -> None:
    path = tmp_path / "pass.svg"
    write_svg(text, path)
    svg = path.read_text(encoding="utf-8")
    assert svg.startswith("<?xml")
    assert 'fill="#fff"' in svg, "an opaque white background, quiet zone included"
    expected = [[bool(m) for m in row] for row in qr_symbol(text).matrix_iter(border=QUIET_ZONE)]
    drawn = _svg_modules(svg)
    assert drawn == expected
    assert read_qr(png(modules_to_image(drawn))) == text


def _terminal_modules(rendered: str) -> list[list[bool]]:
    """What a light-on-dark terminal shows: a block's lit half is a light module, an unlit half a dark one."""
    halves = {" ": (True, True), "▀": (False, True), "▄": (True, False), "█": (False, False)}
    rows: list[list[bool]] = []
    for line in rendered.splitlines():
        pairs = [halves[c] for c in line]
        rows += [[top for top, _ in pairs], [bottom for _, bottom in pairs]]
    return rows


def test_terminal_output_is_half_blocks_and_spaces_and_scans_back(text: str) -> None:
    rendered = terminal(text)
    assert rendered.strip()
    assert set(rendered) <= {" ", "▀", "▄", "█", "\n"}
    lines = rendered.splitlines()
    assert {len(line) for line in lines} == {side(text)}
    assert len(lines) == (side(text) + 1) // 2
    assert read_qr(png(modules_to_image(_terminal_modules(rendered)))) == text


def test_a_ck1_text_outside_base45_is_refused_rather_than_drawn_in_byte_mode() -> None:
    with pytest.raises(FormatError, match="alphanumeric"):
        qr_symbol(qr.PREFIX + "lower case is not base45")


def test_a_text_too_long_for_any_qr_code_is_too_large() -> None:
    with pytest.raises(TooLarge):
        version(qr.PREFIX + "A" * 5_000)


def test_other_texts_render_in_whatever_mode_they_need(tmp_path: Path) -> None:
    link = "https://id.springfield.example/help"
    assert qr_symbol(link).mode == "byte"
    write_png(link, tmp_path / "link.png")
    assert read_qr(tmp_path / "link.png") == link
