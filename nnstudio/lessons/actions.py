"""Actions a step performs for the learner: "show me" and the step's own buttons.

An action is a verb and its argument, checked when the lesson is read; the window carries it
out (:mod:`nnstudio.gui.lessons.runner`). No Qt here.

=============  ==============================================================
verb           does
=============  ==============================================================
set NAME V     gives the widget with objectName NAME the value V (a spin box,
               slider, check box, or the item of a list whose data or text is V)
click NAME     clicks the button, or triggers the action, with objectName NAME
train [N]      trains for N epochs (default: the Epochs setting) with Play
perceptron N   N passes of the perceptron rule over the loaded data
reset [SEED]   new random weights
fit N          trains the network right here for N epochs (small data only)
design ...     as the setup key ``design:``; likewise weights, data, settings,
page ...       page and view
=============  ==============================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    elif verb == "click":
        if not _NAME.match(arg):
            raise ValueError("'click' names a button or action by objectName, e.g. "
                             "'click actionPlay'")
    elif verb in ("train", "reset", "perceptron", "fit"):
        if verb in ("perceptron", "fit") and not arg:
            raise ValueError(f"'{verb}' takes a number of passes, e.g. '{verb} 5'")
        if arg and not arg.isdigit():
            raise ValueError(f"'{verb}' takes a whole number, not {arg!r}")
        if verb in ("perceptron", "fit", "train") and arg and int(arg) < 1:
            raise ValueError(f"'{verb}' takes a number of at least 1")
    else:
        check_setup(verb, arg)
    return Action(verb, arg, line)
