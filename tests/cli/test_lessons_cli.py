"""``nnstudio lessons`` and ``nnstudio lessons check FILE``."""

from __future__ import annotations

from nnstudio import cli

GOOD = ("---\ntitle: My lesson\n---\n## One\ntask: Train.\ncheck: count epochs >= 1\n"
        "show: train\n")
BROKEN = ("---\ntitle: Broken\n---\n## One\ntask: Train.\ncheck: count epoch >= 1\n"
          "show: train fast\n")


def test_lessons_lists_one_a_line_shipped_and_own(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NNSTUDIO_DATA_DIR", str(tmp_path))
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "mine.lesson.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "lessons" / "bad.lesson.md").write_text(BROKEN, encoding="utf-8")
    assert cli.main(["lessons"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 13
    assert lines[0].split()[:4] == ["01-neuron", "shipped", "3", "steps"]
    assert lines[0].endswith("A neuron")
    assert lines[10].startswith("11-bank-table") and "shipped" in lines[10]
    assert lines[11].split()[:3] == ["bad", "yours", "BROKEN"] and "line 6" in lines[11]
    assert lines[12].split()[:2] == ["mine", "yours"] and lines[12].endswith("My lesson")


def test_lessons_check_prints_every_problem_with_its_line_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.lesson.md"
    bad.write_text(BROKEN, encoding="utf-8")
    assert cli.main(["lessons", "check", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{bad}:6: unknown count 'epoch'")
    assert err[1].startswith(f"{bad}:7: 'train' takes a whole number")
    assert err[2] == f"nnstudio: 2 problems in {bad}"
    good = tmp_path / "good.lesson.md"
    good.write_text(GOOD, encoding="utf-8")
    assert cli.main(["lessons", "check", str(good)]) == 0
    assert "'My lesson', 1 steps, 1 checks: ok" in capsys.readouterr().out
    assert cli.main(["lessons", "check", str(tmp_path / "none.lesson.md")]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert cli.main(["lessons", "check"]) == 2
    assert "needs a lesson file" in capsys.readouterr().err


def test_lessons_check_is_clean_on_every_shipped_lesson(capsys):
    from nnstudio.lessons.library import shipped_folder

    files = sorted(shipped_folder().glob("*.lesson.md"))
    assert len(files) >= 11
    for path in files:
        assert cli.main(["lessons", "check", str(path)]) == 0, capsys.readouterr().err
    out = capsys.readouterr()
    assert out.err == "" and out.out.count(": ok\n") == len(files)
