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

    nnstudio lessons [check FILE]
    nnstudio runs list|show|export|rm|restore|rename

Mistakes (bad arguments, missing or damaged files) print one line on stderr and exit 2;
Ctrl-C while training saves nothing and exits 130. One module per command group: ``train``
(train, evaluate), ``models`` (templates, export-design, info), ``export`` (export,
predict), ``lessons``, ``runs``; ``common`` holds what they share.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from nnstudio import __version__
from nnstudio.cli import export, lessons, models, runs, train
from nnstudio.cli.common import Parser, UsageError
from nnstudio.core.design import DesignError
from nnstudio.core.modelfile import ModelFileError
from nnstudio.data.dataset import DataError
from nnstudio.limits import TooBigError
from nnstudio.terminal import printable

__all__ = ["UsageError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``nnstudio``."""
    parser = Parser(prog="nnstudio", description="A desktop neural-network studio. Without "
                    "a command, opens the window.")
    parser.add_argument("--version", action="version", version=f"nnstudio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    parser.epilog = ("Without a command: 'nnstudio [FILE] [--data SPEC]' opens the window, "
                     "with a design or model file and the data to train on.")
    train.add_parsers(sub)                  # train, evaluate
    models.add_parsers(sub)                 # templates, export-design, info
    lessons.add_parser(sub)                 # lessons, lessons check
    export.add_commands(sub)                # export, predict
    runs.add_parser(sub)                    # runs list, show, export, rm, restore, rename
    return parser


def _commands() -> tuple[str, ...]:
    sub = next(a for a in build_parser()._actions  # noqa: SLF001 - argparse has no public API
               if isinstance(a, argparse._SubParsersAction))
    return tuple(sub.choices)


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
    p = Parser(prog="nnstudio", description="Open the window, optionally with a design or "
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
