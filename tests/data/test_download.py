"""The downloader against a local HTTP server: mirrors, checksums, cuts, cancel, offline."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import numpy as np
import pytest

from nnstudio.data import download
from nnstudio.data.dataset import DataError
from nnstudio.data.download import DownloadCancelled, RemoteSet, download_file, load_known
from nnstudio.data.idx import write_idx

PAYLOAD = bytes(range(256)) * 1000  # 256 kB: several blocks


class Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        name = self.path.rsplit("/", 1)[-1]
        if self.path.startswith("/cut/") and name in self.files:
            body = self.files[name]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        body = self.files.get(name)
        if self.path.startswith("/bad/") and body is not None:
            body = body[:-1] + b"X"
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def server():
    Handler.files = {"data.bin": PAYLOAD}
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("NNSTUDIO_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


MD5 = hashlib.md5(PAYLOAD).hexdigest()


def test_download_with_progress(server: str, tmp_path: Path) -> None:
    seen = []
    dest = download_file([f"{server}/ok/data.bin"], tmp_path / "d" / "data.bin", MD5,
                         progress=lambda d, t: seen.append((d, t)))
    assert dest.read_bytes() == PAYLOAD
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD)) and len(seen) > 2
    assert [p.name for p in dest.parent.iterdir()] == ["data.bin"]  # no .part left


def test_mirrors_tried_in_order(server: str, tmp_path: Path) -> None:
    urls = [f"{server}/ok/absent.bin", f"{server}/bad/data.bin", f"{server}/cut/data.bin",
            f"{server}/ok/data.bin"]
    dest = download_file(urls, tmp_path / "data.bin", MD5)
    assert dest.read_bytes() == PAYLOAD


def test_wrong_checksum(server: str, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="wrong checksum") as err:
        download_file([f"{server}/bad/data.bin"], tmp_path / "data.bin", MD5)
    assert "put it in" in str(err.value)
    assert not list(tmp_path.iterdir())


def test_connection_cut_mid_file(server: str, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cut mid-file|IncompleteRead"):
        download_file([f"{server}/cut/data.bin"], tmp_path / "data.bin", MD5)
    assert not list(tmp_path.iterdir())


def test_cancel(server: str, tmp_path: Path) -> None:
    stop = threading.Event()

    def progress(done: int, total: int) -> None:
        stop.set()

    with pytest.raises(DownloadCancelled):
        download_file([f"{server}/ok/data.bin"], tmp_path / "data.bin", MD5, progress, stop)
    assert not list(tmp_path.iterdir())


def test_offline_message(tmp_path: Path, cache: Path) -> None:
    remote = RemoteSet("mnist", "MNIST handwritten digits", ("http://127.0.0.1:9/",),
                       dict(download.KNOWN["mnist"].files), download.KNOWN["mnist"].classes,
                       "http://example.invalid/")
    download.KNOWN["offline-test"] = remote
    try:
        with pytest.raises(DataError) as err:
            load_known("offline-test", "test")
    finally:
        del download.KNOWN["offline-test"]
    msg = str(err.value)
    assert "t10k-images-idx3-ubyte.gz" in msg and str(cache / "mnist") in msg
    assert "synthetic" in msg


def test_load_known_downloads_once(server: str, tmp_path: Path, cache: Path,
                                   monkeypatch) -> None:
    src = tmp_path / "src"
    src.mkdir()
    rng = np.random.default_rng(0)
    write_idx(src / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (7, 28, 28), np.uint8))
    write_idx(src / "t10k-labels-idx1-ubyte.gz", rng.integers(0, 10, 7, np.uint8))
    files = {p.name: p.read_bytes() for p in src.iterdir()}
    Handler.files.update(files)
    remote = RemoteSet("tiny", "tiny digits", (f"{server}/bad/", f"{server}/ok/"),
                       {n: hashlib.md5(b).hexdigest() for n, b in files.items()},
                       tuple(str(i) for i in range(10)), "http://example.invalid/")
    monkeypatch.setitem(download.KNOWN, "tiny", remote)
    ds = load_known("tiny", "test")
    assert ds.n == 7 and ds.sample_shape == (28, 28)
    Handler.files.clear()  # a second load needs no network
    assert load_known("tiny", "test").n == 7
    assert (cache / "tiny" / "t10k-images-idx3-ubyte.gz").exists()


def test_unknown_names() -> None:
    with pytest.raises(DataError, match="unknown set"):
        load_known("cifar")
    with pytest.raises(DataError, match="unknown split"):
        load_known("mnist", "validation")


def test_files_placed_by_hand(cache: Path) -> None:
    folder = cache / "mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    write_idx(folder / "t10k-images-idx3-ubyte", rng.integers(0, 256, (3, 28, 28), np.uint8))
    write_idx(folder / "t10k-labels-idx1-ubyte", rng.integers(0, 10, 3, np.uint8))
    ds = load_known("mnist", "test")
    assert ds.n == 3 and ds.classes == [str(i) for i in range(10)]
