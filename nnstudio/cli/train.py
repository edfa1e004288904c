"""``nnstudio train`` and ``nnstudio evaluate``: a design trained on data, a model measured.

::

    nnstudio train --design mlp --data idx:DIR --epochs 5 --out model.npz
    nnstudio evaluate model.npz --data idx:DIR [--json]

Every ``train`` run is kept as a run record (:mod:`nnstudio.cli.runs` adds ``--no-record``
and ``--runs``). Ctrl-C while training saves nothing and exits 130.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from nnstudio.cli.common import (
    DEFAULT_LR,
    PERCEPTRON_LR,
    check_out,
    design_arg,
    fit_data,
    image_size_for,
    keep_unsaved,
    load_data,
    load_model_arg,
    positive_float,
    positive_int,
)
from nnstudio.cli.runs import add_record_options
from nnstudio.core.design import DesignError
from nnstudio.core.modelfile import save_model
from nnstudio.core.templates import TEMPLATES
from nnstudio.core.training import OPTIMIZERS, TrainConfig, Trainer, TrainingDiverged
from nnstudio.terminal import Progress, printable

__all__ = ["add_parsers", "cmd_evaluate", "cmd_train"]


def add_parsers(sub) -> None:
    """The ``train`` and ``evaluate`` commands."""
    p = sub.add_parser("train", help="train a design on data and save the model")
    p.add_argument("--design", required=True,
                   help=f"a design .json file or a template ({', '.join(TEMPLATES)})")
    p.add_argument("--data", required=True, help="data source, e.g. idx:DIR, synthetic:10000")
    p.add_argument("--epochs", type=positive_int, required=True)
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--lr", type=positive_float, default=None,
                   help=f"learning rate (default {DEFAULT_LR:g}; {PERCEPTRON_LR:g} for a "
                   "perceptron)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    p.add_argument("--weight-decay", type=float, default=0.0, help="L2 weight decay")
    p.add_argument("--val-split", type=float, default=None,
                   help="fraction held out for validation (0 to 1; default 0.1, or the "
                   "data's own test share, e.g. toy:spiral:test=0.3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", type=int, choices=(16, 28), default=None,
                   help="digit image size (default: what the design's Input takes)")
    p.add_argument("--augment-shift", type=int, default=0, metavar="PIXELS",
                   help="shift images randomly by up to PIXELS while training")
    p.add_argument("--out", required=True, help="model file to write (.npz)")
    add_record_options(p)                   # --no-record, --runs FOLDER
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="loss and accuracy of a model on data")
    p.add_argument("model", help="model file, or 'default' for the shipped model")
    p.add_argument("--data", required=True)
    p.add_argument("--size", type=int, choices=(16, 28), default=None)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_evaluate)


def cmd_train(args: argparse.Namespace) -> int:
    from nnstudio.core.network import Network
    from nnstudio.core.perceptron import is_perceptron

    out = Path(args.out)
    check_out(out)
    design = design_arg(args.design)
    design.check()
    network = Network(design, seed=args.seed)
    perceptron = is_perceptron(network)
    if not network.trainable() and not perceptron:
        raise DesignError(network.reason_not_trainable or "This design cannot be trained",
                          fix="use 'sigmoid' instead of 'step', or a single step neuron "
                          "(the 'perceptron' template), which the perceptron rule trains")
    size = args.size or image_size_for(design)
    ds = load_data(args.data, size)
    x, y = fit_data(network, ds, f"The data '{args.data}'")
    lr = args.lr if args.lr is not None else (PERCEPTRON_LR if perceptron else DEFAULT_LR)
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=lr,
                         optimizer=args.optimizer, weight_decay=args.weight_decay,
                         val_split=(args.val_split if args.val_split is not None
                                    else float(ds.meta.get("test", 0.1))), seed=args.seed,
                         augment_shift=args.augment_shift)
    err = sys.stderr
    if perceptron:
        from nnstudio.core.perceptron_training import PerceptronTrainer

        trainer = PerceptronTrainer(network, x, y, config)
        err.write(f"training '{printable(design.name)}' with the perceptron rule (one sample "
                  f"at a time, learning rate {config.lr:g}, at most {config.epochs} passes) on "
                  f"{printable(ds.name)}: "
                  f"{len(trainer.train_idx):,} samples, "
                  f"{0 if trainer.x_val is None else len(trainer.x_val):,} held out\n")
    else:
        trainer = Trainer(network, x, y, config)
        err.write(f"training '{printable(design.name)}' ({network.n_params:,} parameters) on "
                  f"{printable(ds.name)}: "
                  f"{len(trainer.train_idx):,} samples, "
                  f"{0 if trainer.x_val is None else len(trainer.x_val):,} held out\n")
    progress = Progress(err, mistakes=perceptron)
    from nnstudio.runs.recorder import recording

    try:
        with recording(trainer, record=not args.no_record, folder=args.runs, data=args.data,
                       design=design, dataset=ds, image_size=size, stream=err,
                       progress=progress) as rec:
            history = trainer.run(on_batch=rec.on_batch(progress.batch),
                                  on_epoch=rec.on_epoch(progress.epoch))
    except TrainingDiverged as exc:
        progress.clear()
        err.write(f"nnstudio: {exc} Nothing was saved.\n")
        return 1
    except KeyboardInterrupt:
        progress.clear()
        err.write("\nnnstudio: training interrupted; nothing was saved\n")
        return 130
    if perceptron:
        from nnstudio.core.perceptron_training import outcome_text

        err.write(outcome_text(trainer.outcome) + "\n")
        if trainer.outcome.get("kind") == "cycle":
            err.write("  try: nnstudio train --design playground --data "
                      f"{args.data} --epochs 300 --lr 0.05 --out {args.out}\n")
    last = history.epochs[-1] if history.epochs else None
    meta = {"classes": list(ds.classes), "data": args.data, "dataset": ds.name,
            "task": ds.task, "image_size": size, "config": asdict(config),
            "metrics": {} if last is None else asdict(last)}
    from nnstudio.data.csvdata import column_encoding

    if (columns := column_encoding(ds)) is not None:
        meta["columns"] = columns           # how predict encodes new rows
    try:
        save_model(out, network, history, meta)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        try:
            kept = keep_unsaved(out, network, history, meta)
        except OSError as again:
            err.write(f"nnstudio: could not save the model to '{out}' ({reason}), nor in the "
                      f"data folder ({again.strerror or again}); the result is lost\n")
            return 1
        err.write(f"nnstudio: could not save the model to '{out}' ({reason}); it is kept in "
                  f"'{kept}': move it where you want it\n")
        return 2
    err.write(f"saved {out}\n")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    model = load_model_arg(args.model)
    size = args.size or image_size_for(model.design)
    ds = load_data(args.data, size)
    x, y = fit_data(model.network, ds, f"The data '{args.data}'")
    result = model.network.evaluate(x, y)
    loss, acc, n = float(result["loss"]), result.get("accuracy"), int(result["n"])
    errors = None
    if ds.task == "regression" and int(np.prod(model.network.output_shape)) == 1:
        from nnstudio.core.insight.regression import float64_predictor, regression_errors

        errors = regression_errors(ds, float64_predictor(model.network))
    from nnstudio.core.perceptron import is_perceptron

    mistakes = round(loss * n) if is_perceptron(model.network) else None
    if args.json:
        out = {"accuracy": None if acc is None else float(acc), "loss": loss, "n": n,
               "model": args.model, "data": args.data}
        if errors is not None:
            out["error"] = {"target": errors.target, "unit": errors.unit,
                            "mean_absolute": errors.mae, "root_mean_square": errors.rmse,
                            "cost": errors.cost}
        if mistakes is not None:
            out["mistakes"] = mistakes
        print(json.dumps(out))
    elif mistakes is not None:
        print(f"mistakes {mistakes} of {n:,}  accuracy {100 * float(acc):.2f}%")
    else:
        acc_text = "" if acc is None else f"  accuracy {100 * float(acc):.2f}%"
        print(f"loss {loss:.4f}{acc_text}  (n = {n:,})")
        if errors is not None:
            from nnstudio.core.insight.regression import format_value as fv

            unit = errors.unit
            print(f"error in {printable(errors.target)}: {fv(errors.mae, unit)} on average, "
                  f"root mean square {fv(errors.rmse, unit)}; cost J = 1/m Σ (y − ŷ)² = "
                  f"{fv(errors.cost, unit + '²' if unit else '')}")
    return 0
