"""``nnstudio runs``: list, show, export, remove, restore and rename kept training runs.

::

    nnstudio runs list [FOLDER]                 one run a line: id, name, when, design, data,
                                                state, epochs, best figure
    nnstudio runs show RUN                      settings, epochs and checkpoints of one run
    nnstudio runs export RUN [--checkpoint N|best|last|initial] --out model.npz
    nnstudio runs rm RUN [--permanently]        to FOLDER/.trash (undo: runs restore RUN)
    nnstudio runs restore RUN                   back from the trash
    nnstudio runs rename RUN NAME

RUN is a run id (or its start), a run's name, or the path of a run folder; ``--folder``
chooses the runs folder (the user's by default). Everything a record holds is printed
through :func:`nnstudio.terminal.printable`. Mistakes raise :class:`RunError` (one line,
exit 2).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import shutil
from pathlib import Path

from nnstudio.runs import layout as L
from nnstudio.runs.manage import (
    check_not_running,
    export_checkpoint,
    rename_run,
    restore_run,
    trash_run,
)
from nnstudio.runs.reader import RunError, RunSummary, find_run, list_runs, open_run
from nnstudio.terminal import printable

__all__ = ["add_parser", "run"]


def add_record_options(parser: argparse.ArgumentParser) -> None:
    """``--no-record`` and ``--runs FOLDER`` on a command that trains."""
    parser.add_argument("--no-record", action="store_true",
                        help="do not keep this run in the runs folder")
    parser.add_argument("--runs", metavar="FOLDER", default=None,
                        help="the runs folder to keep this run in (default: 'runs' in the "
                        "user's data folder)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``runs`` on the ``nnstudio`` command's subparsers."""
    p = sub.add_parser("runs", help="list, show, export or remove kept training runs")
    actions = p.add_subparsers(dest="runs_command", metavar="ACTION")

    a = actions.add_parser("list", help="list the runs of a folder")
    a.add_argument("folder", nargs="?", help="a runs folder (default: the user's)")
    a.set_defaults(func=cmd_list)

    def with_run(a: argparse.ArgumentParser) -> None:
        a.add_argument("run", help="run id (or its start), run name, or run folder")
        a.add_argument("--folder", help="the runs folder (default: the user's)")

    a = actions.add_parser("show", help="settings, curves and checkpoints of a run")
    with_run(a)
    a.set_defaults(func=cmd_show)

    a = actions.add_parser("export", help="write a checkpoint of a run as a model file")
    with_run(a)
    a.add_argument("--checkpoint", default="best",
                   help="checkpoint number, or best, last or initial (default best)")
    a.add_argument("--out", required=True, help="model file to write (.npz)")
    a.set_defaults(func=cmd_export)

    a = actions.add_parser("rm", help="move a run to the trash (FOLDER/.trash)")
    with_run(a)
    a.add_argument("--permanently", action="store_true",
                   help="delete the run for good instead (cannot be undone)")
    a.set_defaults(func=cmd_rm)

    a = actions.add_parser("restore", help="bring a run back from the trash")
    a.add_argument("run", help="the id of a run in the trash")
    a.add_argument("--folder", help="the runs folder (default: the user's)")
    a.set_defaults(func=cmd_restore)

    a = actions.add_parser("rename", help="give a run a name")
    with_run(a)
    a.add_argument("name", help="the new name")
    a.set_defaults(func=cmd_rename)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``nnstudio runs`` alone lists the user's runs."""
    args.folder = None
    return cmd_list(args)


def _folder(args: argparse.Namespace) -> Path:
    return Path(args.folder).expanduser() if args.folder else L.default_runs_folder()


def _when(created: str) -> str:
    try:
        return f"{_dt.datetime.fromisoformat(created):%Y-%m-%d %H:%M}"
    except ValueError:
        return printable(created, 16)


def _line(r: RunSummary) -> list[str]:
    epochs = f"{r.epochs}" + (f"/{r.epochs_planned}" if r.epochs_planned else "")
    state = r.state if r.state != "damaged" else f"damaged: {r.problem}"
    return [printable(r.id, 40), printable(r.name, 40), _when(r.created),
            printable(r.design, 30), printable(r.data, 40), epochs, r.best_text,
            printable(state, 200)]


def cmd_list(args: argparse.Namespace) -> int:
    folder = _folder(args)
    if args.folder and not folder.is_dir():
        raise RunError(f"'{folder}' is not a folder")
    runs = list_runs(folder)
    if not runs:
        print(f"no runs in {printable(folder, 1000)}")
        return 0
    rows = [["ID", "NAME", "WHEN", "DESIGN", "DATA", "EPOCHS", "BEST", "STATE"]]
    rows += [_line(r) for r in runs]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1])
    return 0


def _num(value: object, fmt: str = ".4f") -> str:
    return "-" if not isinstance(value, int | float) else format(value, fmt)


def cmd_show(args: argparse.Namespace) -> int:
    r = open_run(find_run(args.run, _folder(args)))
    s, info = r.summary, r.info
    print(f"run       {printable(s.id)}  {printable(s.name)}")
    print(f"folder    {printable(r.path, 1000)}")
    state = s.state + (f" ({s.problem})" if s.problem else "") + \
        (f": {s.message}" if s.message else "")
    print(f"state     {printable(state, 1000)}")
    print(f"when      {_when(s.created)}, {s.epochs} epoch(s), {s.samples:,} samples, "
          f"{s.elapsed:.1f} s of training")
    print(f"design    {printable(info.get('design', ''))}")
    print(f"data      {printable(info.get('data', ''), 1000)}  "
          f"({printable(info.get('dataset', ''))})")
    settings = ", ".join(f"{printable(k, 40)} {printable(v, 80)}" for k, v in r.config.items())
    print(f"settings  {settings}")
    if isinstance(parent := info.get("parent"), dict):
        print(f"parent    run {printable(parent.get('run'))}, checkpoint "
              f"{printable(parent.get('checkpoint'))}")
    if info.get("same_start"):
        print(f"start     same start as run {printable(info['same_start'])}")
    if s.best_text:
        print(f"best      {s.best_text} (epoch {printable(s.best.get('epoch'))})")
    epochs = r.epochs()
    if epochs:
        print("epoch  train cost  train acc  val cost  val acc   samples    seconds")
        for e in epochs:
            acc = e.get("train_accuracy")
            vacc = e.get("val_accuracy")
            print(f"{e['epoch']:>5}  {_num(e.get('train_loss')):>10}  "
                  f"{_num(None if acc is None else 100 * acc, '.2f'):>9}  "
                  f"{_num(e.get('val_loss')):>8}  "
                  f"{_num(None if vacc is None else 100 * vacc, '.2f'):>7}  "
                  f"{_num(e.get('samples'), ',d'):>9}  {_num(e.get('elapsed'), '.1f'):>9}")
    ckpts = r.checkpoints()
    print(f"checkpoints ({len(ckpts)}):")
    for c in ckpts:
        where = f"epoch {c.epoch} end" if c.kind == "epoch" else \
            "initial weights" if c.kind == "initial" else f"epoch {c.epoch}, batch {c.batch}"
        print(f"  {c.n:>4}  {where:<22} {c.samples:>10,} samples")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    r = open_run(find_run(args.run, _folder(args)))
    ref: int | str = args.checkpoint
    if ref not in ("best", "last", "initial"):
        try:
            ref = int(ref)
        except ValueError:
            raise RunError(f"--checkpoint '{printable(ref)}': give a checkpoint number or "
                           "best, last or initial") from None
    out = Path(args.out)
    ckpt = export_checkpoint(r, ref, out)
    print(f"wrote {printable(out, 1000)} (run {printable(r.id)}, checkpoint {ckpt.n}, "
          f"epoch {ckpt.epoch})")
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    path = find_run(args.run, _folder(args))
    if args.permanently:
        check_not_running(path)
        shutil.rmtree(path)
        print(f"deleted {printable(path, 1000)}")
        return 0
    trash_run(path)
    print(f"moved run {printable(path.name)} to the trash; undo with "
          f"'nnstudio runs restore {printable(path.name)}"
          f"{'' if not args.folder else ' --folder ' + printable(args.folder, 1000)}'")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    path = restore_run(_folder(args), args.run)
    print(f"restored run {printable(path.name)}")
    return 0


def cmd_rename(args: argparse.Namespace) -> int:
    path = find_run(args.run, _folder(args))
    name = rename_run(path, args.name)
    print(f"run {printable(path.name)} is now named '{printable(name)}'")
    return 0
