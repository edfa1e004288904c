"""Export every template, a branching design and the shipped model to each target: the
parity figure per runtime and the time of each export, checks included.

Times are printed against a reference measured in the same run: nnstudio saving the same
model to its own ``.npz`` file. Imports of onnx/onnxruntime/torch are paid once, in a warm-up
export that is not counted.

    .venv/bin/python bench/bench_export.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "export"))

from export_designs import DESIGNS, meta_for, network_for  # noqa: E402

from nnstudio.core.modelfile import load_model, save_model  # noqa: E402
from nnstudio.export import TARGETS, export_model  # noqa: E402
from nnstudio.resources import resource_path  # noqa: E402


def main() -> int:
    print(f"load average {os.getloadavg()[0]:.1f}")
    models = [(name, network_for(name), None) for name in DESIGNS]
    shipped = load_model(resource_path("default_model.npz"))
    models.append(("default", shipped.network, shipped.meta))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for target in TARGETS:                      # warm-up: imports and first runs
            export_model(models[0][1], target, tmp / f"warm.{target}")
        print(f"{'model':<11} {'target':<8} {'max abs diff per runtime':<52} {'time':>8} "
              f"{'x save':>7}")
        for name, net, meta in models:
            t0 = time.perf_counter()
            save_model(tmp / f"{name}.npz", net)
            ref = time.perf_counter() - t0
            for target in TARGETS:
                out = tmp / (f"{name}.onnx" if target == "onnx" else f"{name}-{target}")
                r = export_model(net, target, out, meta or meta_for(net))
                figures = ", ".join(f"{k} {v:.1e}" for k, v in r.parity.items())
                print(f"{name:<11} {target:<8} {figures:<52} {r.seconds:7.3f}s "
                      f"{r.seconds / ref:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
