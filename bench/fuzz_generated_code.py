"""Fuzzing the names that reach generated code: every export target, every script, run.

Each case makes hostile names from a grammar of dangerous pieces (quotes, triple quotes,
backslashes, the old template's ``@...@`` placeholders, format braces, ``%(prog)s``,
newlines, NUL-free control characters, right-to-left overrides, terminal escapes, and code
that would create a marker file if it ever ran) and puts them in every place a name comes
from: the design's name, the layer ids (names the generated code itself uses, keywords,
dunders; the design model refuses ids that are not valid), the class names and the column
names of a CSV table, and the data source (the table's file name). nnstudio reads the table
as the window does, then the case is exported to ONNX, PyTorch and NumPy in a worker process
(``--code DIR`` takes the exporters of another checkout), and every generated script runs in
its own interpreter with a time limit, in the case's folder:

- ``predict.py --help``, and ``predict.py`` on a small batch (``--json``): every answer must
  be one of the class names, exactly;
- ``model.py`` imported (with torch): its DESIGN_NAME / CLASSES must be the names, exactly
  (where the checkout's model.py has them);
- ``train.py --help``, and one short epoch of ``train.py`` on the table: the model file it
  writes must hold the class names, exactly;
- the ONNX file's metadata must hold the names, exactly.

Outcomes per script and case: *ok*; *code run* (the marker file appeared); *escaped* (a
traceback or a non-zero exit where success was due, or a script that does not compile);
*hang* (past the time limit); *altered* (it ran, but a name came back different).

    .venv/bin/python bench/fuzz_generated_code.py                  # 12 cases, seed 0
    .venv/bin/python bench/fuzz_generated_code.py --cases 40 --seed 3 --timeout 60
    .venv/bin/python bench/fuzz_generated_code.py --code ../old-checkout
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MARKER = "PWNED"
#: dangerous pieces a name is made of
PIECES = [
    f"x' if __import__('os').system('touch {MARKER}') else '",
    f'x" if __import__("os").system("touch {MARKER}") else "',
    f'"""+str(__import__("os").system("touch {MARKER}"))+"""',
    f"'''+str(__import__('os').system('touch {MARKER}'))+'''",
    f"\\'); __import__('os').system('touch {MARKER}'); #",
    '"""', "'''", '"', "'", "\\", "\\\\", "\\n", "\\x00", "\\u202e",
    "@DESIGN@", "@META@", "@CONFIG@", "@LAYERS@", "@NOT_TRAINABLE@", "@NAME@",
    "{", "}", "}}{{", "{0}", "{name}", "{{META}}", "%(prog)s", "%s", "%d", "%%",
    "\n", "\r\n", "\r", "\t", "\x0b", "\x0c", "\x85", "\u2028", "\u2029",
    "\u202e", "\u202d", "\u2066", "\u2069", "\u200f", "\u200d", "\ufeff",
    "\x1b[2J", "\x1b]0;title\x07", "\x07", "\x08", "\x7f", "\x1b[31m",
    "# comment", "#", ";", "):", "lambda: 0", "import os", "$(touch PWNED)", "`id`",
    "<b>bold</b>", "&amp;", "café", "数字", "🙂", "A" * 120, " ",
]
#: layer ids: names the generated code uses, keywords, dunders (the design model checks them)
ID_PIECES = [
    "INPUT_SHAPE", "dense", "conv2d", "max_pool", "step", "params", "sigmoid", "softmax",
    "leaky_relu", "forward", "predict", "main", "read_inputs", "shown", "fail", "np", "F",
    "nn", "torch", "x", "w", "self", "json", "sys", "Path", "struct", "math", "stat",
    "argparse", "__init__", "__class__", "__dict__", "_modules", "_parameters", "training",
    "load_weights", "Model", "Step", "LOSS", "FACTS", "CLASSES", "DESIGN_NAME", "LAYER_IDS",
    "TASK", "WEIGHTS", "h_dense", "layer_2nd", "2nd", "class", "import", "lambda", "None",
    "True", "print", "exec", "eval", "__import__", "scores", "cuda", "to", "type", "x_",
]
TEXT_PIECES = [p for p in PIECES if "\n" not in p and "\r" not in p]
PLACEHOLDERS = [p for p in PIECES if p.startswith("@")]
PAYLOADS = [p for p in PIECES if MARKER in p]


def name(rng: random.Random, pieces: list[str] = PIECES, most: int = 4) -> str:
    """A name of 1..most pieces, joined by nothing or a space."""
    parts = [rng.choice(pieces) for _ in range(rng.randint(1, most))]
    text = (" " if rng.random() < 0.5 else "").join(parts)
    return text[:180] or "x"


def layer_ids(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct candidate layer ids (some joined with ' ', '.', '-' or '_')."""
    out: list[str] = []
    while len(out) < n:
        a = rng.choice(ID_PIECES)
        if rng.random() < 0.3:
            a = a + rng.choice([" ", ".", "-", "_"]) + rng.choice(ID_PIECES)
        if rng.random() < 0.15:     # the design model must refuse these
            a = a + rng.choice(PIECES)
        if a not in out:
            out.append(a)
    return out


# ---------------------------------------------------------------------- one case
def make_case(rng: random.Random, folder: Path) -> dict:
    """Write a hostile table and design into ``folder``; returns what the case holds."""
    from nnstudio.core.design import Design, DesignError, save_design
    from nnstudio.core.modelfile import save_model
    from nnstudio.core.network import Network
    from nnstudio.data.csvdata import column_encoding
    from nnstudio.data.sources import load_source

    # Half the cases are the known attack: a design named 'café' + a placeholder (the name
    # is not ASCII, so its JSON holds escapes), trained on a plain table whose label holds
    # code in single quotes. The other half take every name from the grammar.
    attack = rng.random() < 0.5
    n_classes = rng.randint(2, 3)
    if attack:
        classes = [PAYLOADS[0], "ok", "maybe"][:n_classes]
        cats, columns = ["red", "blue"], ["size", "weight", "colour", "label"]
        file_name = "table"
    else:
        classes = []
        while len(classes) < n_classes:
            c = name(rng, TEXT_PIECES, 3).strip()
            if c and c not in classes and not c.replace(".", "").isdigit():
                classes.append(c)
        cats = list(dict.fromkeys(name(rng, TEXT_PIECES, 2).strip() or "c" for _ in range(3)))
        columns = list(dict.fromkeys(name(rng, TEXT_PIECES, 2).strip() or "col"
                                     for _ in range(4)))
        while len(columns) < 4:
            columns.append(f"col{len(columns)}")
        file_name = "".join(c for c in name(rng, TEXT_PIECES, 3) if c not in "/\0")[:80]
    label = columns[3].replace(":", ";").replace("=", "-") or "label"
    columns[3] = label
    table = folder / f"{file_name.strip() or 't'}.csv"
    x = np.random.default_rng(rng.randint(0, 10**6)).standard_normal((60, 2))
    with open(table, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for i, (a, b) in enumerate(x):
            w.writerow([f"{a:.3f}", f"{b:.3f}", cats[i % len(cats)],
                        classes[(int(a > 0) + int(b > 0.3)) % n_classes]])
    spec = f"csv:{table}:label={label}"
    ds = load_source(spec)
    enc = column_encoding(ds)
    n_in = int(np.prod(ds.sample_shape))
    design_name = (f"café {rng.choice(['@META@', '@META@', *PLACEHOLDERS])}" if attack
                   else name(rng))
    design = Design(design_name)
    refused = 0
    ids = []
    for nid in layer_ids(rng, rng.randint(4, 7)):
        try:                       # the design model's own check of an id
            Design("probe").add_node("Input", {"shape": [1]}, node_id=nid)
            ids.append(nid)
        except DesignError:
            refused += 1
    while len(ids) < 3:
        ids.append(f"layer{len(ids)}")
    design.add_node("Input", {"shape": [n_in]}, node_id=ids[0])
    prev = ids[0]
    for nid in ids[1:-1]:
        design.add_node("Dense", {"units": 5, "activation": rng.choice(
            ["tanh", "relu", "leaky_relu", "sigmoid", "linear"])}, node_id=nid)
        design.connect(prev, nid)
        prev = nid
    design.add_node("Dense", {"units": len(ds.classes), "activation": "softmax"},
                    node_id=ids[-1])
    design.connect(prev, ids[-1])
    design.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
    design.connect(ids[-1], "out")
    meta = {"classes": list(ds.classes), "columns": enc, "data": spec,
            "task": "classification"}
    save_design(design, folder / "design.json")
    save_model(folder / "model.npz", Network(design, seed=0), None, meta)
    np.save(folder / "x.npy", np.random.default_rng(1).standard_normal((6, n_in))
            .astype(np.float32))
    return {"design_name": design_name, "classes": list(ds.classes), "spec": spec,
            "label": label, "ids": ids, "refused_ids": refused, "attack": attack}


EXPORT = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
from nnstudio.core.modelfile import load_model
from nnstudio.export.parity import export_model
model = load_model(sys.argv[2] + "/model.npz")
out = sys.argv[2] + "/out"
os.makedirs(out, exist_ok=True)
targets = ["pytorch", "numpy"]
try:
    import onnx  # noqa: F401
    targets.insert(0, "onnx")
except ImportError:
    pass
for t in targets:
    export_model(model.network, t, out + ("/m.onnx" if t == "onnx" else "/" + t), model.meta,
                 check=False)
print(json.dumps(targets))
"""

MODEL_NAMES = """
import json, sys
sys.path.insert(0, sys.argv[1])
import model
print(json.dumps([getattr(model, "DESIGN_NAME", None), getattr(model, "CLASSES", None)]))
"""


def run(args: list[str], cwd: Path, timeout: float, env: dict | None = None) -> dict:
    """Run one command; its outcome, output and time."""
    start = time.perf_counter()
    try:
        p = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                           env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"hang": True, "seconds": time.perf_counter() - start, "rc": None,
                "out": "", "err": ""}
    return {"hang": False, "seconds": time.perf_counter() - start, "rc": p.returncode,
            "out": p.stdout, "err": p.stderr}


def judge(result: dict, folder: Path, names_ok: bool = True) -> str:
    """The outcome of one run: code run / hang / escaped / altered / ok."""
    if any(p.name == MARKER for p in folder.rglob(MARKER)):
        return "code run"
    if result["hang"]:
        return "hang"
    if result["rc"] != 0:
        return "escaped"
    return "ok" if names_ok else "altered"


def check_case(case: dict, folder: Path, code: Path, timeout: float, torch: bool,
               outcomes: dict, times: dict) -> None:
    """Export the case and run every generated script; add to ``outcomes``."""
    py = sys.executable
    env = {**os.environ, "PYTHONPATH": str(code), "OMP_NUM_THREADS": "1",
           "CUDA_VISIBLE_DEVICES": ""}

    def record(kind: str, result: dict, ok: bool = True) -> None:
        outcomes[kind][judge(result, folder, ok)] += 1
        times[kind] = max(times[kind], result["seconds"])
        for p in folder.rglob(MARKER):
            p.unlink()

    res = run([py, "-c", EXPORT, str(code), str(folder)], folder, timeout, env)
    record("export", res)
    if res["rc"] != 0 or res["hang"]:
        return
    targets = json.loads(res["out"].splitlines()[-1])
    out = folder / "out"
    for script in sorted(out.glob("*/*.py")):
        try:
            compile(script.read_text(encoding="utf-8"), str(script), "exec")
        except (SyntaxError, ValueError):
            outcomes[f"compile {script.name}"]["escaped"] += 1
        else:
            outcomes[f"compile {script.name}"]["ok"] += 1
    predict = out / "numpy" / "predict.py"
    record("predict.py --help", run([py, "-I", str(predict), "--help"], folder, timeout))
    res = run([py, "-I", str(predict), "x.npy", "--json"], folder, timeout)
    answers = [json.loads(line)["answer"] for line in res["out"].splitlines()
               if line.startswith("{")] if res["rc"] == 0 else []
    record("predict.py run", res, len(answers) == 6 and set(answers) <= set(case["classes"]))
    if "onnx" in targets:
        import onnx

        m = onnx.load(str(out / "m.onnx"))
        props = {p.key: p.value for p in m.metadata_props}
        ok = (json.loads(props["classes"]) == case["classes"]
              and json.loads(props["nnstudio_design"])["name"] == case["design_name"])
        outcomes["onnx metadata"]["ok" if ok else "altered"] += 1
    if not torch:
        return
    res = run([py, "-I", "-c", MODEL_NAMES, str(out / "pytorch")], folder, timeout)
    got = json.loads(res["out"].splitlines()[-1]) if res["rc"] == 0 and res["out"] else None
    ok = got is not None and (got[0] in (None, case["design_name"])) and (
        got[1] in (None, case["classes"]))
    record("model.py import", res, ok)
    train = out / "pytorch" / "train.py"
    record("train.py --help", run([py, "-I", str(train), "--help"], folder, timeout))
    res = run([py, "-I", str(train), "--data", case["spec"], "--epochs", "1", "--max-steps",
               "2", "--device", "cpu", "--out", "trained.npz"], folder, timeout)
    ok = False
    if res["rc"] == 0:
        sys.path.insert(0, str(ROOT))
        from nnstudio.core.modelfile import load_model

        try:
            ok = load_model(folder / "trained.npz").classes == case["classes"]
        except Exception:  # noqa: BLE001 - a model file the studio cannot open
            ok = False
    record("train.py run", res, ok)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=12)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per script run")
    p.add_argument("--code", type=Path, default=ROOT,
                   help="the checkout whose exporters write the scripts (default: this one)")
    p.add_argument("--keep", type=Path, help="keep every case's folder here")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    torch = importlib.util.find_spec("torch") is not None
    rng = random.Random(args.seed)
    outcomes: dict[str, Counter] = defaultdict(Counter)
    times: dict[str, float] = defaultdict(float)
    refusals: Counter = Counter()
    base = Path(tempfile.mkdtemp(prefix="nnstudio-fuzz-code-"))
    refused = made = attacks = 0
    start = time.perf_counter()
    try:
        for i in range(args.cases):
            folder = base / f"case{i:03d}"
            folder.mkdir()
            try:
                case = make_case(rng, folder)
            except ValueError as err:      # the table or a name refused by nnstudio
                refusals[f"{type(err).__name__}: {str(err)[:70]}"] += 1
                continue
            made += 1
            attacks += case["attack"]
            refused += case["refused_ids"]
            check_case(case, folder, args.code.resolve(), args.timeout, torch, outcomes, times)
            print(f"case {i}: {case['design_name'][:40]!r} ...", file=sys.stderr, flush=True)
        if args.keep:
            shutil.copytree(base, args.keep, dirs_exist_ok=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    cols = ["ok", "code run", "escaped", "hang", "altered"]
    print(f"\nseed {args.seed}: {made} cases made of {args.cases} ({attacks} the known "
          "attack: 'café @META@' and code in a class name), exporters of "
          f"{args.code}, torch {'installed' if torch else 'absent'}; {refused} layer ids "
          f"refused by the design model; {time.perf_counter() - start:.0f} s")
    print(f"| {'script':<22} | " + " | ".join(f"{c:>8}" for c in cols) + " | slowest s |")
    print(f"|{'-' * 24}|" + "|".join("-" * 10 for _ in cols) + "|-----------|")
    for kind, counts in outcomes.items():
        print(f"| {kind:<22} | " + " | ".join(f"{counts.get(c, 0):>8}" for c in cols)
              + f" | {times.get(kind, 0.0):>9.1f} |")
    for why, n in refusals.items():
        print(f"{n} case(s) refused by nnstudio's readers before any export: {why!r}")
    bad = sum(c[k] for c in outcomes.values() for k in ("code run", "escaped", "hang",
                                                         "altered"))
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
