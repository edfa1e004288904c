"""The quantities a lesson's checks may name: metrics, counts and the window's values.

This is the vocabulary shared by the checks' parser (:mod:`.checks`, which refuses names
that are not here) and by what measures them (:mod:`.measures`).
"""

from __future__ import annotations

__all__ = ["COUNTS", "METRICS", "WINDOW_VALUES", "split_name"]


def split_name(target: str) -> tuple[str, str]:
    """``"car_error:A"`` -> ("car_error", "A")."""
    name, _, arg = target.partition(":")
    return name, arg



#: window values: name -> description (the window supplies them in Context.values)
WINDOW_VALUES: dict[str, str] = {
    "page": "the page on screen: draw, design, train, inside or lessons",
    "view": "the Inside view on screen: boundary, cost, roll, conv, evaluation, estimates, "
            "backprop, ideal, weights (none while another page is on screen)",
    "state": "training: idle, running, paused, finished, stopped or error",
    "ball": "where the Rolling ball view's ball came to rest: global, local, crawling, "
            "bouncing or diverged (rolling while it moves, none before it rolled)",
    "outcome": "how the perceptron's last run since the step opened ended: separated (a "
               "pass without mistakes), cycle (its weights came back: no line separates the "
               "classes), out_of_passes or stopped",
}

#: metric name -> (unit, description)
METRICS: dict[str, tuple[str, str]] = {
    "accuracy": ("%", "share of the loaded samples the network gets right"),
    "loss": ("", "the network's cost on the loaded samples"),
    "train_loss": ("", "training cost of the last epoch"),
    "val_loss": ("", "validation cost of the last epoch"),
    "train_accuracy": ("%", "training accuracy of the last epoch"),
    "val_accuracy": ("%", "validation accuracy of the last epoch"),
    "best_val_accuracy": ("%", "best validation accuracy of the run"),
    "val_rise": ("", "how far the validation cost rose above its lowest value"),
    "gap": ("", "validation cost minus training cost (last epoch)"),
    "car_error": ("$", "car_error:A: |true price - predicted price| of car A, in dollars"),
    "cost": ("$²", "mean squared error of the car prices, in dollars squared"),
    "baseline_accuracy": ("%", "accuracy of the pixel-similarity baseline (ideal digits)"),
    "beats_baseline": ("%", "the network's accuracy minus the pixel-similarity baseline's"),
    "weights_finite": ("", "1 when every weight is a finite number, else 0"),
    **{name: ("", text) for name, text in WINDOW_VALUES.items()},
}

#: count name -> description
COUNTS: dict[str, str] = {
    "mistakes": "loaded samples the network gets wrong",
    "epochs": "epochs trained since the step opened",
    "params": "trainable numbers of the network",
    "samples": "samples in the loaded data",
    "classes": "classes of the loaded data (0 for numbers to predict)",
    "passes": "passes of the perceptron rule made since the step opened (with Play or Step "
              "one pass a pass is an epoch)",
    "pass_mistakes": "mistakes the perceptron made in its last pass (what the Train page "
                     "plots per pass)",
    "changed_weights": "weights and biases that changed since the step opened",
    "layers": "layers:KIND: layers of that kind in the design, e.g. layers:Conv2D",
    "errors": "training runs that ended in an error since the step opened",
    "runs": "training runs (or fine-tunings) that finished since the step opened",
    "my_digits": "digits the person drew and labelled since the step opened",
    "ink": "pixels of the drawing on the Draw page brighter than one half",
}
