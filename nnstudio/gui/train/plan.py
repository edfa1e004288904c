"""How many epochs a run trains, so that the total a run shows stays put.

Play trains the Epochs setting: a plan that ends at the epoch reached plus the setting. A run
can end before its plan does: Stop, or a perceptron that separated its classes and stopped by
itself. Starting each next run afresh made every such run move the end ("Pass 4 of 103", then
"of 104", "of 105" as a person pressed Step one pass); here the next Play or Step continues the
plan up to the same end instead. Once the plan is done, or the setting changed, the next run
starts a new plan; Reset, other data or another design start one too (:meth:`EpochPlan.drop`).
"""

from __future__ import annotations

__all__ = ["EpochPlan"]


class EpochPlan:
    """The Epochs setting the current plan follows, and the epoch it ends at."""

    def __init__(self) -> None:
        self.setting: int | None = None
        self.end = 0

    def drop(self) -> None:
        """The next run starts a new plan."""
        self.setting = None

    def epochs_to_train(self, done: int, setting: int) -> int:
        """Epochs the run that starts after ``done`` epochs trains, for the Epochs
        ``setting`` (what is left of the current plan, or a new plan's ``setting``)."""
        if self.setting != setting or not self.end - setting <= done < self.end:
            self.setting, self.end = setting, done + setting
        return self.end - done
