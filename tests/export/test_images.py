"""Picture files read through Pillow: PNG (every filter, colour type, bit depth), Netpbm,
JPEG; a picture's size is checked on its header before anything is decoded."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from nnstudio.export.images import ImageFileError, read_picture
from nnstudio.limits import MAX_PICTURE_PIXELS

ROOT = Path(__file__).resolve().parents[2]


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


def decode(tmp_path: Path, data: bytes, name: str = "picture.png") -> np.ndarray:
    path = tmp_path / name
    path.write_bytes(data)
    return read_picture(path)


def bomb_png(side: int, filter_type: int, colour: int = 0) -> bytes:
    """A ``side`` x ``side`` black PNG whose every row uses ``filter_type``, compressed
    row by row (a 15,000-pixel square is about 250 KB)."""
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    z = zlib.compressobj(9)
    row = bytes([filter_type]) + bytes(side * bpp)
    data = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data)
            + _chunk(b"IEND", b""))


@pytest.mark.parametrize("filters", [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4]])
def test_png_rgba_every_filter(filters, tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (9, 7, 4), dtype=np.uint8)
    got = decode(tmp_path, encode_png(img.reshape(9, 28), 6, 8, filters))
    np.testing.assert_array_equal(got, img)


def test_png_grey_rgb_16_bit_and_low_depths(tmp_path):
    rng = np.random.default_rng(1)
    grey = rng.integers(0, 256, (5, 6), dtype=np.uint8)
    np.testing.assert_array_equal(decode(tmp_path, encode_png(grey, 0, 8, [4, 3])), grey)
    rgb = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    np.testing.assert_array_equal(decode(tmp_path, encode_png(rgb.reshape(4, 15), 2, 8,
                                                              [1, 4])), rgb)
    wide = rng.integers(0, 65536, (3, 4), dtype=np.uint16)
    rows = wide.astype(">u2").view(np.uint8).reshape(3, 8)
    got = decode(tmp_path, encode_png(rows, 0, 16, [4])).astype(int)
    assert np.abs(got - (wide.astype(int) * 255 + 32767) // 65535).max() <= 1
    bits = rng.integers(0, 2, (4, 10), dtype=np.uint8)
    packed = np.packbits(bits, axis=1)
    np.testing.assert_array_equal(decode(tmp_path, encode_png(packed, 0, 1, [0, 2], width=10)),
                                  bits * 255)
    two = rng.integers(0, 4, (3, 5), dtype=np.uint8)
    packed2 = np.packbits(np.unpackbits(two[..., None], axis=2)[..., 6:].reshape(3, 10), axis=1)
    np.testing.assert_array_equal(decode(tmp_path, encode_png(packed2, 0, 2, [1], width=5)),
                                  two * 85)


@pytest.mark.parametrize("depth", [8, 16])
def test_png_grey_with_alpha_as_imagemagick_writes_it(depth, tmp_path):
    """Colour type 4 (grey + alpha) comes back as (H, W, 4): grey in RGB, the alpha kept."""
    rng = np.random.default_rng(2)
    grey = rng.integers(0, 256, (6, 5), dtype=np.uint8)
    alpha = rng.integers(0, 256, (6, 5), dtype=np.uint8)
    pairs = np.dstack([grey, alpha]).astype(">u2" if depth == 16 else np.uint8)
    if depth == 16:
        pairs = pairs * 257
    rows = pairs.view(np.uint8).reshape(6, -1)
    got = decode(tmp_path, encode_png(rows, 4, depth, [4, 1], width=5))
    assert got.shape == (6, 5, 4)
    np.testing.assert_array_equal(got[..., 0], grey)
    np.testing.assert_array_equal(got[..., 2], grey)
    np.testing.assert_array_equal(got[..., 3], alpha)


def test_png_palette_with_transparency(tmp_path):
    palette = np.array([[0, 0, 0], [255, 255, 255], [200, 10, 10]], np.uint8)
    idx = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    extra = _chunk(b"PLTE", palette.tobytes()) + _chunk(b"tRNS", bytes([0, 255]))
    got = decode(tmp_path, encode_png(idx, 3, 8, [0], extra))
    np.testing.assert_array_equal(got[..., :3], palette[idx])
    np.testing.assert_array_equal(got[..., 3], np.array([[0, 255, 255], [255, 255, 0]]))


def test_netpbm_binary_and_text(tmp_path):
    img = np.array([[0, 128, 255], [10, 20, 30]], np.uint8)
    np.testing.assert_array_equal(
        decode(tmp_path, b"P5\n# a comment\n3 2\n255\n" + img.tobytes(), "a.pgm"), img)
    np.testing.assert_array_equal(decode(tmp_path, b"P2 3 2 255\n0 128 255\n10 20 30\n",
                                         "b.pgm"), img)
    rgb = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    np.testing.assert_array_equal(decode(tmp_path, b"P6 3 2 255\n" + rgb.tobytes(), "c.ppm"),
                                  rgb)
    np.testing.assert_array_equal(decode(tmp_path, b"P1\n3 2\n0 1 0\n1 1 0\n", "d.pbm"),
                                  np.array([[255, 0, 255], [0, 0, 255]]))
    np.testing.assert_array_equal(decode(tmp_path, b"P2 2 1 15\n0 15\n", "e.pgm"),
                                  np.array([[0, 255]]))


def test_damaged_and_foreign_files_say_what_is_wrong(tmp_path):
    good = encode_png(np.zeros((4, 4), np.uint8), 0, 8, [0])
    cases = {"cut.png": good[:40], "empty.png": b"", "notes.png": b"hello, not a picture",
             "short.pgm": b"P5 10 10 255\n" + bytes(20),
             "script.eps": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ImageFileError) as info:
            read_picture(tmp_path / name)
        assert name in str(info.value)
    with pytest.raises(ImageFileError, match="does not exist"):
        read_picture(tmp_path / "missing.png")
    with pytest.raises(ImageFileError, match="folder"):
        read_picture(tmp_path)


def test_a_pipe_is_refused_without_waiting_for_it(tmp_path):
    fifo = tmp_path / "digit.png"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(ImageFileError, match="not a regular file"):
        read_picture(fifo)
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize("side", [15_000, 20_000, 6_000])
def test_a_small_file_claiming_a_huge_picture_is_refused_from_its_header(side, tmp_path):
    """15,000² Paeth-filtered pixels in 250 KB: refused at once, with the size and limit."""
    assert side * side > MAX_PICTURE_PIXELS
    data = bomb_png(side, 4)
    assert len(data) < 500_000
    start = time.perf_counter()
    with pytest.raises(ImageFileError, match=r"megapixels.*use a smaller picture"):
        decode(tmp_path, data)
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize("filter_type", [3, 4])
def test_a_large_picture_within_the_limit_is_decoded_quickly_and_reduced(filter_type,
                                                                         tmp_path):
    """4,000² Average- or Paeth-filtered pixels are decoded in C and reduced while read."""
    start = time.perf_counter()
    got = decode(tmp_path, bomb_png(4_000, filter_type))
    assert time.perf_counter() - start < 10
    assert got.shape == (572, 572) and got.dtype == np.uint8 and got.max() == 0


def test_a_large_picture_is_read_under_a_one_gigabyte_address_space_cap(tmp_path):
    """Within the limits, a 16-megapixel picture fits in a process capped (RLIMIT_AS) at
    1 GB, and one just over the limit is refused there with the reason, not a MemoryError."""
    ok, big = tmp_path / "ok.png", tmp_path / "big.png"
    ok.write_bytes(bomb_png(4_000, 4, colour=6))
    big.write_bytes(bomb_png(4_001, 4, colour=6))
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from nnstudio.export.images import ImageFileError, read_picture\n"
        "print(read_picture(sys.argv[1]).shape)\n"
        "try:\n"
        "    read_picture(sys.argv[2])\n"
        "except ImageFileError as err:\n"
        "    print('refused:', err)\n")
    out = subprocess.run([sys.executable, "-c", code, str(ok), str(big)], capture_output=True,
                         text=True, cwd=ROOT, timeout=60,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "(572, 572, 4)"
    assert lines[1].startswith("refused:") and "megapixels" in lines[1]


def test_a_large_jpeg_photo_is_decoded_at_a_reduced_scale(tmp_path):
    """A 48-megapixel photo is over the pixel limit, but JPEG decodes it at 1/8 scale."""
    from PIL import Image

    path = tmp_path / "photo.jpg"
    paper = np.full((6000, 8000), 235, np.uint8)
    paper[1000:5000, 3800:4200] = 30                      # a dark stroke: a one
    Image.fromarray(paper, "L").save(path, quality=80)
    assert 6000 * 8000 > MAX_PICTURE_PIXELS
    got = read_picture(path)
    assert got.shape == (750, 1000)
    assert got[375, 500] < 60 and got[20, 20] > 200
