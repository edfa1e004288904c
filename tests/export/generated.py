"""Helpers the export tests share to check generated scripts: compile, lint, run."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

#: what the command in a hostile name would create in the folder it runs in
MARKER = "PWNED"


def ruff_command() -> list[str] | None:
    """How to run ruff here (the module, else the program), or None when it is absent."""
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    beside = Path(sys.executable).with_name("ruff")
    found = str(beside) if beside.is_file() else shutil.which("ruff")
    return [found] if found else None


def compile_and_lint(paths: list[Path]) -> str | None:
    """compile() every file (a SyntaxError fails the test), then ruff's pyflakes (F) and
    syntax (E9) rules on all of them; returns ruff's findings ('' when clean), or None when
    ruff is not available."""
    for path in paths:
        compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)
    ruff = ruff_command()
    if ruff is None:
        return None
    run = subprocess.run([*ruff, "check", "--isolated", "--no-cache", "--select", "F,E9",
                          "--output-format", "concise", *map(str, paths)],
                         capture_output=True, text=True, timeout=120)
    return "" if run.returncode == 0 else run.stdout + run.stderr


def run_script(script: Path, *args: str, cwd: Path, timeout: float = 120
               ) -> subprocess.CompletedProcess:
    """Run a generated script in a fresh, isolated interpreter, in the folder ``cwd``."""
    return subprocess.run([sys.executable, "-I", str(script), *args], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout)


def has_torch() -> bool:
    return importlib.util.find_spec("torch") is not None


def run_train_here(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the generated train.py of ``folder`` in this process (torch is imported once),
    as if from the command line: its exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    sys.modules.pop("model", None)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                script = runpy.run_path(str(folder / "train.py"), run_name="generated_train")
                code = script["main"](list(args))
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
    finally:
        sys.modules.pop("model", None)
        while str(folder.resolve()) in sys.path:
            sys.path.remove(str(folder.resolve()))
    return subprocess.CompletedProcess(["train.py", *args], code, out.getvalue(),
                                       err.getvalue())
