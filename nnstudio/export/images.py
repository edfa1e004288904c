"""Reading picture files for ``nnstudio predict`` and the Draw page, without a window system.

Pillow decodes them: PNG (every colour type and bit depth, interlaced or not), JPEG,
PGM/PPM/PBM (binary and text), BMP, GIF, TIFF and WebP; other formats Pillow knows (some
run outside programs, such as EPS) are refused. The size in the file's header is checked
against :data:`~nnstudio.limits.MAX_PICTURE_PIXELS` and the memory limit *before* any pixel
is decoded, so a small file that claims a huge picture (a "decompression bomb") is refused
at once with its size and the limit. A picture larger than needed is reduced by a whole
factor (a box average, done by Pillow in C) while it is read, so the array handed back
stays small whatever the picture's size; the framing that follows (dark ink on light paper
or the reverse) is unchanged.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np

from nnstudio.fileio import regular_file
from nnstudio.limits import (
    MAX_PICTURE_FILE_BYTES,
    MAX_PICTURE_PIXELS,
    TooBigError,
    check_size,
)

__all__ = ["FORMATS", "ImageFileError", "read_picture"]

#: Pillow's names of the formats read; anything else is refused.
FORMATS = ("PNG", "JPEG", "PPM", "BMP", "GIF", "TIFF", "WEBP")
#: The longest side of the array :func:`read_picture` returns is at most twice this.
DEFAULT_MAX_SIDE = 512
#: EXIF orientation -> the transposition that shows the picture upright
_ORIENTATION = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
                6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}
_ALPHA_MODES = {"LA", "La", "PA", "RGBA", "RGBa"}


class ImageFileError(ValueError):
    """A file that is not a picture this reader can decode; the message says why."""


def _refuse_oversized(w: int, h: int, bands: int) -> None:
    """Refuse a ``w`` x ``h`` picture before decoding it: too many pixels or too much memory."""
    if w < 1 or h < 1:
        raise ImageFileError(f"the picture has no pixels (size {w}×{h})")
    if w * h > MAX_PICTURE_PIXELS:
        raise ImageFileError(
            f"the picture is {w:,}×{h:,} pixels ({w * h / 1e6:,.0f} megapixels), limit "
            f"{MAX_PICTURE_PIXELS / 1e6:,.0f} megapixels: use a smaller picture (a digit "
            "needs a few hundred pixels a side)")
    try:  # the decoded picture, its grey/RGBA conversion and the reduced copy
        check_size(w * h * (bands + 4) + (w * h) // 2, f"a {w:,}×{h:,} picture",
                   "use a smaller picture")
    except TooBigError as err:
        raise ImageFileError(str(err)) from None


def _as_standard_mode(im):
    """``im`` in mode L, RGB or RGBA (16-bit and float grey scaled to 0..255)."""
    from PIL import Image

    mode = im.mode
    if mode in ("L", "RGB", "RGBA"):
        return im
    if mode in _ALPHA_MODES or "transparency" in im.info:
        return im.convert("RGBA")
    if mode.startswith("I") or mode == "F":
        a = np.asarray(im, dtype=np.float64)
        if mode != "F" or a.max(initial=0.0) > 255.0:
            a = a / 257.0                                   # 16 bits -> 8 bits
        grey = np.clip(np.nan_to_num(a) + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L")
    if mode in ("1", "L;16", "P") and "transparency" not in im.info:
        return im.convert("L" if mode == "1" else "RGB")
    return im.convert("RGB")                                # CMYK, YCbCr, LAB, HSV ...


def _decode(path: Path, max_side: int) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(path, formats=FORMATS)
        except UnidentifiedImageError:
            raise ImageFileError("not a picture that can be read; use a PNG, JPEG or PGM "
                                 "file") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageFileError(
                f"the picture claims more than {Image.MAX_IMAGE_PIXELS / 1e6:,.0f} megapixels "
                f"(limit {MAX_PICTURE_PIXELS / 1e6:,.0f} megapixels), far more than a digit "
                "needs: use a smaller picture") from None
        with im:
            if im.format == "JPEG":                         # decode at 1/2, 1/4, 1/8 scale
                im.draft(im.mode, (max_side, max_side))
            w, h = im.size
            _refuse_oversized(w, h, len(im.getbands()))
            orientation = im.getexif().get(0x0112, 1) if im.format in ("JPEG", "TIFF",
                                                                        "WEBP", "PNG") else 1
            im.load()
            out = _as_standard_mode(im)
            factor = max(out.size) // max_side
            if factor >= 2:
                out = out.reduce(factor)                    # box average, whole factor
            if orientation in _ORIENTATION:
                out = out.transpose(getattr(Image.Transpose, _ORIENTATION[orientation]))
            return np.array(out, dtype=np.uint8)


def read_picture(path: str | Path, max_side: int = DEFAULT_MAX_SIDE) -> np.ndarray:
    """A picture file as a uint8 array (H, W), (H, W, 3) or (H, W, 4).

    Parameters
    ----------
    path : path-like
        The picture file.
    max_side : int
        A picture whose longer side is at least twice this is reduced by a whole factor
        (box average) so that its longer side is below ``2 * max_side``.

    Returns
    -------
    np.ndarray
        uint8 (H, W) for grey, (H, W, 3) for colour, (H, W, 4) when the picture has
        transparency (grey + alpha and palette transparency included), upright (EXIF
        orientation applied).

    Raises
    ------
    ImageFileError
        Missing file, a folder or pipe, a file or picture over the limits, or content that
        is not a picture of a format read here; the message names the file.
    """
    path = Path(path)
    try:
        st = regular_file(path, MAX_PICTURE_FILE_BYTES, "Picture")
    except FileNotFoundError:
        raise ImageFileError(f"'{path}' does not exist") from None
    except IsADirectoryError:
        raise ImageFileError(f"'{path}' is a folder, not a picture") from None
    except (ValueError, OSError) as err:
        raise ImageFileError(getattr(err, "strerror", None) or str(err)) from None
    if st.st_size == 0:
        raise ImageFileError(f"'{path}' is empty")
    try:
        return _decode(path, max(1, int(max_side)))
    except ImageFileError as err:
        raise ImageFileError(f"'{path}': {err}") from None
    except MemoryError:
        raise ImageFileError(f"'{path}': there is not enough memory to decode this picture; "
                             "use a smaller one") from None
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError,
            struct.error, ZeroDivisionError, OverflowError, _bomb_error()) as err:
        text = getattr(err, "strerror", None) or str(err)
        raise ImageFileError(f"'{path}' is damaged or not a picture this reader knows "
                             f"({type(err).__name__}: {str(text)[:120]}); use a PNG, JPEG "
                             "or PGM file") from None


def _bomb_error() -> type[Exception]:
    """Pillow's own refusal of a picture over its pixel limit (raised while loading)."""
    from PIL import Image

    return Image.DecompressionBombError
