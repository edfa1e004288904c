"""What a lesson's checks measure: named quantities of the network, its data and its run.

No Qt here. The window fills a :class:`Context` with what it has (network, data, the run's
epochs, a few values only it knows such as the page on screen) and asks a :class:`Measurer`
for each check's value. Quantities that need a pass over the data are computed on at most
:data:`MAX_SAMPLES` samples and cached until the weights or the data change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnstudio.core.datafit import DataFitError, fitted_data
from nnstudio.lessons.checks import Check, parse_inputs, weight_target, widget_target
from nnstudio.lessons.quantities import METRICS, split_name

#: how each comparison reads in a goal ("at least 90%")
_GOAL_WORDS = {"==": "", "!=": "not ", "<": "below ", "<=": "at most ", ">": "above ",
               ">=": "at least "}
#: samples used for accuracy, loss and mistakes (the first ones of the loaded data)
MAX_SAMPLES = 2000
#: samples × parameters above which data passes wait while training runs
LIVE_WORK = 2e7


@dataclass
class Context:
    """What the checks can look at.

    Attributes
    ----------
    network : Network or None
        The network as it is now (None while the design is not valid).
    design : Design or None
        The design being edited.
    dataset : Dataset or None
        The loaded data.
    epochs : list of EpochInfo
        The epochs trained since the step opened (the current run's history).
    values : dict
        Values only the window knows (a value may be a function, called when needed):
        ``page``, ``view``, ``state``, ``errors``, ``runs``, ``my_digits``, ``ink``,
        ``running`` (see :data:`~.quantities.WINDOW_VALUES` and :data:`~.quantities.COUNTS`).
    widget : callable or None
        ``widget(objectName, property) -> value``; None outside the window.
    """

    network: Any = None
    design: Any = None
    dataset: Any = None
    epochs: list = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    widget: Callable[[str, str], Any] | None = None


def _last(ctx: Context, attr: str) -> float | None:
    for info in reversed(ctx.epochs):
        v = getattr(info, attr, None)
        if v is not None and not (isinstance(v, float) and math.isnan(v)):
            return float(v)
    return None


def _best(ctx: Context, attr: str, pick: Callable) -> float | None:
    vals = [float(getattr(i, attr)) for i in ctx.epochs if getattr(i, attr, None) is not None]
    vals = [v for v in vals if not math.isnan(v)]
    return pick(vals) if vals else None


def fit_targets(network: Any, dataset: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(x, y) of at most :data:`MAX_SAMPLES` samples, y in the form the network's loss takes
    (:func:`nnstudio.core.datafit.fitted_data`); None when data and network do not fit."""
    if network is None or dataset is None or not len(dataset.y):
        return None
    try:
        x, y = fitted_data(network, dataset)
    except DataFitError:
        return None
    return x[:MAX_SAMPLES], y[:MAX_SAMPLES]


class Measurer:
    """Measures checks in a :class:`Context`, caching passes over the data."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._eval: dict[str, float] = {}
        self._baseline: tuple[int, float] | None = None

    # ------------------------------------------------------------------ public
    def measure(self, check: Check, ctx: Context) -> Any:
        """The value ``check`` compares, or None when it cannot be measured now."""
        kind, target = check.kind, check.target
        if kind == "metric":
            return self.metric(target, ctx)
        if kind == "count":
            return self.count(target, ctx)
        if kind == "weight":
            return self.weight(target, ctx)
        if kind in ("output", "sum"):
            return self.neuron(kind, parse_inputs(target), ctx)
        if kind == "widget":
            if ctx.widget is None:
                return None
            name, prop = widget_target(target)
            return ctx.widget(name, prop)
        return None

    def text(self, check: Check, value: Any) -> str:
        """``value`` in the unit of ``check``'s quantity, e.g. ``$3,120`` or ``91.5%``."""
        if value is None:
            return "not measured yet"
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "yes" if value else "no"
        try:
            v = float(value)
        except (TypeError, ValueError):
            return str(value)
        if math.isnan(v):
            return "not measured yet"
        unit = ""
        if check.kind == "metric":
            unit = METRICS.get(split_name(check.target)[0], ("", ""))[0]
        if check.kind == "count":
            return f"{int(round(v)):,}"
        if unit == "%":
            return f"{100 * v:.1f}%"
        if unit == "$":
            return f"${v:,.0f}"
        if unit == "$²":
            return f"{v:,.0f} $²"
        if float(v).is_integer() and abs(v) < 1e9:
            return f"{int(v):,}"
        return f"{v:.4g}"

    def goal(self, check: Check) -> str:
        """What the check asks for, in the quantity's unit: ``0.5``, ``at least 90.0%``."""
        target = check.value if isinstance(check.value, str) else self.text(check,
                                                                              check.value)
        return _GOAL_WORDS[check.op] + str(target)

    def label(self, check: Check, value: Any) -> str:
        """The check's live text: the value now and the goal, side by side (its label with
        ``{value}`` filled in, or a plain form), e.g. ``The first weight is 0 · goal: 0.5``."""
        shown = self.text(check, value)
        if check.label:
            return f"{check.label.replace('{value}', shown)} · goal: {self.goal(check)}"
        what = f"{check.kind} {check.target}"
        if check.kind == "widget":
            from nnstudio.lessons.controls import title

            what = title(widget_target(check.target)[0])
        return f"{what} is {shown} · goal: {self.goal(check)}"

    # ------------------------------------------------------------------ kinds
    def weight(self, target: str, ctx: Context) -> float | None:
        net = ctx.network
        if net is None:
            return None
        name, index = weight_target(target)
        weights = {p.name: p.value for p in net.parameters()}
        if name not in weights:
            return None
        w = weights[name]
        try:
            if len(index) == w.ndim:
                return float(w[index])
            if len(index) <= 1:
                return float(w.reshape(-1)[index[0] if index else 0])
        except IndexError:
            return None
        return None

    def neuron(self, kind: str, inputs: tuple[float, ...], ctx: Context) -> float | None:
        net = ctx.network
        if net is None or math.prod(net.input_shape) != len(inputs):
            return None
        x = np.asarray(inputs, np.float32).reshape(1, *net.input_shape)
        if kind == "output":
            return float(np.asarray(net.predict(x)).reshape(-1)[0])
        dense = [p for p in net.parameters() if p.name.endswith("/W")]
        if len(dense) != 1:
            return None
        node = dense[0].name.split("/")[0]
        params = {p.name: p.value for p in net.parameters()}
        w = params[f"{node}/W"].reshape(len(inputs), -1)[:, 0]
        b = params.get(f"{node}/b", np.zeros(1)).reshape(-1)[0]
        return float(x.reshape(-1) @ w + b)

    def count(self, target: str, ctx: Context) -> float | None:
        name, arg = split_name(target)
        if name == "mistakes":
            return self._evaluate(ctx).get("mistakes")
        if name == "epochs":
            return float(len(ctx.epochs))
        if name == "params":
            return None if ctx.network is None else float(ctx.network.n_params)
        if name == "samples":
            return None if ctx.dataset is None else float(len(ctx.dataset.y))
        if name == "classes":
            return None if ctx.dataset is None else float(len(ctx.dataset.classes))
        if name == "layers":
            design = ctx.design if ctx.design is not None else getattr(ctx.network, "design",
                                                                       None)
            if design is None:
                return None
            return float(sum(1 for n in design.nodes.values()
                             if not arg or n.kind.lower() == arg.lower()))
        value = ctx.values.get(name)
        if callable(value):  # costly values are computed only when a check asks
            value = value()
        return None if value is None else float(value)

    def metric(self, target: str, ctx: Context) -> Any:
        name, arg = split_name(target)
        if name in ("accuracy", "loss"):
            return self._evaluate(ctx).get(name)
        if name in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
            return _last(ctx, name)
        if name == "best_val_accuracy":
            return _best(ctx, "val_accuracy", max)
        if name == "val_rise":
            last, low = _last(ctx, "val_loss"), _best(ctx, "val_loss", min)
            return None if last is None or low is None else last - low
        if name == "gap":
            val, train = _last(ctx, "val_loss"), _last(ctx, "train_loss")
            return None if val is None or train is None else val - train
        if name in ("car_error", "cost"):
            return self._cars(name, arg, ctx)
        if name == "baseline_accuracy":
            return self._pixel_baseline(ctx)
        if name == "beats_baseline":
            base, acc = self._pixel_baseline(ctx), self._evaluate(ctx).get("accuracy")
            return None if base is None or acc is None else acc - base
        if name == "weights_finite":
            if ctx.network is None:
                return None
            return float(all(np.isfinite(p.value).all() for p in ctx.network.parameters()))
        value = ctx.values.get(name)
        return value() if callable(value) else value

    # ------------------------------------------------------------------ data passes
    def _weights_key(self, ctx: Context) -> tuple:
        net, ds = ctx.network, ctx.dataset
        sums = tuple(float(np.asarray(p.value, np.float64).sum()) for p in net.parameters())
        return id(net), id(ds), sums

    def _evaluate(self, ctx: Context) -> dict[str, float]:
        fitted = fit_targets(ctx.network, ctx.dataset)
        if fitted is None:
            return {}
        key = self._weights_key(ctx)
        if key == self._key:
            return self._eval
        heavy = len(fitted[0]) * ctx.network.n_params > LIVE_WORK
        if heavy and ctx.values.get("running") and self._key is not None \
                and self._key[:2] == key[:2]:
            return self._eval  # a big network while it trains: measured when it pauses
        net, (x, y) = ctx.network, fitted
        result: dict[str, float] = {}
        with np.errstate(all="ignore"):
            out = np.asarray(net.predict(x), np.float64).reshape(len(x), -1)
            result["loss"] = float(net.evaluate(x, y)["loss"])
        if ctx.dataset.task == "classification":
            labels = ctx.dataset.y[:len(x)]
            guess = (out[:, 0] >= 0.5).astype(np.int64) if out.shape[1] == 1 \
                else out.argmax(axis=1)
            wrong = int((guess != labels).sum())
            result["mistakes"] = float(wrong)
            result["accuracy"] = 1.0 - wrong / len(x)
        self._key, self._eval = key, result
        return result

    def _cars(self, name: str, arg: str, ctx: Context) -> float | None:
        ds, net = ctx.dataset, ctx.network
        if ds is None or net is None or "raw_y" not in ds.meta:
            return None
        from nnstudio.data.lessons import Standardizer

        fitted = fit_targets(net, ds)
        if fitted is None:
            return None
        with np.errstate(all="ignore"):
            pred = np.asarray(net.predict(ds.x), np.float64).reshape(-1, 1)
        if "y_scaler" in ds.meta:
            pred = Standardizer.from_dict(ds.meta["y_scaler"]).inverse(pred)
        truth = np.asarray(ds.meta["raw_y"], np.float64)
        err = truth - pred[:, 0]
        if name == "cost":
            return float(np.mean(err ** 2))
        names = list(ds.meta.get("names", []))
        if arg not in names:
            return None
        return float(abs(err[names.index(arg)]))

    def _pixel_baseline(self, ctx: Context) -> float | None:
        ds = ctx.dataset
        if ds is None or ds.task != "classification" or ds.x.ndim < 3:
            return None
        if self._baseline is not None and self._baseline[0] == id(ds):
            return self._baseline[1]
        from nnstudio.data.lessons import PixelSimilarity

        try:
            acc = PixelSimilarity().fit(ds).evaluate(ds.x[:MAX_SAMPLES],
                                                     ds.y[:MAX_SAMPLES])["accuracy"]
        except Exception:  # noqa: BLE001 - a set the baseline cannot fit is "not measured"
            return None
        self._baseline = (id(ds), float(acc))
        return float(acc)
