"""Reading picture files for ``nnstudio predict`` without a window system.

PNG (every colour type and bit depth, not interlaced) and the Netpbm formats PGM/PPM/PBM
(binary and text) are decoded here with NumPy and zlib, so predicting from them needs no Qt
and no imaging package. JPEG and other formats go to Pillow when it is installed, else to
Qt's image reader (PySide6 comes with nnstudio; a QImage needs no window or display); when
neither can read the file, the error says what to do.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from nnstudio.limits import TooBigError, check_size

__all__ = ["ImageFileError", "decode_png", "decode_pnm", "read_picture"]

_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


class ImageFileError(ValueError):
    """A file that is not a picture this reader can decode; the message says why."""


def _unfilter(data: bytes, h: int, stride: int, bpp: int) -> np.ndarray:
    """Undo PNG's per-row filters: ``data`` (h * (1 + stride) bytes) -> uint8 (h, stride)."""
    raw = np.frombuffer(data, np.uint8)
    if raw.size < h * (stride + 1):
        raise ImageFileError("the PNG image data is incomplete")
    raw = raw[:h * (stride + 1)].reshape(h, stride + 1)
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for r in range(h):
        kind, line = raw[r, 0], raw[r, 1:]
        if kind == 0:
            cur = line.copy()
        elif kind == 1:                                   # Sub: running sum per channel
            pad = np.zeros(-stride % bpp, np.uint8)
            cur = (np.concatenate([line, pad]).reshape(-1, bpp).astype(np.uint32)
                   .cumsum(axis=0) % 256).astype(np.uint8).reshape(-1)[:stride]
        elif kind == 2:                                   # Up
            cur = line + prev
        elif kind in (3, 4):                              # Average, Paeth: left to right
            cur = bytearray(line.tobytes())
            up = prev.tobytes()
            for i in range(stride):
                a = cur[i - bpp] if i >= bpp else 0
                b = up[i]
                if kind == 3:
                    cur[i] = (cur[i] + ((a + b) >> 1)) & 255
                else:
                    c = up[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                    cur[i] = (cur[i] + pred) & 255
            cur = np.frombuffer(bytes(cur), np.uint8)
        else:
            raise ImageFileError(f"row {r + 1} of the PNG uses an unknown filter ({kind})")
        out[r] = cur
        prev = out[r]
    return out


def decode_png(data: bytes) -> np.ndarray:
    """A PNG file's bytes -> uint8 (H, W), (H, W, 3) or (H, W, 4) (palette and transparency
    resolved, 16-bit reduced to 8, 1/2/4-bit grey scaled to 0..255)."""
    if not data.startswith(_PNG_SIG):
        raise ImageFileError("not a PNG file")
    pos, idat, palette, trns, header = 8, [], None, None, None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body[:13])
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            trns = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None or not idat:
        raise ImageFileError("the PNG file is incomplete (no header or no image data)")
    w, h, depth, color, _, _, interlace = header
    if color not in _CHANNELS or depth not in (1, 2, 4, 8, 16) or w < 1 or h < 1:
        raise ImageFileError(f"unsupported PNG (colour type {color}, bit depth {depth})")
    if interlace:
        raise ImageFileError("interlaced PNG")
    channels = _CHANNELS[color]
    bits = channels * depth
    stride = (w * bits + 7) // 8
    expected = h * (stride + 1)
    try:  # the image and the unpacked rows, before unpacking anything (a zlib 'bomb')
        check_size(2 * expected + h * w * 4, f"a {w:,}×{h:,} picture",
                   "use a smaller picture")
    except TooBigError as err:
        raise ImageFileError(str(err)) from None
    try:
        raw = zlib.decompressobj().decompress(b"".join(idat), expected + 1)
    except zlib.error as err:
        raise ImageFileError(f"the PNG image data is damaged ({err})") from None
    rows = _unfilter(raw, h, stride, max(1, bits // 8))
    if depth == 16:
        img = rows.reshape(h, w * channels, 2)[..., 0]      # the high byte
    elif depth == 8:
        img = rows
    else:
        bitsarr = np.unpackbits(rows, axis=1)[:, :w * depth].reshape(h, w, depth)
        img = (bitsarr * (1 << np.arange(depth - 1, -1, -1))).sum(axis=2).astype(np.uint8)
        if color == 0:
            img = (img.astype(np.uint16) * 255 // ((1 << depth) - 1)).astype(np.uint8)
    img = img.reshape(h, w, channels)
    if color == 3:
        if palette is None:
            raise ImageFileError("the palette PNG has no palette")
        idx = img[..., 0]
        rgb = palette[np.minimum(idx, len(palette) - 1)]
        if trns is not None:
            alpha = np.full(256, 255, np.uint8)
            alpha[:len(trns)] = np.frombuffer(trns, np.uint8)
            return np.dstack([rgb, alpha[idx]])
        return rgb
    return img[..., 0] if channels == 1 else img


def decode_pnm(data: bytes) -> np.ndarray:
    """A PBM/PGM/PPM file's bytes (P1-P6) -> uint8 (H, W) or (H, W, 3)."""
    if len(data) < 3 or data[:1] != b"P" or data[1:2] not in b"123456":
        raise ImageFileError("not a PGM/PPM/PBM file")
    kind = int(data[1:2])
    fields, pos = [], 2
    need = 2 if kind in (1, 4) else 3
    while len(fields) < need:
        while pos < len(data) and data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            while pos < len(data) and data[pos:pos + 1] not in b"\r\n":
                pos += 1
            continue
        start = pos
        while pos < len(data) and not data[pos:pos + 1].isspace():
            pos += 1
        if start == pos:
            raise ImageFileError("the PGM/PPM header is incomplete")
        try:
            fields.append(int(data[start:pos]))
        except ValueError:
            raise ImageFileError("the PGM/PPM header is not valid (a size is not a whole "
                                 "number)") from None
    w, h = fields[0], fields[1]
    maxval = fields[2] if need == 3 else 1
    channels = 3 if kind in (3, 6) else 1
    if w < 1 or h < 1 or not 1 <= maxval <= 65535:
        raise ImageFileError(f"the PGM/PPM header is not valid (size {w}×{h}, maxval {maxval})")
    try:
        check_size(w * h * channels * 16, f"a {w:,}×{h:,} picture", "use a smaller picture")
    except TooBigError as err:
        raise ImageFileError(str(err)) from None
    if kind == 1:
        values = np.array([c - 48 for c in data[pos:] if c in (48, 49)][:w * h], np.int64)
    elif kind in (2, 3):
        values = np.array([int(t) for t in data[pos:].split()[:w * h * channels]], np.int64)
    elif kind == 4:
        rows = np.frombuffer(data[pos + 1:pos + 1 + h * ((w + 7) // 8)], np.uint8)
        values = np.unpackbits(rows.reshape(h, -1), axis=1)[:, :w].reshape(-1).astype(np.int64)
    else:
        dtype = ">u2" if maxval > 255 else np.uint8
        size = np.dtype(dtype).itemsize
        values = np.frombuffer(data[pos + 1:pos + 1 + w * h * channels * size],
                               dtype).astype(np.int64)
    if values.size != w * h * channels:
        raise ImageFileError("the PGM/PPM image data is incomplete")
    if kind in (1, 4):
        img = (1 - values) * 255                            # PBM: 1 is black
    else:
        img = values * 255 // max(maxval, 1)
    img = img.astype(np.uint8).reshape(h, w, channels)
    return img[..., 0] if channels == 1 else img


def _with_pillow(path: Path) -> np.ndarray | None:
    try:
        from PIL import Image, ImageOps
    except ImportError:
        return None
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            return np.asarray(im.convert("RGBA"))
    except (OSError, ValueError) as err:
        raise ImageFileError(f"not a picture that can be read ({err}); use a PNG, JPEG or "
                             "PGM file") from None


def _with_qt(path: Path) -> np.ndarray | None:
    try:
        from PySide6.QtGui import QImage, QImageReader
    except ImportError:
        return None
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    image = reader.read()
    if image.isNull():
        raise ImageFileError(f"not a picture that can be read ({reader.errorString()}); "
                             "use a PNG, JPEG or PGM file")
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    h, w, stride = rgba.height(), rgba.width(), rgba.bytesPerLine()
    buf = np.frombuffer(rgba.constBits(), dtype=np.uint8, count=h * stride)
    return buf.reshape(h, stride)[:, :w * 4].reshape(h, w, 4).copy()


def read_picture(path: str | Path) -> np.ndarray:
    """A picture file as a uint8 array (H, W), (H, W, 3) or (H, W, 4).

    Raises
    ------
    ImageFileError
        Missing file, a folder, or content no available decoder can read.
    """
    path = Path(path)
    if not path.exists():
        raise ImageFileError(f"'{path}' does not exist")
    if path.is_dir():
        raise ImageFileError(f"'{path}' is a folder, not a picture")
    if not path.is_file():
        raise ImageFileError(f"'{path}' is not a regular file (a pipe or a device?)")
    data = path.read_bytes()
    if not data:
        raise ImageFileError(f"'{path}' is empty")
    try:
        if data.startswith(_PNG_SIG):
            try:
                return decode_png(data)
            except ImageFileError as err:
                if "interlaced" not in str(err):
                    raise
        elif data[:1] == b"P" and data[1:2] in b"123456" and data[2:3].isspace():
            return decode_pnm(data)
        for reader in (_with_pillow, _with_qt):
            image = reader(path)
            if image is not None:
                return image
    except ImageFileError as err:
        raise ImageFileError(f"'{path}': {err}") from None
    except (struct.error, ValueError, IndexError, zlib.error) as err:
        raise ImageFileError(f"'{path}' is damaged or not a picture this reader knows "
                             f"({type(err).__name__}: {str(err)[:100]})") from None
    raise ImageFileError(f"'{path}' cannot be read here: PNG and PGM/PPM are always readable; "
                         "for JPEG and other formats install Pillow (pip install pillow)")
