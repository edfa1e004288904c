"""Actions a step performs for the learner: "show me" and the step's own buttons.

An action is a verb and its argument, checked when the lesson is read; the window carries it
out (:mod:`nnstudio.gui.lessons.runner`). No Qt here.

=============  ==============================================================
verb           does
=============  ==============================================================
set NAME V     gives the control NAME the value V (a spin box, slider, check box,
               or the item of a list whose data or text is V)
click NAME     clicks the button, or triggers the action, NAME
train [N]      trains for N epochs (default: the Epochs setting) with Play
perceptron N   N passes of the perceptron rule over the loaded data (with Play)
reset [SEED]   new random weights
fit N          as ``train N``
design ...     as the setup key ``design:``; likewise weights, data, settings,
page ...       page and view
=============  ==============================================================

``set`` and ``click`` name only the controls of :data:`~.controls.CONTROLS` that take a
value or are pressed; every number has the range of :mod:`.limits`. Training (``train``,
``fit``, ``perceptron``) always runs in the training process, off the window's thread, and
the toolbar's Stop ends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nnstudio.lessons import limits
from nnstudio.lessons.controls import control
from nnstudio.lessons.setup import SETUP_KEYS, check_setup

VERBS = ("set", "click", "train", "perceptron", "reset", "fit") + SETUP_KEYS
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Action:
    """``verb argument``, from line ``line`` of a lesson file."""

    verb: str
    arg: str = ""
    line: int = 0

    def describe(self) -> str:
        return f"{self.verb} {self.arg}".strip()

    @property
    def number(self) -> int | None:
        """The argument as a whole number, or None when there is none."""
        return int(self.arg) if self.arg else None


def _set_value(value: str) -> None:
    """Refuse a value for ``set`` that no control can take: a number out of range, or long
    text."""
    if len(value) > 80:
        raise ValueError("'set' gives a control a number or a short word")
    try:
        number = float(value)
    except ValueError:
        return
    limits.in_range(number, -limits.MAX_VALUE, limits.MAX_VALUE, "a value to set")


def parse_action(text: str, line: int = 0) -> Action:
    """Parse ``show:`` / ``do:`` text into an :class:`Action`.

    Raises
    ------
    ValueError
        Unknown verb or an argument it cannot take.
    """
    verb, _, arg = text.strip().partition(" ")
    arg = arg.strip()
    if verb not in VERBS:
        raise ValueError(f"unknown action {verb!r}: use one of {', '.join(VERBS)}")
    if verb == "set":
        name, _, value = arg.partition(" ")
        if not _NAME.match(name) or not value.strip():
            raise ValueError("'set' is 'set objectName VALUE', e.g. 'set lrSpin 0.05'")
        control(name, "set")
        _set_value(value.strip())
    elif verb == "click":
        if not _NAME.match(arg):
            raise ValueError("'click' names a button or action by objectName, e.g. "
                             "'click actionPlay'")
        control(arg, "click")
    elif verb in ("train", "reset", "perceptron", "fit"):
        if verb in ("perceptron", "fit") and not arg:
            raise ValueError(f"'{verb}' takes a number of passes, e.g. '{verb} 5'")
        if arg and not arg.isdigit():
            raise ValueError(f"'{verb}' takes a whole number, not {arg[:20]!r}")
        if arg and verb == "reset":
            limits.whole(arg, 0, limits.MAX_SEED, "'reset' takes a seed that")
        elif arg:
            high = limits.MAX_PASSES if verb == "perceptron" else limits.MAX_EPOCHS
            limits.whole(arg, 1, high, f"'{verb}' takes a number that")
    else:
        check_setup(verb, arg)
    return Action(verb, arg, line)
