"""The lesson file format: parsing, line-precise problems, checks and actions as data."""

from __future__ import annotations

import pytest

from nnstudio.lessons import LessonError, load, parse
from nnstudio.lessons.actions import parse_action
from nnstudio.lessons.checks import parse_check, parse_number
from nnstudio.lessons.library import Progress, find_lessons
from nnstudio.lessons.setup import (
    build_design,
    describe,
    fill_weights,
    parse_data,
    parse_settings,
)

GOOD = """\
---
title: Tiny
order: 3
summary: One step.
hint after: 10
lock: datasetCombo
---
Intro text
on two lines.

## First step
design: template perceptron
data: perceptron
weights: neuron/W = 0.5 0.7; neuron/b = -0.5
settings: lr=0.1 epochs=3
page: design
view: neurons
lock: templateChooser
The weighted sum: more text (a text line with a colon).

Second paragraph.
task: Make it fire.
check: output 0.5,0.6 == 1 | It outputs {value}
check: metric accuracy >= 75% within 0.01
hint: Try a bigger weight.
show: weights neuron/W = 1 1
do: One pass | perceptron 1

## Second step
Just reading.
"""


def test_a_good_lesson_parses_into_steps_checks_and_actions() -> None:
    lesson, problems = parse(GOOD, "tiny.lesson.md")
    assert problems == []
    assert (lesson.id, lesson.title, lesson.order, lesson.hint_after) == ("tiny", "Tiny", 3, 10)
    assert lesson.lock == ["datasetCombo"]
    assert lesson.intro == "Intro text on two lines."
    first, second = lesson.steps
    assert first.title == "First step" and first.line == 11
    assert first.text == ["The weighted sum: more text (a text line with a colon).",
                          "Second paragraph."]
    assert [d.key for d in first.setup] == ["design", "data", "weights", "settings", "page",
                                            "view"]
    assert first.lock == ["templateChooser"]
    assert first.task == "Make it fire."
    out, acc = first.checks
    assert (out.kind, out.target, out.op, out.value, out.line) == ("output", "0.5,0.6", "==",
                                                                   1.0, 23)
    assert out.label == "It outputs {value}"
    assert acc.value == pytest.approx(0.75) and acc.tolerance == pytest.approx(0.01)
    assert first.hints == ["Try a bigger weight."]
    assert first.show[0].verb == "weights"
    assert first.buttons[0][0] == "One pass" and first.buttons[0][1].describe() == \
        "perceptron 1"
    assert second.checks == [] and second.text == ["Just reading."]


BROKEN = """\
---
title: Broken
oder: 2
---
## A step
chek: metric accuracy >= 0.9
check: metric acuracy >= 0.9
check: weight fc1 > 0
check: metric accuracy >> 0.9
settings: speed=3
design: template nope
data: nowhere:5
show: fly away
do: no label
task: something

# one hash
"""


def test_a_broken_lesson_gets_one_clear_problem_per_bad_line() -> None:
    _lesson, problems = parse(BROKEN, "broken.lesson.md")
    by_line = {p.line: p.message for p in problems}
    assert set(by_line) == {3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17}
    assert "oder" in by_line[3] and "header" in by_line[3]
    assert "unknown directive 'chek:'" in by_line[6]
    assert "unknown metric 'acuracy'" in by_line[7] and "accuracy" in by_line[7]
    assert "node/W[i,j]" in by_line[8]
    assert "comparison '>>'" in by_line[9]
    assert "speed=3" in by_line[10]
    assert "template" in by_line[11] and "perceptron" in by_line[11]
    assert "nowhere" in by_line[12]
    assert "unknown action 'fly'" in by_line[13]
    assert "Button label | action" in by_line[14]
    assert "'## '" in by_line[17]


@pytest.mark.parametrize("text, line, words", [
    ("", 1, "header"),
    ("---\ntitle: x\n", 1, "not closed"),
    ("---\nsummary: s\n---\n## s\n", 1, "title"),
    ("---\ntitle: t\n---\njust text\n", 3, "no steps"),
    ("---\ntitle: t\n---\ncheck: count epochs >= 1\n## s\n", 4, "inside a step"),
    ("---\ntitle: t\n---\n## s\ncheck: count epochs >= 1\n", 4, "no 'task:'"),
    ("---\ntitle: t\n---\n## s\ntask:\n", 5, "needs a value"),
])
def test_missing_parts_are_named(text: str, line: int, words: str) -> None:
    _lesson, problems = parse(text)
    assert problems, text
    assert any(p.line == line and words in p.message for p in problems), problems


def test_load_raises_with_every_problem_and_file_line_texts(tmp_path) -> None:
    path = tmp_path / "bad.lesson.md"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(LessonError) as info:
        load(path)
    lines = info.value.lines()
    assert len(lines) == 11 and lines[0].startswith(f"{path}:3: ")
    (tmp_path / "latin.lesson.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    with pytest.raises(LessonError, match="line 2: is not UTF-8"):
        load(tmp_path / "latin.lesson.md")
    with pytest.raises(LessonError, match="cannot be read"):
        load(tmp_path / "missing.lesson.md")


def test_checks_compare_numbers_and_words_without_evaluating_code() -> None:
    c = parse_check("metric car_error:A < $1,000")
    assert c.value == 1000 and c.holds(999.0) and not c.holds(1000.0)
    assert not c.holds(None) and not c.holds(float("nan"))
    eq = parse_check("weight n/W[0] == 0.7 within 0.01")
    assert eq.holds(0.699999) and eq.holds(0.705) and not eq.holds(0.72)
    on = parse_check("widget logScaleCheck.checked == yes")
    assert on.holds(True) and not on.holds(False)
    assert parse_check("widget actionPlay.enabled == true").holds(True)
    assert parse_check("widget lrSpin.enabled != off").holds(True)
    word = parse_check("metric state == finished")
    assert word.holds("Finished") and not word.holds("running")
    assert parse_number("90%") == pytest.approx(0.9)
    for bad, words in [("metric accuracy", "KIND TARGET OP VALUE"),
                       ("code __import__('os') == 1", "unknown check kind"),
                       ("metric state < finished", "compares numbers"),
                       ("widget lrSpin >= 1", "CONTROL.READING"),
                       ("output a,b == 1", "numbers separated by commas"),
                       ("count mistakes <= 3 within", "one value")]:
        with pytest.raises(ValueError, match=words):
            parse_check(bad)


def test_the_perceptrons_passes_are_measured_from_what_the_window_counted() -> None:
    from nnstudio.lessons.measures import Context, Measurer
    from nnstudio.lessons.setup import view_name

    m = Measurer()
    mistakes = parse_check("count pass_mistakes == 0 | Mistakes in the last pass: {value}")
    ended = parse_check("metric outcome == separated")
    before = Context(values={"pass_mistakes": None, "outcome": None, "passes": 0})
    assert m.measure(mistakes, before) is None and not mistakes.holds(None)
    assert m.label(mistakes, None) == "Mistakes in the last pass: not measured yet · goal: 0"
    assert not ended.holds(m.measure(ended, before))
    after = Context(values={"pass_mistakes": 0.0, "outcome": "separated", "passes": 6})
    assert mistakes.holds(m.measure(mistakes, after)) and ended.holds(m.measure(ended, after))
    assert not parse_check("metric outcome == cycle").holds(m.measure(ended, after))
    assert m.measure(parse_check("count passes >= 20"), after) == 6
    assert view_name("ideal") == "idealDigitsView"


def test_actions_and_setup_values_are_checked_when_read() -> None:
    assert parse_action("set lrSpin 0.05").arg == "lrSpin 0.05"
    assert parse_action("train 20").number == 20
    for bad in ("set lrSpin", "click", "perceptron", "train many", "fit 0", "page nowhere"):
        with pytest.raises(ValueError):
            parse_action(bad)
    assert parse_settings("lr=0.5 batch=3 optimizer=sgd") == {"lr": 0.5, "batch": 3,
                                                              "optimizer": "sgd"}
    with pytest.raises(ValueError, match="optimizer"):
        parse_settings("optimizer=magic")
    assert parse_data("synthetic:100 size=16") == ("synthetic:100", 16)
    spec, size = parse_data("csv:bank_churn.csv:label=left")
    assert spec.startswith("csv:/") and spec.endswith("bank_churn.csv:label=left")
    with pytest.raises(ValueError, match="neither next to the lesson"):
        parse_data("csv:nothere.csv:label=x")
    design = build_design("chain 1x16x16 conv:4:3:relu pool:2 flatten dense:10:softmax")
    assert [n.kind for n in design.nodes.values()] == ["Input", "Conv2D", "MaxPool2D",
                                                       "Flatten", "Dense", "Output"]
    with pytest.raises(ValueError, match="cannot work"):
        build_design("chain 2 conv:4:3 dense:1")
    assert describe("design", "chain 1x16x16 conv:4:3:relu pool:2 flatten dense:10:softmax "
                              "loss=cross_entropy") == \
        "1×16×16 inputs → Conv 4 of 3×3 (relu) → Pool 2×2 → Flatten → Dense 10 (softmax)"
    assert describe("data", f"csv:{spec[4:]} size=16").startswith("bank_churn.csv")
    assert describe("weights", "seed 3") == "new random weights"
    import numpy as np

    filled = fill_weights({"n/W": np.zeros((2, 1), np.float32)}, {"n/W": [0.5, 0.7]})
    assert filled["n/W"][:, 0].tolist() == pytest.approx([0.5, 0.7])
    with pytest.raises(ValueError, match="holds 2 numbers; 3"):
        fill_weights({"n/W": np.zeros((2, 1))}, {"n/W": [1, 2, 3]})


def test_shipped_lessons_all_parse_and_own_lessons_join_them(tmp_path) -> None:
    shipped = find_lessons(yours=tmp_path)
    assert len(shipped) >= 11 and all(e.ok for e in shipped), \
        [(e.path.name, e.problems) for e in shipped if not e.ok]
    assert [e.lesson.order for e in shipped] == sorted(e.lesson.order for e in shipped)
    (tmp_path / "mine.lesson.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "broken.lesson.md").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "notes.md").write_text("not a lesson", encoding="utf-8")
    found = find_lessons(yours=tmp_path)
    mine = [e for e in found if e.source == "yours"]
    assert [(e.id, e.ok) for e in mine] == [("mine", True), ("broken", False)]
    assert mine[1].problems[0].line == 3


def test_progress_is_kept_between_launches_and_survives_a_bad_file(tmp_path) -> None:
    path = tmp_path / "p.json"
    p = Progress(path)
    p.mark_done("neuron", 0)
    p.mark_done("neuron", 2)
    p.set_current("neuron", 2)
    again = Progress(path)
    assert again.done("neuron") == {0, 2} and again.current("neuron") == 2
    assert again.fraction("neuron", 4) == 0.5
    again.forget("neuron")
    assert Progress(path).done("neuron") == set()
    path.write_text("{not json", encoding="utf-8")
    assert Progress(path).done("neuron") == set()
