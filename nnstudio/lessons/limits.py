"""The range of every number a lesson gives, and the size of what a lesson may ask for.

A lesson file is written by someone else: each number in it is checked against a range
here when the file is read, so the checker (``nnstudio lessons check``) and the window
refuse the same things, with the line. The ranges are wide enough for any real lesson and
small enough that nothing a lesson asks for keeps the window busy for long.
"""

from __future__ import annotations

import math
import re

#: a lesson file larger than this is refused before it is parsed
MAX_FILE_BYTES = 256 * 1024
#: parsing stops after this many problems (the first ones are what needs fixing)
MAX_PROBLEMS = 50
#: characters of one line, and of the text of one step (the window lays it out as it opens)
MAX_LINE = 2_000
MAX_STEP_TEXT = 12_000
#: checks, hints, actions, buttons, names locked or hidden, set-up lines of one step; steps
MAX_PER_STEP = 30
MAX_STEPS = 100
#: epochs a ``train`` / ``fit`` action or the ``epochs`` setting may ask for
MAX_EPOCHS = 10_000
#: passes a ``perceptron`` action may ask for
MAX_PASSES = 10_000
#: largest seed (numpy's seeds are 32-bit)
MAX_SEED = 2**32 - 1
#: trainable numbers a lesson's design may have (the shipped digit model has ~100,000)
MAX_PARAMS = 3_000_000
#: training memory of a lesson's design for a batch of 32, in bytes
MAX_DESIGN_BYTES = 512 * 2**20
#: layers of a ``chain`` design
MAX_LAYERS = 32
#: inputs of a ``chain`` design (all dimensions multiplied)
MAX_INPUTS = 65_536
#: any whole number in a data source (samples, noise, ...) and any weight or input value
MAX_DATA_NUMBER = 100_000
MAX_VALUE = 1e6
#: values given to one weights directive, inputs of an output/sum check
MAX_VALUES = 100_000
#: seconds before the first hint
HINT_AFTER = (1.0, 3600.0)
#: the training settings' ranges (inclusive)
SETTING_RANGES: dict[str, tuple[float, float]] = {
    "lr": (1e-7, 10.0), "batch": (1, 65_536), "epochs": (1, MAX_EPOCHS),
    "l2": (0.0, 1.0), "val": (0, 90), "shift": (0, 8), "seed": (0, MAX_SEED),
}

_NUMBER = re.compile(r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?")


def in_range(value: float, low: float, high: float, what: str) -> float:
    """``value`` when it is a finite number in [low, high].

    Raises
    ------
    ValueError
        Saying the range.
    """
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{what} must be a number from {low:g} to {high:g}, not {value!r}")
    return value


def whole(text: str, low: int, high: int, what: str) -> int:
    """``text`` as a whole number in [low, high] (no sign, no exponent: just digits).

    Raises
    ------
    ValueError
        Not digits, or out of range.
    """
    t = text.strip()
    if not t.isdigit() or len(t) > 12:
        raise ValueError(f"{what} is a whole number from {low:,} to {high:,}, not {t[:20]!r}")
    n = int(t)
    if not low <= n <= high:
        raise ValueError(f"{what} must be from {low:,} to {high:,}, not {n:,}")
    return n


def numbers_in(text: str, high: float, what: str) -> None:
    """Refuse ``text`` (e.g. a data source) when any number written in it is above ``high``.

    Raises
    ------
    ValueError
    """
    for m in _NUMBER.finditer(text):
        try:
            value = float(m.group())
        except ValueError:  # pragma: no cover - the pattern is a float
            continue
        if not math.isfinite(value) or value > high:
            raise ValueError(f"{what}: {m.group()[:20]} is too large (at most {high:,g})")
