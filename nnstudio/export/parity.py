"""Export a model to a target and verify that what was written computes what nnstudio does.

:func:`export_model` writes the target's files, then runs them on a batch of inputs
(:func:`~nnstudio.export.common.parity_inputs`) in every runtime at hand (the ONNX reference
evaluator and onnxruntime; the generated PyTorch module; the NumPy ``predict.py``) and
compares with nnstudio's own forward pass. A difference above
:data:`~nnstudio.export.common.PARITY_TOLERANCE` is an :class:`ExportError`, never a success.
"""

from __future__ import annotations

import time
from pathlib import Path

from .common import (
    PARITY_TOLERANCE,
    TARGETS,
    ExportError,
    ExportResult,
    parity_inputs,
)
from .staging import staged_folder

__all__ = ["export_model", "verify"]


def verify(target: str, out: str | Path, network, n: int = 16) -> tuple[dict, dict]:
    """Max abs differences per runtime between the export at ``out`` and ``network``.

    Returns
    -------
    (dict, dict)
        runtime -> max abs difference on ``n`` inputs; runtime -> why it was skipped.
    """
    x = parity_inputs(tuple(network.input_shape), n)
    expected = network.forward(x)
    if target == "onnx":
        from .onnx_model import check_onnx

        return check_onnx(out, x, expected)
    if target == "pytorch":
        from .pytorch import check_pytorch

        return check_pytorch(out, x, expected)
    from .numpy_predict import check_numpy

    return check_numpy(out, x, expected)


def _refuse_differences(target: str, parity: dict[str, float]) -> None:
    """An ExportError when a check found a difference above the tolerance."""
    bad = {k: v for k, v in parity.items() if not v <= PARITY_TOLERANCE}
    if bad:
        worst = ", ".join(f"{k} {v:.3g}" for k, v in bad.items())
        raise ExportError(f"The {target} export does not compute what nnstudio computes "
                          f"(max abs difference {worst}, allowed {PARITY_TOLERANCE:g})",
                          fix="this is a bug in nnstudio's exporter: please report it "
                          "with the model file")


def export_model(network, target: str, out: str | Path, meta: dict | None = None,
                 check: bool = True) -> ExportResult:
    """Write ``network`` for ``target`` at ``out`` and check its parity.

    Parameters
    ----------
    network : Network
        The model (design + weights).
    target : {"onnx", "pytorch", "numpy"}
    out : path
        The ``.onnx`` file (written atomically), or the folder for ``pytorch`` and
        ``numpy``: written into a hidden sibling folder, checked there, and put in place
        only when complete (:mod:`~nnstudio.export.staging`); files already in an existing
        folder that the export does not write are kept.
    meta : dict, optional
        The model file's facts (class names, image size, column encoding, training config).
    check : bool
        Verify parity (default). Without it ``parity`` stays empty.

    Raises
    ------
    ExportError
        Unknown target, a layer without a form in the target (named), a missing package, or
        outputs that differ from nnstudio's by more than the tolerance.
    """
    if target not in TARGETS:
        raise ExportError(f"'{target}' is not an export target",
                          fix=f"choose one of {', '.join(TARGETS)}")
    network.design.check()
    start = time.perf_counter()
    out = Path(out)
    renamed: dict[str, str] = {}
    if target == "onnx":
        from .onnx_model import export_onnx

        if out.is_dir():
            raise ExportError(f"'{out}' is a folder", fix="give a file name such as model.onnx")
        paths = export_onnx(network, out, meta)
        result = ExportResult(target, paths)
        if check:
            result.parity, result.skipped = verify(target, out, network)
            _refuse_differences(target, result.parity)
    else:
        with staged_folder(out) as staged:   # in place only when complete and checked
            if target == "pytorch":
                from .pytorch import export_pytorch

                written, renamed = export_pytorch(network, staged, meta)
            else:
                from .numpy_predict import export_numpy

                written = export_numpy(network, staged, meta)
            result = ExportResult(target, [out / p.name for p in written], renamed=renamed)
            if check:
                result.parity, result.skipped = verify(target, staged, network)
                _refuse_differences(target, result.parity)
    result.seconds = time.perf_counter() - start
    return result
