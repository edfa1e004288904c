"""The ``nnstudio`` command: the window with no arguments, headless subcommands otherwise.

::

    nnstudio                                   start the window
    nnstudio train --design mlp --data idx:DIR --epochs 5 --out model.npz
    nnstudio evaluate model.npz --data idx:DIR [--json]
    nnstudio templates
    nnstudio export-design mlp design.json
    nnstudio info model.npz
    nnstudio export model.npz --to onnx|pytorch|numpy --out PATH
    nnstudio predict model.npz digit.png [--json] [--top K]

Mistakes (bad arguments, missing or damaged files) print one line on stderr and exit 2;
Ctrl-C while training saves nothing and exits 130.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from nnstudio import __version__
from nnstudio.core.design import Design, DesignError, format_shape, load_design, save_design
from nnstudio.core.modelfile import LoadedModel, ModelFileError, load_model, save_model
from nnstudio.core.templates import TEMPLATES, get_template
from nnstudio.core.training import OPTIMIZERS, TrainConfig, Trainer, TrainingDiverged
from nnstudio.data.dataset import DataError
from nnstudio.fileio import check_writable
from nnstudio.limits import TooBigError, check_layers, design_file_refusal
from nnstudio.resources import default_model_path
from nnstudio.terminal import Progress, printable

#: default learning rates: backpropagation with Adam, and the perceptron rule
DEFAULT_LR = 1e-3
PERCEPTRON_LR = 0.1


class UsageError(Exception):
    """A command-line mistake: one line on stderr, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage block
        raise UsageError(f"{message} (see '{self.prog} --help')")


# ---------------------------------------------------------------------- helpers
def _resolve_model_path(spec: str) -> Path:
    """A model path, or the shipped model for the word ``default``."""
    if spec != "default":
        return Path(spec)
    path = default_model_path()
    if not path.is_file():
        raise ModelFileError(
            f"The shipped default model ({path}) is missing: reinstall nnstudio, or rebuild it "
            "with 'python tools/build_default_model.py' from a source checkout")
    return path


def _load(spec: str) -> LoadedModel:
    return load_model(_resolve_model_path(spec))


def _design(spec: str) -> Design:
    """A template name, a design .json file, or a model file's design."""
    if spec in TEMPLATES:
        return get_template(spec)
    path = Path(spec)
    if spec == "default" or path.suffix.lower() == ".npz":
        return _load(spec).design
    if not path.exists():
        raise DesignError(f"'{spec}' is neither a template ({', '.join(TEMPLATES)}) "
                          "nor an existing design file")
    refusal = design_file_refusal(path)
    if refusal:
        raise TooBigError(refusal)
    design = load_design(path)
    check_layers(len(design.nodes), f"The design '{printable(design.name)}'")
    return design


def _input_size(design: Design) -> int:
    node = design.input_node
    return math.prod(node.params["shape"]) if node is not None else 0


def _image_size_for(design: Design) -> int:
    """16 for designs that take 16×16 images, else 28."""
    return 16 if _input_size(design) == 256 else 28


def _load_data(spec: str, size: int):
    from nnstudio.data.sources import load_source

    return load_source(spec, size=size)


def _fit_data(network, ds, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Check that the data suits the network; returns (x, y) ready for it."""
    want = math.prod(network.input_shape)
    got = math.prod(ds.sample_shape)
    if want != got:
        raise DataError(
            f"{what} samples are {format_shape(ds.sample_shape)} ({got} values) but the "
            f"design's Input takes {format_shape(network.input_shape)} ({want} values): "
            "choose data and design that match")
    out_units = math.prod(network.output_shape)
    y = ds.y
    if network.task == "classification":
        if ds.task != "classification":
            raise DataError(f"{what} is for regression but the design classifies "
                            f"({network.loss_name}): use the mse loss")
        n_classes = int(y.max()) + 1 if len(y) else 0
        limit = 2 if network.loss_name == "binary_cross_entropy" and out_units == 1 \
            else out_units
        if n_classes > limit:
            raise DataError(f"{what} has {n_classes} classes but the design's Output has "
                            f"{out_units} unit(s): give the last Dense {n_classes} units")
    elif ds.task == "classification":
        if out_units == 1:
            y = y.astype(np.float32).reshape(-1, 1)
        else:
            y = np.eye(out_units, dtype=np.float32)[np.clip(y, 0, out_units - 1)]
    elif y.shape[1:] != (out_units,):
        raise DataError(f"{what} has {y.shape[1]} target value(s) per sample but the design "
                        f"outputs {out_units}: make the last Dense match")
    return ds.x, y


def _check_out(out: Path) -> None:
    """Refuse an ``--out`` that cannot be written, before any minutes of training."""
    if out.is_dir():
        raise UsageError(f"--out '{out}' is a folder: give a file name such as model.npz")
    if not out.parent.exists():
        raise UsageError(f"the folder of --out '{out}' does not exist")
    try:
        check_writable(out)
    except OSError as err:
        raise UsageError(f"--out '{out}' cannot be written: {err.strerror or err}; choose "
                         "another file or folder") from None


def _keep_unsaved(out: Path, network, history, meta: dict) -> Path:
    """Save a model that could not be written to ``out`` in the user's data folder."""
    from nnstudio.data.cache import data_dir

    folder = data_dir() / "unsaved models"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"{out.stem or 'model'}-{stamp}.npz"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{out.stem or 'model'}-{stamp}-{n}.npz"
    return save_model(path, network, history, meta)


def cmd_train(args: argparse.Namespace) -> int:
    from nnstudio.core.network import Network
    from nnstudio.core.perceptron import is_perceptron

    out = Path(args.out)
    _check_out(out)
    design = _design(args.design)
    design.check()
    network = Network(design, seed=args.seed)
    perceptron = is_perceptron(network)
    if not network.trainable() and not perceptron:
        raise DesignError(network.reason_not_trainable or "This design cannot be trained",
                          fix="use 'sigmoid' instead of 'step', or a single step neuron "
                          "(the 'perceptron' template), which the perceptron rule trains")
    size = args.size or _image_size_for(design)
    ds = _load_data(args.data, size)
    x, y = _fit_data(network, ds, f"The data '{args.data}'")
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
        with recording(args, trainer, design=design, dataset=ds, image_size=size, stream=err,
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
            kept = _keep_unsaved(out, network, history, meta)
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
    model = _load(args.model)
    size = args.size or _image_size_for(model.design)
    ds = _load_data(args.data, size)
    x, y = _fit_data(model.network, ds, f"The data '{args.data}'")
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


def cmd_templates(args: argparse.Namespace) -> int:
    width = max(map(len, TEMPLATES))
    for name, text in TEMPLATES.items():
        print(f"{name:<{width}}  {text}")
    return 0


def cmd_export_design(args: argparse.Namespace) -> int:
    design = _design(args.source)
    save_design(design, args.out)
    print(f"wrote {args.out}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    model = load_model(_resolve_model_path(args.model), weights=False)
    design, meta = model.design, model.meta
    result = design.analyze()
    print(f"model     {printable(model.path, 1000)}")
    print(f"design    {printable(design.name)}: {len(design.nodes)} nodes, "
          f"{result.total_params:,} parameters")
    for nid in design.topo_order():
        node = design.nodes[nid]
        count = result.param_counts.get(nid, 0)
        print(f"  {printable(nid):<12} {node.kind:<12} "
              f"{format_shape(result.shapes.get(nid)):<12} {count:>10,}")
    if model.classes:
        print(f"classes   {printable(', '.join(map(str, model.classes)), 1000)}")
    for key in ("data", "saved_at", "nnstudio_version"):
        if key in meta:
            print(f"{key:<9} {printable(meta[key])}")
    epochs = model.history.epochs
    if epochs:
        last = epochs[-1]
        acc = "" if last.val_accuracy is None else f", val_acc {100 * last.val_accuracy:.2f}%"
        print(f"trained   {len(epochs)} epoch(s), {len(model.history):,} batches; last loss "
              f"{last.train_loss:.4f}{acc}")
    trimmed = meta.get("history_trimmed")
    if isinstance(trimmed, dict) and "epoch_epoch" in trimmed:
        print(f"          (the file holds {printable(trimmed['epoch_epoch'])} epochs; the "
              "last ones were read)")
    return 0


# ---------------------------------------------------------------------- parser
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be >= 1")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} must be a number > 0")
    return value


def _commands() -> tuple[str, ...]:
    sub = next(a for a in build_parser()._actions  # noqa: SLF001 - argparse has no public API
               if isinstance(a, argparse._SubParsersAction))
    return tuple(sub.choices)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``nnstudio``."""
    parser = _Parser(prog="nnstudio", description="A desktop neural-network studio. Without "
                     "a command, opens the window.")
    parser.add_argument("--version", action="version", version=f"nnstudio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parser.epilog = ("Without a command: 'nnstudio [FILE] [--data SPEC]' opens the window, "
                     "with a design or model file and the data to train on.")

    p = sub.add_parser("train", help="train a design on data and save the model")
    p.add_argument("--design", required=True,
                   help=f"a design .json file or a template ({', '.join(TEMPLATES)})")
    p.add_argument("--data", required=True, help="data source, e.g. idx:DIR, synthetic:10000")
    p.add_argument("--epochs", type=_positive_int, required=True)
    p.add_argument("--batch-size", type=_positive_int, default=64)
    p.add_argument("--lr", type=_positive_float, default=None,
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
    from nnstudio.runs.recorder import add_record_options

    add_record_options(p)                   # --no-record, --runs FOLDER
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="loss and accuracy of a model on data")
    p.add_argument("model", help="model file, or 'default' for the shipped model")
    p.add_argument("--data", required=True)
    p.add_argument("--size", type=int, choices=(16, 28), default=None)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("templates", help="list the built-in designs")
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser("export-design", help="write a template's or model's design as JSON")
    p.add_argument("source", help="template name, model file, or 'default'")
    p.add_argument("out", help="design file to write (.json)")
    p.set_defaults(func=cmd_export_design)

    from nnstudio.lessons.command import add_parser as add_lessons_parser

    add_lessons_parser(sub)

    p = sub.add_parser("info", help="describe a model file")
    p.add_argument("model", help="model file, or 'default'")
    p.set_defaults(func=cmd_info)

    from nnstudio.export.cli import add_commands

    add_commands(sub)                       # export, predict
    from nnstudio.runs.command import add_parser as add_runs_parser

    add_runs_parser(sub)                    # runs list, show, export, rm, rename
    return parser


def _start_gui(path: str | None = None, data: str | None = None) -> int:
    try:
        from nnstudio.gui.app import main as gui_main
    except ImportError as err:
        print(f"nnstudio: the window could not start: {err}", file=sys.stderr)
        return 2
    kwargs = {k: v for k, v in (("path", path), ("data", data)) if v is not None}
    result = gui_main([], **kwargs)
    return int(result or 0)


def _window_args(argv: list[str]) -> tuple[str | None, str | None] | None:
    """``nnstudio [FILE] [--data SPEC]``: (file, data) for the window, None for a command."""
    commands = _commands()
    if argv[0] in commands or argv[0] in ("-h", "--help", "--version"):
        return None
    p = _Parser(prog="nnstudio", description="Open the window, optionally with a design or "
                "model file and a data source.")
    p.add_argument("file", nargs="?", help="a design (.json) or model (.npz) to open")
    p.add_argument("--data", help="data to train on, e.g. idx:DIR, synthetic:10000, cars")
    args = p.parse_args(argv)
    if args.file is not None:
        f = Path(args.file)
        if not f.exists() and f.suffix.lower() not in (".json", ".npz"):
            raise UsageError(f"invalid choice '{args.file}': neither a command "
                             f"({', '.join(commands)}) nor a design or model file")
        if not f.is_file():
            raise UsageError(f"{args.file}: no such file (to open a design or model, give a "
                             f".json or .npz file; commands: {', '.join(commands)})")
        if f.suffix.lower() not in (".json", ".npz"):
            raise UsageError(f"{args.file}: the window opens designs (.json) and models (.npz)")
    return args.file, args.data


def main(argv: list[str] | None = None) -> int:
    """Run ``nnstudio`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        return _start_gui()
    parser = build_parser()
    try:
        window = _window_args(argv)
        if window is not None:
            return _start_gui(*window)
        args = parser.parse_args(argv)
        if args.command is None:
            return _start_gui()
        if not 0 <= (getattr(args, "val_split", 0) or 0) < 1:
            raise UsageError("--val-split must be from 0 up to (not including) 1")
        if getattr(args, "weight_decay", 0) < 0:
            raise UsageError("--weight-decay must be >= 0")
        if getattr(args, "augment_shift", 0) < 0:
            raise UsageError("--augment-shift must be >= 0")
        return args.func(args)
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("\nnnstudio: interrupted", file=sys.stderr)
        return 130
    except (UsageError, DataError, DesignError, ModelFileError, OSError, ValueError,
            KeyError) as err:
        text = str(err).strip().replace("\n", " ") or type(err).__name__
        if isinstance(err, KeyError) and err.args:
            text = str(err.args[0])
        if isinstance(err, OSError) and err.strerror:
            text = f"{err.strerror}: {err.filename}" if err.filename else err.strerror
        print(f"nnstudio: {printable(text, 2000)}", file=sys.stderr)
        return 2
    except MemoryError as err:  # TooBigError: a size refused; else one not known in advance
        text = str(err) if isinstance(err, TooBigError) else (
            "this needs more memory than the computer gives nnstudio; use smaller data or a "
            "smaller design")
        print(f"nnstudio: {printable(text, 2000)}", file=sys.stderr)
        return 2
    except Exception as err:  # a bug: one line unless NNSTUDIO_DEBUG asks for the traceback
        if os.environ.get("NNSTUDIO_DEBUG"):
            raise
        print(f"nnstudio: unexpected error ({type(err).__name__}: {printable(err, 500)}); set "
              "NNSTUDIO_DEBUG=1 for details", file=sys.stderr)
        return 1
