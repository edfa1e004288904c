"""The controls a lesson may name: what each is called for people, and what a lesson may do.

A lesson names controls in ``lock:`` / ``hide:`` (disabled or hidden while it is open), in
``set`` and ``click`` actions, and in ``widget NAME.READING`` checks. Only the controls of
:data:`CONTROLS` can be named, and only in the ways each allows: a lesson never reaches the
window itself, the Lesson panel's own buttons, a menu that opens files, or any method of a
widget. A check reads one of :data:`READINGS` (a fixed reader in the window for each), never
a property or method the lesson spells out.

No Qt here: the window (:mod:`nnstudio.gui.lessons.controls`) maps each reading to the one
call that reads it, and finds controls by these objectNames only.
"""

from __future__ import annotations

from dataclasses import dataclass

#: reading name -> what it is (the window has one reader for each)
READINGS: dict[str, str] = {
    "value": "the number a spin box, slider or number field shows",
    "text": "the text a list, field or button shows",
    "choice": "the chosen entry of a list (its internal value, else its text)",
    "checked": "whether a check box, or a toggle button, is on (yes / no)",
    "enabled": "whether the control can be used now (yes / no)",
    "visible": "whether the control is on screen (yes / no)",
}

#: kind of control -> the readings it offers
KIND_READINGS: dict[str, tuple[str, ...]] = {
    "number": ("value", "enabled", "visible"),
    "choice": ("text", "choice", "enabled", "visible"),
    "check": ("checked", "enabled", "visible"),
    "field": ("text", "value", "enabled", "visible"),
    "button": ("enabled", "visible"),
    "action": ("enabled", "checked"),
}


@dataclass(frozen=True)
class Control:
    """One control a lesson may name.

    Attributes
    ----------
    name : str
        Its objectName in the window.
    title : str
        What a person calls it ("the learning rate"), shown instead of ``name``.
    kind : str
        One of :data:`KIND_READINGS`: what it can be read as and set to.
    page : str
        The page it sits on (``train``, ``design``, ``inside``, ``draw``, ``toolbar``).
    """

    name: str
    title: str
    kind: str
    page: str

    @property
    def readings(self) -> tuple[str, ...]:
        return KIND_READINGS[self.kind]

    @property
    def settable(self) -> bool:
        """Whether ``set NAME VALUE`` may give it a value (not the data list: its entries
        can be the person's own files; a lesson sets its data with ``data:``)."""
        return self.kind in ("number", "choice", "check", "field") and self.name not in FIXED

    @property
    def clickable(self) -> bool:
        """Whether ``click NAME`` may press it."""
        return self.kind in ("button", "action")


#: controls a lesson may read, lock or hide but never set
FIXED = frozenset({"datasetCombo"})


def _controls(*rows: tuple[str, str, str, str]) -> dict[str, Control]:
    return {name: Control(name, title, kind, page) for name, title, kind, page in rows}


#: objectName -> Control: every control a lesson may lock, hide, set, click or read
CONTROLS: dict[str, Control] = _controls(
    # the Training panel
    ("lrSpin", "the learning rate", "number", "train"),
    ("batchSizeSpin", "the batch size", "number", "train"),
    ("epochsSpin", "the number of epochs", "number", "train"),
    ("valSplitSpin", "the held-out share", "number", "train"),
    ("l2Spin", "the L2 decay", "number", "train"),
    ("shiftSpin", "the random shift", "number", "train"),
    ("seedSpin", "the seed", "number", "train"),
    ("optimizerCombo", "the optimizer", "choice", "train"),
    ("datasetCombo", "the data list", "choice", "train"),
    ("imageSizeCombo", "the image size", "choice", "train"),
    ("smoothingSlider", "the curve smoothing", "number", "train"),
    ("logScaleCheck", "the log scale", "check", "train"),
    ("rawCheck", "the raw curve", "check", "train"),
    ("twoLayerButton", "the two-layer button", "button", "train"),
    # the Design page
    ("templateChooser", "the template chooser", "choice", "design"),
    ("thresholdEdit", "the threshold field", "field", "design"),
    ("biasEdit", "the bias field", "field", "design"),
    # the Inside page
    ("rollPreset", "the rolling ball's starting point", "choice", "inside"),
    ("rollRate", "the rolling ball's learning rate", "number", "inside"),
    ("rollStart", "the rolling ball's start", "number", "inside"),
    ("rollButton", "the Roll button", "button", "inside"),
    ("rollStepButton", "the rolling ball's Step button", "button", "inside"),
    ("rollResetButton", "the rolling ball's Reset button", "button", "inside"),
    ("idealDigitSpin", "the ideal digit chooser", "number", "inside"),
    ("showTestData", "the held-out points switch", "check", "inside"),
    ("discretizeOutput", "the sharp boundary switch", "check", "inside"),
    ("evaluateNow", "the Evaluate button", "button", "inside"),
    # the Draw page
    ("brushSize", "the brush size", "number", "draw"),
    ("fineTuneButton", "the Fine-tune button", "button", "draw"),
    ("fineTuneEpochs", "the fine-tuning epochs", "number", "draw"),
    # the toolbar's training buttons
    ("actionPlay", "Play", "action", "toolbar"),
    ("actionPause", "Pause", "action", "toolbar"),
    ("actionStep", "Step one batch", "action", "toolbar"),
    ("actionStepEpoch", "Step one epoch", "action", "toolbar"),
    ("actionStop", "Stop", "action", "toolbar"),
    ("actionReset", "Reset weights", "action", "toolbar"),
)


def control(name: str, use: str = "lock") -> Control:
    """The control ``name`` if a lesson may ``use`` it (``lock``, ``hide``, ``set``, ``click``).

    Raises
    ------
    ValueError
        ``name`` is not a control a lesson may name, or cannot be used that way.
    """
    found = CONTROLS.get(name)
    if found is None:
        raise ValueError(f"{name[:40]!r} is not a control a lesson may {use}: use one of "
                         f"{', '.join(CONTROLS)}")
    if use == "set" and name in FIXED:
        raise ValueError(f"{name!r} ({found.title}) cannot be set by a lesson: give the "
                         "data with 'data: SOURCE'")
    if use == "set" and not found.settable:
        raise ValueError(f"{name!r} ({found.title}) does not take a value: 'set' works on "
                         "spin boxes, lists, check boxes and fields")
    if use == "click" and not found.clickable:
        raise ValueError(f"{name!r} ({found.title}) is not a button: 'click' presses "
                         + ", ".join(c.name for c in CONTROLS.values() if c.clickable))
    return found


def reading(name: str, what: str) -> Control:
    """The control ``name`` if ``what`` is one of its readings (``widget NAME.WHAT``).

    Raises
    ------
    ValueError
        Unknown control, or a reading it does not offer.
    """
    found = control(name, "read")
    if what not in found.readings:
        raise ValueError(f"{name}.{what[:40]} cannot be read: {name} ({found.title}) offers "
                         f"{', '.join(found.readings)}")
    return found


def title(name: str) -> str:
    """What people call the control ``name`` (its objectName when it is not declared)."""
    found = CONTROLS.get(name)
    return found.title if found is not None else name
