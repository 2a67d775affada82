"""Read the QR text out of a photo: a librarian's webcam frame, a validator's camera, a picture of paper.

The verifier owns decoding (zxing-cpp on Pillow); rendering is `citykey_io.qrimage`.
`read_qr` returns the text exactly as scanned; `wallet_spec.qr.decode` turns it
into a presentation. Everything about the image is untrusted, so:

* the pixel count in the header is checked before any pixel is decoded (a
  20000×20000 PNG can be a hundred bytes and would need 400 MB as grayscale),
  and Pillow's own decompression-bomb guard is mapped to the same error;
* only raster formats a camera or a wallet produces are opened (PNG, JPEG,
  WebP, GIF, BMP, PPM/PGM); never EPS (Pillow would run Ghostscript) or the
  long tail of legacy parsers;
* every failure is a `wallet_spec.errors` error (`FormatError`, `TooLarge`),
  never a traceback.

A photo holding several QR codes (a poster with a web link next to the pass)
yields the one whose text starts with `CK2:` (or the older `CK1:`); two citykey codes are refused,
since nothing says which the resident meant to show.
"""

from __future__ import annotations

import io
import os
import struct

import zxingcpp
from PIL import Image, ImageFilter

from wallet_spec.errors import FormatError, TooLarge
from wallet_spec.qr import PREFIXES

DEFAULT_MAX_PIXELS = 25_000_000
"""A 24-megapixel photo (6000×4000) passes; 12 MP phone photos and 4K webcam frames are far below.

Decoding holds the RGB image (3 bytes a pixel) and its grayscale copy, so the
limit caps memory at ~100 MB per scan. Pass `max_pixels` to accept more.
"""

SECOND_PASS_MAX_PIXELS = 2_100_000
"""Frames up to 1920×1080 that hold no citykey code get a second, enlarged and sharpened pass.

Webcams and validators send frames this small, with 2–3 px a module and soft
optics; a larger photo has pixels to spare, and enlarging it would cost 4× its memory.
"""

FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "PPM")
"""Image formats `read_qr` opens; anything else is a FormatError before its parser runs."""

ImageSource = bytes | bytearray | memoryview | str | os.PathLike[str]


def _open(source: ImageSource) -> Image.Image:
    fp = io.BytesIO(bytes(source)) if isinstance(source, bytes | bytearray | memoryview) else source
    try:
        return Image.open(fp, formats=FORMATS)
    except Image.DecompressionBombError:
        raise TooLarge("the image has more pixels than an image decoder may allocate") from None
    except FileNotFoundError:
        raise FormatError("the image file does not exist") from None
    except (OSError, ValueError, SyntaxError, EOFError, struct.error):
        raise FormatError(f"not a readable image (accepted: {', '.join(FORMATS)})") from None


def _grayscale(image: Image.Image) -> Image.Image:
    """8-bit luminance; transparent pixels count as white paper, as a wallet app would show them."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba)
    return image.convert("L")


def _decode(gray: Image.Image) -> list[str]:
    found = zxingcpp.read_barcodes(
        gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode), try_rotate=True, try_downscale=True,
        text_mode=zxingcpp.TextMode.Plain,
    )
    return list(dict.fromkeys(code.text for code in found if code.valid))  # unique, in reading order


def _enlarged_and_sharpened(gray: Image.Image) -> Image.Image:
    """Twice the size (bicubic) with an unsharp mask: what lets a soft webcam frame decode.

    zxing samples one pixel per module centre; at 2–3 px a module, a blur of
    about 1 px leaves too little contrast at those pixels. Interpolating first
    and sharpening restores it: at 2.5 px a module, a Gaussian blur of σ 1.0 to
    1.2 px decodes this way and not without (tests/verifier/test_scan.py).
    """
    big = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.BICUBIC)
    return big.filter(ImageFilter.UnsharpMask(radius=4, percent=200, threshold=0))


def read_qr(source: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> str:
    """The text of the one QR code in an image (encoded bytes, or a file path).

    Raises TooLarge when the image has more than `max_pixels` pixels (checked
    from the header, before decoding), and FormatError when the file is not a
    readable image, holds no QR code, or holds more than one candidate.
    """
    image = _open(source)
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise TooLarge(f"the image has {width}×{height} pixels, more than the {max_pixels:,} accepted")
        if width < 21 or height < 21:
            raise FormatError("no QR code found in the image (it is smaller than the smallest QR code)")
        try:
            gray = _grayscale(image)
        except Image.DecompressionBombError:
            raise TooLarge("the image has more pixels than an image decoder may allocate") from None
        except (OSError, ValueError, SyntaxError, EOFError, struct.error):
            raise FormatError("the image file is damaged or truncated") from None
    texts = _decode(gray)
    if not any(t.startswith(PREFIXES) for t in texts) and width * height <= SECOND_PASS_MAX_PIXELS:
        texts = list(dict.fromkeys([*texts, *_decode(_enlarged_and_sharpened(gray))]))
    ours = [t for t in texts if t.startswith(PREFIXES)]
    if len(ours) == 1:
        return ours[0]
    if len(ours) > 1:
        raise FormatError(f"the image shows {len(ours)} citykey QR codes; show one at a time")
    if len(texts) == 1:
        return texts[0]  # maybe a plain compact SD-JWT, which qr.decode accepts; it judges
    if texts:
        raise FormatError(f"the image shows {len(texts)} QR codes and none is a citykey code")
    raise FormatError("no QR code found in the image")
