"""``nnstudio templates``, ``export-design`` and ``info``: the built-in designs, a design as
JSON, and what a model file holds (read without its weights).
"""

from __future__ import annotations

import argparse

from nnstudio.cli.common import design_arg, model_path
from nnstudio.core.design import format_shape, save_design
from nnstudio.core.modelfile import load_model
from nnstudio.core.templates import TEMPLATES
from nnstudio.terminal import printable

__all__ = ["add_parsers", "cmd_export_design", "cmd_info", "cmd_templates"]


def add_parsers(sub) -> None:
    """The ``templates``, ``export-design`` and ``info`` commands."""
    p = sub.add_parser("templates", help="list the built-in designs")
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser("export-design", help="write a template's or model's design as JSON")
    p.add_argument("source", help="template name, model file, or 'default'")
    p.add_argument("out", help="design file to write (.json)")
    p.set_defaults(func=cmd_export_design)

    p = sub.add_parser("info", help="describe a model file")
    p.add_argument("model", help="model file, or 'default'")
    p.set_defaults(func=cmd_info)


def cmd_templates(args: argparse.Namespace) -> int:
    width = max(map(len, TEMPLATES))
    for name, text in TEMPLATES.items():
        print(f"{name:<{width}}  {text}")
    return 0


def cmd_export_design(args: argparse.Namespace) -> int:
    design = design_arg(args.source)
    save_design(design, args.out)
    print(f"wrote {args.out}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    model = load_model(model_path(args.model), weights=False)
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
