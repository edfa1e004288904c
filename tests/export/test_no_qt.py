"""The export package and `nnstudio predict` on PNG/PGM pictures load no Qt module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def test_exporting_and_predicting_from_png_and_pgm_load_no_qt(tmp_path):
    img = np.zeros((40, 30), np.uint8)
    img[8:32, 13:18] = 255
    (tmp_path / "one.pgm").write_bytes(b"P5 30 40 255\n" + img.tobytes())
    code = (
        "import sys, pkgutil, importlib, nnstudio.export\n"
        "for m in pkgutil.walk_packages(nnstudio.export.__path__, 'nnstudio.export.'):\n"
        "    importlib.import_module(m.name)\n"
        "from nnstudio.cli import main\n"
        f"assert main(['export', 'default', '--to', 'numpy', '--out', {str(tmp_path / 'np')!r}"
        "]) == 0\n"
        f"assert main(['predict', 'default', {str(tmp_path / 'one.pgm')!r}]) == 0\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'pyqtgraph'))\n"
        "print('QT:' + ','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "QT:\n" in out.stdout or out.stdout.rstrip().endswith("QT:"), out.stdout
    assert "one.pgm: 1 (" in out.stdout
