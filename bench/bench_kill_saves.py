"""Kill -9 during saves, many times: the file is always the old or the new one, no leftovers.

A child process saves a file again and again through :func:`nnstudio.fileio.atomic_write`
(each version 64 KB to 2 MB, numbered, with a SHA-256 of its content at the end); the parent
kills it with SIGKILL at a random moment, checks that the file is one complete version, no
older than the last one seen, and that at most the killed save's temporary file is left (the
next save removes it). At the end one more save must leave the folder holding only the file.

    .venv/bin/python bench/bench_kill_saves.py --kills 500
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import hashlib, os, random, sys
from nnstudio.fileio import atomic_write
path, version, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
print("ready", flush=True)
while True:
    version += 1
    body = version.to_bytes(8, "little") + rng.randbytes(rng.randint(1 << 16, 1 << 21))
    data = body + hashlib.sha256(body).digest()
    atomic_write(path, lambda fh: fh.write(data))
"""


def read_version(path: Path) -> int:
    """The version number of a complete file; raises AssertionError for anything else."""
    data = path.read_bytes()
    body, digest = data[:-32], data[-32:]
    assert len(data) > 40 and hashlib.sha256(body).digest() == digest, \
        f"{path.name} is not one complete version ({len(data)} bytes)"
    return int.from_bytes(body[:8], "little")


def kill_loop(kills: int, seed: int = 0, folder: Path | None = None) -> dict[str, int]:
    """Run ``kills`` kill -9 rounds; returns counts. Raises AssertionError on any damage."""
    from nnstudio.fileio import atomic_write, leftovers

    rng = random.Random(seed)
    own = folder is None
    folder = Path(tempfile.mkdtemp(prefix="nnstudio-kill-")) if own else folder
    path = folder / "model.bin"
    body = (0).to_bytes(8, "little") + b"first"
    atomic_write(path, lambda fh: fh.write(body + hashlib.sha256(body).digest()))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    version, mid_save, changed, most_left = 0, 0, 0, 0
    for i in range(kills):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(version),
                                  str(seed * 100_003 + i)], stdout=subprocess.PIPE, env=env)
        assert child.stdout is not None
        child.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.06))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        now = read_version(path)
        assert now >= version, f"the file went back from version {version} to {now}"
        changed += now > version
        version = now
        left = leftovers(path)
        most_left = max(most_left, len(left))
        assert len(left) <= 1, f"leftovers pile up: {[p.name for p in left]}"
        mid_save += len(left)
    body = (version + 1).to_bytes(8, "little") + b"last"
    atomic_write(path, lambda fh: fh.write(body + hashlib.sha256(body).digest()))
    names = sorted(p.name for p in folder.iterdir())
    assert names == [path.name], f"files left after the last save: {names}"
    if own:
        path.unlink()
        folder.rmdir()
    return {"kills": kills, "killed_mid_save": mid_save, "file_changed": changed,
            "versions_written": version, "most_leftovers": most_left, "damaged": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    counts = kill_loop(args.kills, args.seed)
    counts_text = ", ".join(f"{k} {v}" for k, v in counts.items())
    print(f"{counts_text} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
