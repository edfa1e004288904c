"""The lesson file format: a small header and steps, in plain text a teacher can write.

A lesson file is Markdown with a header between two ``---`` lines; it is named
``NAME.lesson.md``::

    ---
    title: A neuron
    order: 1
    summary: Inputs, weights, a bias and a step.
    hint after: 30
    ---
    Optional text shown above the first step.

    ## Weights and a bias
    page: design
    design: template perceptron
    weights: neuron/W = 0 0; neuron/b = -1
    lock: templateChooser

    Any line that is not a directive is text for the learner. Blank lines end paragraphs.

    task: Give the two weights the values 0.5 and 0.7.
    check: weight neuron/W[0] == 0.5 within 0.01 | The first weight is {value}
    hint: Click a line between two neurons to edit its weight.
    show: weights neuron/W = 0.5 0.7
    do: One pass of the perceptron rule | perceptron 1

Every ``## `` heading starts a step. A directive is a line ``key: value`` whose key is one
of :data:`STEP_KEYS` (in a step) or :data:`HEADER_KEYS` (in the header); a line whose first
word is close to a key (``chek:``) is reported as a likely misspelling, other lines are
text. Setup keys (``page``, ``view``, ``design``, ``data``, ``weights``, ``settings``) say
what the app sets up when the step opens; ``lock`` and ``hide`` name controls (only those of
:data:`~nnstudio.lessons.controls.CONTROLS`) that are disabled or hidden while it is open.
``check`` lines are data, never code: see :mod:`.checks`. ``show`` lines are the actions
"show me" performs; ``do`` lines are buttons the step offers.

Parsing never raises on a bad file: :func:`parse` returns the lesson (possibly partial)
and a list of :class:`Problem` with line numbers; :func:`load` raises :class:`LessonError`
carrying all of them. Every number has a range (:mod:`.limits`), files come only from the
lesson's own folder or the shipped data (:mod:`.files`), and :func:`load` refuses a file
larger than :data:`~.limits.MAX_FILE_BYTES`. This is the one validation: ``nnstudio lessons
check`` and the window both read lessons with :func:`load`, so they refuse the same things.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from nnstudio.lessons.limits import (
    HINT_AFTER,
    MAX_FILE_BYTES,
    MAX_LINE,
    MAX_PER_STEP,
    MAX_PROBLEMS,
    MAX_STEP_TEXT,
    MAX_STEPS,
    in_range,
)
from nnstudio.lessons.setup import SETUP_KEYS

#: keys allowed in the header
HEADER_KEYS = ("title", "order", "summary", "hint after", "lock", "hide", "id")
#: every key allowed in a step
STEP_KEYS = SETUP_KEYS + ("lock", "hide", "task", "check", "hint", "show", "do")
SUFFIX = ".lesson.md"

_DIRECTIVE = re.compile(r"^([a-z][a-z ]{0,14}):\s*(.*)$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a lesson file, at a 1-based line (0: the file as a whole)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class LessonError(ValueError):
    """A lesson file that cannot be used; ``problems`` says where and why."""

    def __init__(self, path: str | Path | None, problems: list[Problem]) -> None:
        self.path = None if path is None else Path(path)
        self.problems = list(problems)
        where = f"{self.path}: " if self.path else ""
        super().__init__(where + "; ".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        """One ``FILE:LINE: message`` text per problem (as compilers print them)."""
        name = str(self.path) if self.path else "<lesson>"
        return [f"{name}:{p.line}: {p.message}" for p in self.problems]


@dataclass
class Directive:
    """A ``key: value`` line of a step, kept with its line number."""

    key: str
    value: str
    line: int


@dataclass
class Step:
    """One step of a lesson.

    Attributes
    ----------
    title : str
    text : list of str
        Paragraphs for the learner.
    setup : list of Directive
        What the app sets up when the step opens (keys of :data:`SETUP_KEYS`), in file order.
    lock, hide : list of str
        objectNames of widgets disabled / hidden while the step is open.
    task : str
        What the learner should do ("" for a step that only explains).
    checks : list
        :class:`~nnstudio.lessons.checks.Check` objects; all must hold for the step to be met.
    hints : list of str
        Shown one after another while the learner works on the step.
    show : list
        :class:`~nnstudio.lessons.actions.Action` objects "show me" performs in order.
    buttons : list of (str, Action)
        Buttons the step offers the learner (label, action).
    line : int
        Line of the step's heading.
    """

    title: str
    line: int
    text: list[str] = field(default_factory=list)
    setup: list[Directive] = field(default_factory=list)
    lock: list[str] = field(default_factory=list)
    hide: list[str] = field(default_factory=list)
    task: str = ""
    checks: list = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    show: list = field(default_factory=list)
    buttons: list = field(default_factory=list)

    def setup_value(self, key: str) -> str | None:
        """The value of the last setup directive ``key`` of this step, if any."""
        found = [d.value for d in self.setup if d.key == key]
        return found[-1] if found else None


@dataclass
class Lesson:
    """A parsed lesson file.

    Attributes
    ----------
    id : str
        Stable identifier (progress is kept under it): the header's ``id`` or the file name
        without ``.lesson.md``.
    title, summary, intro : str
    order : float
        Sort key of the lesson list (lessons without one come last).
    hint_after : float
        Seconds before the first hint appears (then the next after as long again).
    lock, hide : list of str
        objectNames locked / hidden during the whole lesson.
    steps : list of Step
    path : Path or None
    source : str
        ``"shipped"`` or ``"yours"`` (from the person's data folder).
    """

    id: str
    title: str
    steps: list[Step] = field(default_factory=list)
    summary: str = ""
    intro: str = ""
    order: float = 1e9
    hint_after: float = 30.0
    lock: list[str] = field(default_factory=list)
    hide: list[str] = field(default_factory=list)
    path: Path | None = None
    source: str = "shipped"


def _names(value: str) -> list[str]:
    return [n.strip() for n in value.split(",") if n.strip()]


def _controls(value: str, use: str) -> list[str]:
    """The controls ``lock:`` or ``hide:`` names (only those of :data:`.controls.CONTROLS`)."""
    from nnstudio.lessons.controls import control

    names = _names(value)
    for name in names:
        control(name, use)
    return names


def _lesson_id(path: str | Path | None) -> str:
    if path is None:
        return "lesson"
    name = Path(path).name
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else Path(path).stem


def _paragraphs(lines: list[str]) -> list[str]:
    paras: list[str] = []
    current: list[str] = []
    for text in lines:
        if text.strip():
            current.append(text.strip())
        elif current:
            paras.append(" ".join(current))
            current = []
    if current:
        paras.append(" ".join(current))
    return paras


def _header(lines: list[str], problems: list[Problem], lesson: Lesson) -> int:
    """Read the header; returns the index of the first line after it."""
    if not lines or lines[0].strip() != "---":
        problems.append(Problem(1, "a lesson starts with a header: a line '---', then "
                                   "'title: ...', then another '---'"))
        return 0
    for i in range(1, len(lines)):
        raw = lines[i].strip()
        if raw == "---":
            break
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem(i + 1, f"more than {MAX_PROBLEMS} problems: reading "
                                           "stopped here; fix these first"))
            return len(lines)
        if not raw or raw.startswith("#"):
            continue
        m = _DIRECTIVE.match(raw)
        if not m or m.group(1) not in HEADER_KEYS:
            problems.append(Problem(i + 1, f"the header allows only {', '.join(HEADER_KEYS)}"
                                           f" (one 'key: value' a line), not {raw[:40]!r}"))
            continue
        key, value = m.group(1), m.group(2).strip()
        if key == "title":
            lesson.title = value
        elif key == "id":
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
                problems.append(Problem(i + 1, "an id is letters, digits, '-', '_' or '.'"))
            else:
                lesson.id = value
        elif key == "summary":
            lesson.summary = value
        elif key in ("order", "hint after"):
            low, high = (-1e6, 1e6) if key == "order" else HINT_AFTER
            try:
                number = in_range(float(value[:40]), low, high, f"'{key}'")
            except ValueError:
                problems.append(Problem(i + 1, f"'{key}' takes a number from {low:g} to "
                                               f"{high:g}" + (" (seconds)" if key !=
                                                              "order" else "")
                                               + f", not {value[:40]!r}"))
                continue
            if key == "order":
                lesson.order = number
            else:
                lesson.hint_after = number
        elif key in ("lock", "hide"):
            try:
                names = _controls(value, key)
            except ValueError as err:
                problems.append(Problem(i + 1, str(err)))
                continue
            getattr(lesson, key).extend(names)
    else:
        problems.append(Problem(1, "the header is not closed: add a line '---' after it"))
        return len(lines)
    if not lesson.title:
        problems.append(Problem(1, "the header has no 'title: ...' line"))
    return i + 1


def parse(text: str, path: str | Path | None = None) -> tuple[Lesson, list[Problem]]:
    """Parse a lesson; never raises.

    Returns
    -------
    (Lesson, list of Problem)
        The lesson as far as it could be read, and what is wrong with it (empty: usable).
    """
    from nnstudio.lessons.actions import parse_action
    from nnstudio.lessons.checks import parse_check
    from nnstudio.lessons.setup import check_setup  # noqa: I001

    lesson = Lesson(id=_lesson_id(path), title="", path=None if path is None else Path(path))
    problems: list[Problem] = []
    base = None if path is None else Path(path).resolve().parent
    lines = text.splitlines()
    start = _header(lines, problems, lesson)
    intro: list[str] = []
    step: Step | None = None
    body: list[str] = intro
    for i in range(start, len(lines)):
        n = i + 1
        if len(problems) >= MAX_PROBLEMS:
            problems.append(Problem(n, f"more than {MAX_PROBLEMS} problems: reading stopped "
                                       "here; fix these first"))
            break
        raw = lines[i].rstrip()
        if len(raw) > MAX_LINE:
            problems.append(Problem(n, f"the line is {len(raw):,} characters long; a line "
                                       f"has at most {MAX_LINE:,}"))
            continue
        stripped = raw.strip()
        if stripped.startswith("## "):
            if step is not None:
                step.text = _paragraphs(body)
            step = Step(title=stripped[3:].strip(), line=n)
            lesson.steps.append(step)
            body = []
            continue
        if stripped.startswith("#") and not stripped.startswith("##"):
            problems.append(Problem(n, "a step starts with '## ' (two hashes and a space)"))
            continue
        m = _DIRECTIVE.match(stripped)
        if m is None or m.group(1) not in STEP_KEYS:
            near = difflib.get_close_matches(m.group(1), STEP_KEYS, 1, 0.75) if m else []
            if near:  # "chek:" is a misspelt directive, "rate: ..." just text
                problems.append(Problem(n, f"unknown directive '{m.group(1)}:' (did you mean "
                                           f"'{near[0]}:'?); a step knows "
                                           f"{', '.join(STEP_KEYS)}"))
            else:
                body.append(raw)
            continue
        key, value = m.group(1), m.group(2).strip()
        if step is None:
            problems.append(Problem(n, f"'{key}:' must be inside a step: start one with "
                                       "'## Title' first"))
            continue
        if not value:
            problems.append(Problem(n, f"'{key}:' needs a value"))
            continue
        try:
            if key in SETUP_KEYS:
                check_setup(key, value, base)
                step.setup.append(Directive(key, value, n))
            elif key in ("lock", "hide"):
                getattr(step, key).extend(_controls(value, key))
            elif key == "task":
                step.task = (step.task + " " + value).strip()
            elif key == "hint":
                step.hints.append(value)
            elif key == "check":
                step.checks.append(parse_check(value, n))
            elif key == "show":
                step.show.append(parse_action(value, n))
            elif key == "do":
                label, sep, action = value.partition("|")
                if not sep or not label.strip() or not action.strip():
                    raise ValueError("'do:' is 'Button label | action', e.g. "
                                     "'do: One pass | perceptron 1'")
                step.buttons.append((label.strip(), parse_action(action.strip(), n)))
        except ValueError as err:
            problems.append(Problem(n, str(err)))
    if step is not None:
        step.text = _paragraphs(body)
    lesson.intro = "\n\n".join(_paragraphs(intro))
    if not lesson.steps and start < len(lines) + 1:
        problems.append(Problem(max(1, start), "the lesson has no steps: start each with "
                                                "'## Title'"))
    if len(lesson.steps) > MAX_STEPS:
        problems.append(Problem(lesson.steps[MAX_STEPS].line, f"a lesson has at most "
                                                              f"{MAX_STEPS} steps"))
    if len(lesson.lock) + len(lesson.hide) > MAX_PER_STEP:
        problems.append(Problem(1, f"the header locks or hides more than {MAX_PER_STEP} "
                                   "controls"))
    if len(lesson.intro) > MAX_STEP_TEXT:
        problems.append(Problem(start + 1, f"the text before the first step is "
                                           f"{len(lesson.intro):,} characters long; it has at "
                                           f"most {MAX_STEP_TEXT:,}"))
    for s in lesson.steps:
        size = sum(len(p) for p in s.text) + len(s.task) + sum(len(h) for h in s.hints)
        if size > MAX_STEP_TEXT:
            problems.append(Problem(s.line, f"step '{s.title[:40]}' has {size:,} characters of "
                                            f"text; a step has at most {MAX_STEP_TEXT:,}: "
                                            "split it into steps"))
        for what, items in (("checks", s.checks), ("hints", s.hints), ("show actions", s.show),
                            ("buttons", s.buttons), ("locked or hidden controls",
                                                     s.lock + s.hide),
                            ("set-up lines", s.setup)):
            if len(items) > MAX_PER_STEP:
                problems.append(Problem(s.line, f"step '{s.title[:40]}' has {len(items):,} "
                                                f"{what}; a step has at most {MAX_PER_STEP}"))
        if not s.title:
            problems.append(Problem(s.line, "a step needs a title after '## '"))
        if s.checks and not s.task:
            problems.append(Problem(s.line, f"step '{s.title}' has checks but no 'task:' "
                                            "line telling the learner what to do"))
    return lesson, problems


def load(path: str | Path, source: str = "shipped") -> Lesson:
    """Read and parse a lesson file.

    Raises
    ------
    LessonError
        The file cannot be read or has problems; ``problems`` lists them with lines.
    """
    p = Path(path)
    try:
        with p.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise LessonError(p, [Problem(0, f"cannot be read ({err.strerror or err})")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise LessonError(p, [Problem(0, f"is larger than {MAX_FILE_BYTES // 1024} KB: a "
                                         "lesson is a short text file")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise LessonError(p, [Problem(line, "is not UTF-8 text: save it as UTF-8")]) from None
    lesson, problems = parse(text, p)
    if problems:
        raise LessonError(p, problems)
    lesson.source = source
    return lesson
