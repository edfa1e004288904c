"""Finding lessons (shipped and the person's own) and keeping the learner's progress.

Shipped lessons live in ``nnstudio/resources/lessons``; a teacher's or learner's own lessons
in the ``lessons`` folder of the data folder (``NNSTUDIO_DATA_DIR`` or platformdirs' user
data folder). A broken file is listed with its problems instead of stopping anything.
Progress is a small JSON file in the data folder, written atomically; a damaged one (not JSON,
NaN, Infinity, wrong types) is read as "nothing done yet" where it is damaged.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

from nnstudio.lessons.format import SUFFIX, Lesson, LessonError, Problem, load

log = logging.getLogger(__name__)
PROGRESS_FILE = "lessons-progress.json"
#: a step index a progress file may hold (anything larger is damage)
MAX_STEPS = 10_000
#: a progress file larger than this is damage (it holds a few numbers per lesson)
MAX_PROGRESS_BYTES = 1 << 20


def _step_index(value: object) -> int | None:
    """A step index from the progress file: a whole number 0..MAX_STEPS, else None (NaN,
    Infinity, text, booleans and huge numbers are damage and ignored)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value != int(value) or not 0 <= value < MAX_STEPS:
        return None
    return int(value)


def shipped_folder() -> Path:
    """Where the lessons that come with nnstudio are."""
    from nnstudio.resources import resource_path

    return resource_path("lessons")


def user_folder() -> Path:
    """Where the person's own lessons are looked for (not created here)."""
    from nnstudio.data.cache import data_dir

    return data_dir() / "lessons"


@dataclass
class Entry:
    """One lesson file found: the lesson, or why it cannot be used.

    Attributes
    ----------
    path : Path
    source : str
        ``"shipped"`` or ``"yours"``.
    lesson : Lesson or None
        None when the file is broken.
    problems : list of Problem
    """

    path: Path
    source: str
    lesson: Lesson | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def id(self) -> str:
        if self.lesson is not None:
            return self.lesson.id
        return self.path.name[: -len(SUFFIX)] if self.path.name.endswith(SUFFIX) \
            else self.path.stem

    @property
    def title(self) -> str:
        return self.lesson.title if self.lesson is not None else self.path.name

    @property
    def ok(self) -> bool:
        return self.lesson is not None


def _scan(folder: Path, source: str) -> list[Entry]:
    try:
        files = sorted(p for p in folder.glob(f"*{SUFFIX}") if p.is_file())
    except OSError:
        return []
    entries = []
    top = folder.resolve()
    for path in files:
        if not path.resolve().is_relative_to(top):
            entries.append(Entry(path, source, None, [Problem(0, "is a link to a file outside "
                                                             "the lessons folder: not read")]))
            continue
        try:
            entries.append(Entry(path, source, load(path, source)))
        except LessonError as err:
            entries.append(Entry(path, source, None, err.problems))
        except Exception as err:  # noqa: BLE001 - a broken lesson never breaks the app
            log.exception("lesson %s could not be read", path)
            entries.append(Entry(path, source, None, [Problem(0, f"cannot be read: {err}")]))
    return entries


def find_lessons(shipped: Path | None = None, yours: Path | None = None) -> list[Entry]:
    """Every lesson file, shipped ones first, each group in lesson order.

    A lesson of the person's with the id of a shipped one keeps both, the person's marked
    as theirs.
    """
    found = _scan(shipped or shipped_folder(), "shipped")
    found += _scan(yours or user_folder(), "yours")

    def key(e: Entry) -> tuple:
        order = e.lesson.order if e.lesson is not None else 1e9
        return (e.source != "shipped", order, e.path.name)

    entries = sorted(found, key=key)
    seen: set[str] = set()
    for e in entries:
        if e.lesson is not None and e.lesson.id in seen:
            e.lesson.id = f"{e.lesson.id}@{e.source}"
        seen.add(e.id)
    return entries


class Progress:
    """Which steps of which lessons the learner has met, kept between launches.

    Parameters
    ----------
    path : Path, optional
        The JSON file (default: ``lessons-progress.json`` in the data folder).
    """

    def __init__(self, path: str | Path | None = None) -> None:
        if path is None:
            from nnstudio.data.cache import data_dir

            path = data_dir() / PROGRESS_FILE
        self.path = Path(path)
        self._data: dict[str, dict] = {}
        try:
            with self.path.open("rb") as f:
                text = f.read(MAX_PROGRESS_BYTES + 1)
            raw = json.loads(text) if len(text) <= MAX_PROGRESS_BYTES else None
            if isinstance(raw, dict):
                self._data = {str(k): v for k, v in raw.items() if isinstance(v, dict)}
        except (OSError, ValueError, RecursionError):
            self._data = {}

    def done(self, lesson_id: str) -> set[int]:
        """Indices of the steps met (anything else in a damaged file is left out)."""
        steps = self._data.get(lesson_id, {}).get("done", [])
        if not isinstance(steps, list):
            return set()
        return {i for i in (_step_index(s) for s in steps[:MAX_STEPS]) if i is not None}

    def current(self, lesson_id: str) -> int:
        """The step the learner was on last time (0 when new or unreadable)."""
        value = _step_index(self._data.get(lesson_id, {}).get("current", 0))
        return 0 if value is None else value

    def fraction(self, lesson_id: str, n_steps: int) -> float:
        """Share of the lesson's steps met, 0..1."""
        if n_steps <= 0:
            return 0.0
        return len({s for s in self.done(lesson_id) if s < n_steps}) / n_steps

    def mark_done(self, lesson_id: str, step: int) -> None:
        entry = self._data.setdefault(lesson_id, {})
        done = self.done(lesson_id) | {int(step)}
        entry["done"] = sorted(done)
        self.save()

    def set_current(self, lesson_id: str, step: int) -> None:
        self._data.setdefault(lesson_id, {})["current"] = int(step)
        self.save()

    def forget(self, lesson_id: str) -> None:
        """Start the lesson over."""
        self._data.pop(lesson_id, None)
        self.save()

    def save(self) -> None:
        """Write the file (atomically); a read-only data folder only logs a warning."""
        from nnstudio.fileio import atomic_write

        text = json.dumps(self._data, indent=1, sort_keys=True).encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, lambda f: f.write(text))
        except OSError as err:
            log.warning("lesson progress could not be saved to %s: %s", self.path, err)
