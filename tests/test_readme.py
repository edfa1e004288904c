"""The README tells a newcomer the truth, in the order they need it.

These read README.md as a person would: the system libraries come before the first command
that starts the app, `sudo` is asked for only where the system is changed, the ONNX extra is
installed the way a source checkout installs it, and the Inside page's row names every view
the page really has.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def text() -> str:
    return README.read_text(encoding="utf-8")


def _code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line inside a fenced code block."""
    out, inside = [], False
    for n, line in enumerate(text.splitlines()):
        if line.startswith("```"):
            inside = not inside
        elif inside:
            out.append((n, line))
    return out


def test_system_libraries_come_before_the_first_run(text: str) -> None:
    code = _code_lines(text)
    first_run = next(n for n, line in code if re.search(r"(^|[ /])nnstudio(\s|$)", line))
    libs = next(n for n, line in code if "libxcb-cursor0" in line)
    assert libs < first_run, "the apt-get line must come before the first run of nnstudio"
    # every library Qt's xcb plugin needs is in that one command, so one error cannot hide another
    block = "\n".join(line for n, line in code if libs - 1 <= n <= libs + 3)
    for lib in ("libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0", "libxkbcommon-x11-0"):
        assert lib in block


def test_sudo_only_where_the_system_is_changed(text: str) -> None:
    for line in text.splitlines():
        if "sudo " in line and "apt-get" not in line:
            assert "sudo` is" in line or "need `sudo`" in line or "needs `sudo`" in line, line
    for _, line in _code_lines(text):
        if "sudo" in line:
            assert "apt-get install" in line, line


def test_onnx_extra_for_a_source_checkout(text: str) -> None:
    assert 'pip install -e ".[export]"' in text


def test_inside_row_names_every_view(text: str) -> None:
    from nnstudio.gui.inside.panel import view_classes

    row = next(line for line in text.splitlines() if line.startswith("| **Inside** |"))
    titles = [title for _, title, _ in view_classes()] + ["Errors"]
    missing = [t for t in titles if f"**{t}**" not in row]
    assert not missing, f"the README's Inside row does not name {missing}"


def test_the_shipped_models_held_out_figure_is_given(text: str) -> None:
    assert "half of those digits trained it" in text
    assert re.search(r"2,500 it never saw it reads \d+\.\d+%", text)
