"""Hostile lesson files (tests/regressions/lessons): each is refused, at its line, by the one
validation that both ``nnstudio lessons check`` and the window use; files outside a lesson's
folder are never read; damaged progress files and hostile titles do no harm."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from nnstudio import cli
from nnstudio.lessons.files import lesson_file
from nnstudio.lessons.format import LessonError, load, parse
from nnstudio.lessons.library import Progress, find_lessons

HOSTILE = Path(__file__).resolve().parents[1] / "regressions" / "lessons"
FILES = sorted(HOSTILE.glob("*.lesson.md"))


def expected(path: Path) -> tuple[int, str]:
    """The line and words a hostile file says it is refused with (its header comment)."""
    m = re.search(r"^# refused: line (\d+): (.*)$", path.read_text(encoding="utf-8"), re.M)
    assert m, path
    return int(m.group(1)), m.group(2)


def test_there_are_hostile_lessons_of_every_kind() -> None:
    names = {p.name.split("-")[0] for p in FILES}
    assert {"widget", "csv", "idx", "design", "fit", "perceptron", "chain", "lock", "hide",
            "hint", "seed", "click", "set", "data"} <= names


@pytest.mark.parametrize("path", FILES, ids=[p.name[:-10] for p in FILES])
def test_a_hostile_lesson_is_refused_at_its_line_by_the_checker(path, capsys) -> None:
    line, words = expected(path)
    with pytest.raises(LessonError) as err:
        load(path)
    first = err.value.problems[0]
    assert first.line == line and words in first.message, first
    assert cli.main(["lessons", "check", str(path)]) == 2
    out = capsys.readouterr()
    assert out.err.splitlines()[0].startswith(f"{path}:{line}: ")
    assert words in out.err and "ok" not in out.out


def test_no_file_outside_the_lessons_folder_is_read_even_through_a_link(tmp_path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("a,b\n1,2\n", encoding="utf-8")
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "inside.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (folder / "link.csv").symlink_to(secret)
    assert lesson_file("inside.csv", folder) == (folder / "inside.csv").resolve()
    with pytest.raises(ValueError, match="link to a file outside"):
        lesson_file("link.csv", folder)
    for name in ("../secret.csv", str(secret), "~/secret.csv", "sub/../../secret.csv",
                 "C:\\secret.csv"):
        with pytest.raises(ValueError, match="own folder"):
            lesson_file(name, folder)
    text = "---\ntitle: T\n---\n## One\ntask: x\ndata: csv:link.csv:label=a\n"
    (folder / "t.lesson.md").write_text(text, encoding="utf-8")
    with pytest.raises(LessonError, match="line 6: 'link.csv' is a link"):
        load(folder / "t.lesson.md")
    (folder / "away.lesson.md").symlink_to(secret)  # a lesson file that is a link out
    away = [e for e in find_lessons(yours=folder) if e.path.name == "away.lesson.md"]
    assert not away[0].ok and "outside the lessons folder" in str(away[0].problems[0])
    ok = text.replace("link.csv", "inside.csv")
    lesson, problems = parse(ok, folder / "t.lesson.md")
    assert problems == []


def test_a_huge_file_of_misspelt_lines_is_refused_quickly(tmp_path) -> None:
    line = "chek: metric accuracy > 0.5\n"
    head = "---\ntitle: Misspelt\n---\n## One\ntask: x\n"
    big = tmp_path / "big.lesson.md"
    big.write_text(head + line * 170_000, encoding="utf-8")  # 4.8 MB
    small = tmp_path / "small.lesson.md"
    small.write_text(head + line * 8_000, encoding="utf-8")  # just under the size limit
    for path, words in ((big, "larger than 256 KB"), (small, "more than 50 problems")):
        t0 = time.perf_counter()
        with pytest.raises(LessonError, match=words):
            load(path)
        assert time.perf_counter() - t0 < 2.0


def test_a_damaged_progress_file_reads_as_nothing_done_and_the_lessons_list(
        tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path))
    path = tmp_path / "lessons-progress.json"
    for damage in ('{"01-neuron": {"done": [NaN, Infinity, 1, 1e300, true, "x", -1, 2.5],'
                   ' "current": NaN}}',
                   '{"01-neuron": {"done": Infinity, "current": -Infinity}}',
                   '{"01-neuron": {"done": [0], "current": 1e400}}',
                   "[" * 100_000):
        path.write_text(damage, encoding="utf-8")
        p = Progress()
        assert p.done("01-neuron") <= {0, 1} and p.current("01-neuron") == 0
        assert 0 <= p.fraction("01-neuron", 3) <= 1
        p.mark_done("01-neuron", 2)  # and it can be written again
        assert 2 in Progress().done("01-neuron")
        json.loads(path.read_text(encoding="utf-8"))
    assert cli.main(["lessons"]) == 0


def test_titles_with_terminal_escapes_print_escaped(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path))
    (tmp_path / "lessons").mkdir()
    title = "Evil \x1b[2J\x1b]0;pwned\x07 \u202etxt.exe"
    mine = tmp_path / "lessons" / "evil.lesson.md"
    mine.write_text(f"---\ntitle: {title}\n---\n## One\ntask: x\nhint: \x1b[31m\n",
                    encoding="utf-8")
    broken = tmp_path / "lessons" / "broken\x1b[2J.lesson.md"
    broken.write_text("---\ntitle: \x07\n---\n## One\ntask: x\nchek: \x1b[2J\n",
                      encoding="utf-8")
    assert cli.main(["lessons"]) == 0
    assert cli.main(["lessons", "check", str(mine)]) == 0
    assert cli.main(["lessons", "check", str(broken)]) == 2
    out = capsys.readouterr()
    for text in (out.out, out.err):
        assert not any(c in text for c in "\x1b\x07\u202e"), text
    assert "\\x1b[2J" in out.out and "\\u202e" in out.out
    assert [e.title for e in find_lessons(yours=tmp_path / "lessons")
            if e.source == "yours" and e.ok] == [title]
