"""Rules of the house that a change could break without any feature test noticing."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT_MODULES = {"PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6"}


@pytest.mark.parametrize("layer", ["core", "data", "lessons"])
def test_engine_and_data_do_not_import_qt_in_source(layer: str) -> None:
    offenders = []
    for path in sorted((ROOT / "nnstudio" / layer).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in QT_MODULES:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_importing_core_and_data_loads_no_qt() -> None:
    code = (
        "import sys, pkgutil, importlib, nnstudio.core, nnstudio.data, nnstudio.lessons\n"
        "for pkg in (nnstudio.core, nnstudio.data, nnstudio.lessons):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{sorted(QT_MODULES)!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"Qt modules loaded by the engine: {out.stdout}"


@pytest.mark.skipif(sys.version_info >= (3, 12),
                    reason="None is immortal from Python 3.12 on: its reference count says "
                           "nothing, and references lost to it cannot free it")
def test_pyside_does_not_leak_references_to_none() -> None:
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void call and
    eventually kills the process ("none_dealloc"). pyproject.toml excludes that combination;
    this guards against any other release doing the same."""
    pytest.importorskip("PySide6")
    from PySide6.QtGui import QColor, QImage, QPainter, QPen

    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    pen = QPen(QColor(10, 20, 30))
    try:
        for _ in range(50):  # warm up caches
            painter.setPen(pen)
        before = sys.getrefcount(None)
        for _ in range(1000):
            painter.setPen(pen)
            painter.drawLine(0, 0, 7, 7)
        after = sys.getrefcount(None)
    finally:
        painter.end()
    assert before - after < 100, (
        f"PySide6 leaked {before - after} references to None in 2,000 calls: this PySide6 "
        "release crashes long-running windows; install one that pyproject.toml allows"
    )


def test_the_layer_contracts_hold() -> None:
    """The import-linter contracts in pyproject.toml: the layers, no Qt below the window,
    pages that never import each other, no import circles."""
    pytest.importorskip("importlinter")
    out = subprocess.run([sys.executable, "-c",
                          "import sys; from importlinter.cli import lint_imports; "
                          "sys.exit(lint_imports(no_cache=True))"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_no_module_does_several_jobs_at_600_lines() -> None:
    """A module does one job; one past 600 lines is split along a real seam."""
    long = {str(p.relative_to(ROOT)): n for p in sorted((ROOT / "nnstudio").rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert not long, long


def _calls(name: str) -> list[tuple[str, ast.Call]]:
    """Every call of the bare name ``name`` in the package: (path:line, call)."""
    found = []
    for path in sorted((ROOT / "nnstudio").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == name):
                found.append((f"{path.relative_to(ROOT).as_posix()}:{node.lineno}", node))
    return found


def test_hasattr_only_asks_what_the_platform_offers() -> None:
    """The project's own types are known: code reads their attributes, it never asks
    whether they are there. ``hasattr`` is left for what differs between platforms."""
    platform = {"os", "sys", "signal"}
    offenders = [where for where, call in _calls("hasattr")
                 if not (isinstance(call.args[0], ast.Name) and call.args[0].id in platform)]
    assert not offenders, offenders


#: signals whose argument really is any object: a worker's yielded values and results
#: (whatever its function gives), the checkpoint's place on the epoch axis (a float, or None)
ANY_OBJECT_SIGNALS = {"nnstudio/gui/worker.py": {"yielded", "result"},
                      "nnstudio/gui/train/timeline.py": {"marked"}}


def test_a_signal_names_the_type_it_carries() -> None:
    """``Signal(object)`` only where the argument can be anything."""
    offenders = []
    for path in sorted((ROOT / "nnstudio").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
                continue
            call = node.value
            if not (isinstance(call.func, ast.Name) and call.func.id == "Signal"
                    and [ast.unparse(a) for a in call.args] == ["object"]):
                continue
            names = {t.id for t in node.targets if isinstance(t, ast.Name)}
            if not names <= ANY_OBJECT_SIGNALS.get(rel, set()):
                offenders.append(f"{rel}:{node.lineno} {sorted(names)}")
    assert not offenders, offenders
