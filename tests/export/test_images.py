"""Picture files decoded without Qt: PNG (every filter, colour type, bit depth) and Netpbm."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from nnstudio.export.images import ImageFileError, decode_png, decode_pnm, read_picture


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def encode_png(rows: np.ndarray, color: int, depth: int, filters: list[int],
               extra: bytes = b"", width: int | None = None) -> bytes:
    """A PNG of raw scanlines ``rows`` (h, stride) uint8, each row filtered by the filter
    type ``filters[r % len(filters)]``, as an encoder would."""
    h, stride = rows.shape
    bpp = max(1, {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color] * depth // 8)
    out = bytearray()
    prev = np.zeros(stride, np.int64)
    for r in range(h):
        kind = filters[r % len(filters)]
        cur = rows[r].astype(np.int64)
        left = np.concatenate([np.zeros(bpp, np.int64), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int64), prev[:-bpp]])
        if kind == 0:
            f = cur
        elif kind == 1:
            f = cur - left
        elif kind == 2:
            f = cur - prev
        elif kind == 3:
            f = cur - (left + prev) // 2
        else:
            f = cur - np.array([_paeth(a, b, c) for a, b, c in zip(left, prev, upleft,
                                                                   strict=True)])
        out += bytes([kind]) + bytes((f % 256).astype(np.uint8))
        prev = cur
    w = width if width is not None else stride * 8 // ({0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
                                                       * depth)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + extra
            + _chunk(b"IDAT", zlib.compress(bytes(out))) + _chunk(b"IEND", b""))


@pytest.mark.parametrize("filters", [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4]])
def test_png_rgba_every_filter(filters):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (9, 7, 4), dtype=np.uint8)
    got = decode_png(encode_png(img.reshape(9, 28), 6, 8, filters))
    np.testing.assert_array_equal(got, img)


def test_png_grey_rgb_16_bit_and_low_depths():
    rng = np.random.default_rng(1)
    grey = rng.integers(0, 256, (5, 6), dtype=np.uint8)
    np.testing.assert_array_equal(decode_png(encode_png(grey, 0, 8, [4, 3])), grey)
    rgb = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    np.testing.assert_array_equal(decode_png(encode_png(rgb.reshape(4, 15), 2, 8, [1, 4])), rgb)
    wide = rng.integers(0, 65536, (3, 4), dtype=np.uint16)
    rows = wide.astype(">u2").view(np.uint8).reshape(3, 8)
    np.testing.assert_array_equal(decode_png(encode_png(rows, 0, 16, [4])), wide >> 8)
    bits = rng.integers(0, 2, (4, 10), dtype=np.uint8)
    packed = np.packbits(bits, axis=1)
    np.testing.assert_array_equal(decode_png(encode_png(packed, 0, 1, [0, 2], width=10)),
                                  bits * 255)
    two = rng.integers(0, 4, (3, 5), dtype=np.uint8)
    packed2 = np.packbits(np.unpackbits(two[..., None], axis=2)[..., 6:].reshape(3, 10), axis=1)
    np.testing.assert_array_equal(decode_png(encode_png(packed2, 0, 2, [1], width=5)), two * 85)


def test_png_palette_with_transparency():
    palette = np.array([[0, 0, 0], [255, 255, 255], [200, 10, 10]], np.uint8)
    idx = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    extra = _chunk(b"PLTE", palette.tobytes()) + _chunk(b"tRNS", bytes([0, 255]))
    got = decode_png(encode_png(idx, 3, 8, [0], extra))
    np.testing.assert_array_equal(got[..., :3], palette[idx])
    np.testing.assert_array_equal(got[..., 3], np.array([[0, 255, 255], [255, 255, 0]]))


def test_netpbm_binary_and_text():
    img = np.array([[0, 128, 255], [10, 20, 30]], np.uint8)
    np.testing.assert_array_equal(decode_pnm(b"P5\n# a comment\n3 2\n255\n" + img.tobytes()),
                                  img)
    np.testing.assert_array_equal(decode_pnm(b"P2 3 2 255\n0 128 255\n10 20 30\n"), img)
    rgb = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    np.testing.assert_array_equal(decode_pnm(b"P6 3 2 255\n" + rgb.tobytes()), rgb)
    np.testing.assert_array_equal(decode_pnm(b"P1\n3 2\n0 1 0\n1 1 0\n"),
                                  np.array([[255, 0, 255], [0, 0, 255]]))
    np.testing.assert_array_equal(decode_pnm(b"P2 2 1 15\n0 15\n"), np.array([[0, 255]]))


def test_damaged_and_foreign_files_say_what_is_wrong(tmp_path):
    good = encode_png(np.zeros((4, 4), np.uint8), 0, 8, [0])
    cases = {"cut.png": good[:40], "empty.png": b"", "notes.png": b"hello, not a picture",
             "short.pgm": b"P5 10 10 255\n" + bytes(20)}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ImageFileError) as info:
            read_picture(tmp_path / name)
        assert name in str(info.value)
    with pytest.raises(ImageFileError, match="does not exist"):
        read_picture(tmp_path / "missing.png")
    with pytest.raises(ImageFileError, match="folder"):
        read_picture(tmp_path)
