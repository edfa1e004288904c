"""Checks as data: a measured quantity compared with a value, never code to evaluate.

A ``check:`` line reads ``KIND TARGET OP VALUE [within TOL] [| LABEL]``:

=========  ==============================  ==========================================
KIND       TARGET                          measures
=========  ==============================  ==========================================
metric     a name of :data:`~.quantities.METRICS`  e.g. ``accuracy``, ``car_error:A``
count      a name of :data:`~.quantities.COUNTS`  e.g. ``mistakes``, ``layers:Conv2D``
weight     ``node/W[i,j]`` or ``node/b[k]``  one weight or bias of the network
output     inputs, e.g. ``0.5,0.6``        the network's first output for them
sum        inputs, e.g. ``0.5,0.6``        a one-neuron network's weighted sum + bias
widget     ``CONTROL.READING``             a control's value (``lrSpin.value``)
=========  ==============================  ==========================================

``OP`` is one of ``< <= > >= == !=``; ``==`` and ``!=`` on numbers allow a tolerance
(``within 0.01``; default 1e-4). ``VALUE`` is a number (``1,000`` and ``90%`` are allowed:
``90%`` is 0.9) or a word (compared as text). ``LABEL`` is shown live next to the check;
``{value}`` in it becomes the measured value in the quantity's unit.

A ``widget`` check names one of the controls of :data:`~.controls.CONTROLS` and one of the
readings it offers (:data:`~.controls.READINGS`: ``value``, ``text``, ``choice``,
``checked``, ``enabled``, ``visible``); the window has a fixed reader for each, so a check
never calls anything a lesson names.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from typing import Any

from nnstudio.lessons.quantities import COUNTS, METRICS, split_name

KINDS = ("metric", "count", "weight", "output", "sum", "widget")
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
       "==": None, "!=": None}
DEFAULT_TOLERANCE = 1e-4

_WEIGHT = re.compile(r"^([A-Za-z0-9_]+/[A-Za-z0-9_]+)(?:\[(\d+(?:\s*,\s*\d+)*)\])?$")
_WIDGET = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$")


def parse_number(text: str) -> float:
    """``"1,000"`` -> 1000.0, ``"90%"`` -> 0.9, ``"$1,000"`` -> 1000.0; ValueError otherwise."""
    t = text.strip().replace(",", "").replace("_", "").lstrip("$")
    scale = 1.0
    if t.endswith("%"):
        t, scale = t[:-1], 0.01
    value = float(t) * scale
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


def parse_inputs(text: str) -> tuple[float, ...]:
    """``"0.5,0.6"`` -> (0.5, 0.6)."""
    from nnstudio.lessons.limits import MAX_VALUE, in_range

    if len(text) > 4000:
        raise ValueError("a check gives at most a few hundred input values")
    try:
        values = tuple(in_range(float(v), -MAX_VALUE, MAX_VALUE, "an input")
                       for v in text.split(",") if v.strip())
    except ValueError:
        raise ValueError(f"inputs are numbers separated by commas, e.g. 0.5,0.6 (not "
                         f"{text!r})") from None
    if not values:
        raise ValueError("give at least one input value, e.g. 0.5,0.6")
    return values


@dataclass(frozen=True)
class Check:
    """``kind target op value``: what is measured and what it must be.

    Attributes
    ----------
    kind, target, op : str
    value : float or str
    tolerance : float
        For ``==`` / ``!=`` on numbers.
    label : str
        Live text; ``{value}`` is replaced by the measurement.
    line : int
        Line in the lesson file (0 when made in code).
    """

    kind: str
    target: str
    op: str
    value: float | str
    tolerance: float = DEFAULT_TOLERANCE
    label: str = ""
    line: int = 0

    def describe(self) -> str:
        """The check as written, e.g. ``metric accuracy >= 0.9``."""
        return f"{self.kind} {self.target} {self.op} {self.value}"

    def holds(self, measured: Any) -> bool:
        """Whether ``measured`` meets the check (None, NaN: not measured yet, so no)."""
        if measured is None:
            return False
        if isinstance(self.value, str):
            text = str(measured).strip().lower()
            want = self.value.lower()
            if isinstance(measured, bool):  # a yes / no reading: "yes", "true", "on"
                text = "yes" if measured else "no"
                want = {"true": "yes", "on": "yes", "false": "no", "off": "no"}.get(want, want)
            if self.op == "==":
                return text == want
            if self.op == "!=":
                return text != want
            return False
        try:
            number = float(measured)
        except (TypeError, ValueError):
            return False
        if math.isnan(number):
            return False
        if self.op == "==":
            return abs(number - self.value) <= self.tolerance
        if self.op == "!=":
            return abs(number - self.value) > self.tolerance
        return bool(OPS[self.op](number, self.value))


def parse_check(text: str, line: int = 0) -> Check:
    """Parse a ``check:`` value.

    Raises
    ------
    ValueError
        With a sentence saying what is wrong and what is expected.
    """
    body, _, label = text.partition("|")
    parts = body.split()
    if len(parts) < 4:
        raise ValueError(f"a check is 'KIND TARGET OP VALUE', e.g. 'metric accuracy >= 0.9'"
                         f" (got {body.strip()!r})")
    kind, target, op = parts[0], parts[1], parts[2]
    rest = parts[3:]
    if kind not in KINDS:
        raise ValueError(f"unknown check kind {kind!r}: use one of {', '.join(KINDS)}")
    if op not in OPS:
        raise ValueError(f"unknown comparison {op!r}: use one of {' '.join(OPS)}")
    tolerance = DEFAULT_TOLERANCE
    if len(rest) == 3 and rest[1] == "within":
        try:
            tolerance = abs(parse_number(rest[2]))
        except ValueError:
            raise ValueError(f"'within' takes a number, not {rest[2]!r}") from None
        rest = rest[:1]
    if len(rest) != 1:
        raise ValueError(f"after {op!r} comes one value, optionally 'within TOL' "
                         f"(got {' '.join(rest)!r})")
    raw = rest[0]
    value: float | str
    try:
        value = parse_number(raw)
    except ValueError:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_:.-]*", raw):
            raise ValueError(f"{raw!r} is neither a number nor a word") from None
        value = raw
    if isinstance(value, str) and op not in ("==", "!="):
        raise ValueError(f"{op!r} compares numbers; a word ({raw!r}) takes == or !=")
    if kind == "metric":
        name, _arg = split_name(target)
        if name not in METRICS:
            raise ValueError(f"unknown metric {target!r}: known are {', '.join(METRICS)}")
    elif kind == "count":
        name, _arg = split_name(target)
        if name not in COUNTS:
            raise ValueError(f"unknown count {target!r}: known are {', '.join(COUNTS)}")
    elif kind == "weight":
        if not _WEIGHT.match(target):
            raise ValueError(f"a weight is 'node/W[i,j]' or 'node/b[k]', not {target!r}")
    elif kind in ("output", "sum"):
        parse_inputs(target)
    elif kind == "widget":
        m = _WIDGET.match(target)
        if not m:
            raise ValueError(f"a widget check names 'CONTROL.READING', e.g. 'lrSpin.value',"
                             f" not {target[:40]!r}")
        from nnstudio.lessons.controls import reading

        reading(m.group(1), m.group(2))
    return Check(kind, target, op, value, tolerance, label.strip(), line)


def weight_target(target: str) -> tuple[str, tuple[int, ...]]:
    """``"fc1/W[0,1]"`` -> ("fc1/W", (0, 1)); no index -> ()."""
    m = _WEIGHT.match(target)
    if m is None:
        raise ValueError(f"not a weight: {target!r}")
    index = tuple(int(i) for i in m.group(2).split(",")) if m.group(2) else ()
    return m.group(1), index


def widget_target(target: str) -> tuple[str, str]:
    """``"lrSpin.value"`` -> ("lrSpin", "value")."""
    m = _WIDGET.match(target)
    if m is None:
        raise ValueError(f"not a widget property: {target!r}")
    return m.group(1), m.group(2)
