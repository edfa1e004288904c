"""Hostile names from every place a name can come from (the design's name, layer ids,
class names, CSV column names, the data source) go into every export target; each
generated script compiles, lints clean, runs, creates no marker file, and prints the names
as data (escaped where they hold control characters)."""

from __future__ import annotations

import csv
import io
import json
import sys
import tokenize
from pathlib import Path

import numpy as np
import pytest
from export_designs import DESIGNS, network_for
from generated import MARKER, compile_and_lint, has_torch, run_script

from nnstudio import cli
from nnstudio.core.design import Design, DesignError, save_design
from nnstudio.core.modelfile import load_model
from nnstudio.export.parity import export_model
from nnstudio.export.train_script import TEMPLATE
from nnstudio.terminal import printable

RUN = f"x' if __import__('os').system('touch {MARKER}') else '"
RUN2 = f'"; __import__("os").system("touch {MARKER}"); "'
#: pieces that broke or could break generated code
PIECES = [RUN, RUN2, '"""', "'''", "@META@", "@DESIGN@", "@CONFIG@", "\\", "}}{{", "{0}",
          "%(prog)s", "\u202e", "\x1b[2J", "\x07", "café"]
DESIGN_NAME = " ".join(PIECES) + "\nsecond line\r\n"
#: layer ids are limited by the design model; these valid ones are names the code uses
LAYER_IDS = ["INPUT_SHAPE", "dense", "torch", "nn", "__init__", "_modules", "step",
             "params", "np", "F", "x", "w"]
LABEL = "label }}{{ \u202e @CONFIG@ '\"\"\""
COLUMNS = ['"""', "@META@ \\ \u202e", f"x }}}}{{{{ \x1b[2J {RUN}"]
CLASSES = [RUN, '"""\n@META@\\', "\u202eevil\x07"]
CATEGORIES = ["red'", "@META@", RUN2]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A model trained by nnstudio on a table full of hostile names, exported to every
    target (parity checked) into a folder whose own name is hostile too."""
    folder = tmp_path_factory.mktemp("hostile")
    design = Design(DESIGN_NAME)
    design.add_node("Input", {"shape": [5]}, node_id=LAYER_IDS[0])
    prev = LAYER_IDS[0]
    acts = ["tanh", "relu", "leaky_relu", "sigmoid"]
    for i, nid in enumerate(LAYER_IDS[1:-1]):
        design.add_node("Dense", {"units": 6, "activation": acts[i % 4]}, node_id=nid)
        design.connect(prev, nid)
        prev = nid
    design.add_node("Dense", {"units": 3, "activation": "softmax"}, node_id=LAYER_IDS[-1])
    design.connect(prev, LAYER_IDS[-1])
    design.add_node("Output", {"loss": "cross_entropy"}, node_id="out")
    design.connect(LAYER_IDS[-1], "out")
    save_design(design, folder / "design.json")
    table = folder / "tab'le @META@ \u202e.csv"
    rng = np.random.default_rng(0)
    with open(table, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*COLUMNS, LABEL])
        for i in range(90):
            a, b = rng.normal(), rng.normal()
            writer.writerow([f"{a:.3f}", CATEGORIES[i % 3], f"{b:.3f}",
                             CLASSES[int(a > 0) + int(b > 0.5)]])
    assert cli.main(["train", "--design", str(folder / "design.json"), "--data",
                     f"csv:{table}:label={LABEL}", "--epochs", "1", "--out",
                     str(folder / "m.npz")]) == 0
    model = load_model(folder / "m.npz")
    assert sorted(model.classes) == sorted(CLASSES)
    out = folder / "out @META@ '"
    out.mkdir()
    results = {}
    if has_onnx():
        results["onnx"] = export_model(model.network, "onnx", out / "m.onnx", model.meta)
    results["pytorch"] = export_model(model.network, "pytorch", out / "pt", model.meta)
    results["numpy"] = export_model(model.network, "numpy", out / "np", model.meta)
    return {"folder": folder, "out": out, "model": model, "table": table, "results": results}


def has_onnx() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnx") is not None


def test_every_place_really_holds_a_hostile_name(hostile):
    meta = hostile["model"].meta
    assert hostile["model"].design.name == DESIGN_NAME
    assert set(meta["classes"]) == set(CLASSES)
    assert meta["columns"]["label"] == LABEL
    assert set(meta["columns"]["categories"][COLUMNS[1]]) == set(CATEGORIES)
    assert "@META@" in meta["data"] and "'" in meta["data"]
    assert hostile["results"]["pytorch"].renamed == {
        "torch": "torch_", "nn": "nn_", "__init__": "layer__init__", "_modules": "layer_modules",
        "F": "F_", "x": "x_"}


def test_ids_that_could_break_code_are_refused_by_the_design_model():
    for bad in (RUN, 'a"b', "a\nb", "a\\b", "\u202eid", "a{b}", "x" * 65, " lead"):
        with pytest.raises(DesignError):
            Design("d").add_node("Input", {"shape": [2]}, node_id=bad)


def test_generated_files_compile_and_lint_clean(hostile):
    scripts = sorted(hostile["out"].glob("*/*.py"))
    assert {p.name for p in scripts} == {"model.py", "train.py", "traindata.py", "runrecord.py",
                                          "predict.py"}
    findings = compile_and_lint(scripts)
    assert not findings, findings          # None: ruff absent, compile() only
    if findings is None:
        pytest.skip("ruff is not available: the scripts were only compiled")


def test_names_are_only_in_the_one_data_literal(hostile):
    """Every string in the scripts' code is fixed text, except one JSON literal that is
    parsed at run time; train.py is the same fixed text for every model."""
    assert (hostile["out"] / "pt" / "train.py").read_text() == TEMPLATE
    for path in (hostile["out"] / "pt" / "model.py", hostile["out"] / "np" / "predict.py"):
        source = path.read_text()
        assert source.isascii()
        literals = []
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING and ("@META@" in tok.string or MARKER in tok.string):
                literals.append(tok)
        assert len(literals) == 1, [t.string[:60] for t in literals]
        assert literals[0].line.startswith("FACTS = json.loads(")
        facts = json.loads(eval(literals[0].string))       # a plain str literal
        assert facts["design_name"] == DESIGN_NAME
        assert facts["classes"] == hostile["model"].classes


def test_onnx_metadata_keeps_the_names_as_data(hostile):
    onnx = pytest.importorskip("onnx")
    model = onnx.load(str(hostile["out"] / "m.onnx"))
    onnx.checker.check_model(model, full_check=True)
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["classes"]) == hostile["model"].classes
    assert json.loads(props["nnstudio_design"])["name"] == DESIGN_NAME
    assert json.loads(props["preprocessing"])["columns"]["label"] == LABEL
    assert model.graph.name == DESIGN_NAME
    assert hostile["results"]["onnx"].parity["onnx.reference"] <= 1e-5


def test_scripts_answer_help_and_run_nothing(hostile):
    folder = hostile["folder"]
    scripts = [hostile["out"] / "np" / "predict.py"]
    if has_torch():            # model.py runs in test_model_py_gives_back_every_name_exactly
        scripts.append(hostile["out"] / "pt" / "train.py")
    for script in scripts:
        run = run_script(script, "--help", cwd=folder)
        assert run.returncode == 0, run.stderr[-2000:]
        assert not (folder / MARKER).exists(), script
    assert not (Path.cwd() / MARKER).exists()


def test_predict_prints_the_class_names_escaped(hostile):
    folder = hostile["folder"]
    x = np.random.default_rng(1).standard_normal((12, 5)).astype(np.float32)
    np.save(folder / "x.npy", x)
    run = run_script(hostile["out"] / "np" / "predict.py", "x.npy", "--out", "y.npy",
                     cwd=folder)
    assert run.returncode == 0, run.stderr
    assert not (folder / MARKER).exists()
    shown = {printable(c) for c in CLASSES}
    answers = [line.split(": ", 1)[1] for line in run.stdout.splitlines()]
    assert len(answers) == 12 and set(answers) <= shown, answers
    assert not set(run.stdout) & {"\x1b", "\x07", "\u202e"}
    np.testing.assert_allclose(np.load(folder / "y.npy"),
                               hostile["model"].network.forward(x), atol=1e-5)
    run = run_script(hostile["out"] / "np" / "predict.py", "x.npy", "--json", cwd=folder)
    assert {json.loads(line)["answer"] for line in run.stdout.splitlines()} <= set(CLASSES)


def test_model_py_gives_back_every_name_exactly(hostile):
    if not has_torch():
        pytest.skip("torch is not installed")
    folder = hostile["folder"]
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import model; "
            "print(json.dumps([model.DESIGN_NAME, model.CLASSES, model.LAYER_IDS]))")
    run = __import__("subprocess").run(
        [sys.executable, "-I", "-c", code, str(hostile["out"] / "pt")], capture_output=True,
        text=True, cwd=folder, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    name, classes, ids = json.loads(run.stdout)
    assert name == DESIGN_NAME and classes == hostile["model"].classes
    assert set(ids.values()) == {*LAYER_IDS, "out"}
    assert not (folder / MARKER).exists()


def test_train_py_trains_on_the_hostile_table_and_prints_the_name_escaped(hostile):
    if not has_torch():
        pytest.skip("torch is not installed")
    folder = hostile["folder"]
    run = run_script(hostile["out"] / "pt" / "train.py", "--data",
                     f"csv:{hostile['table']}:label={LABEL}", "--epochs", "1", "--out",
                     "again.npz", cwd=folder, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert not (folder / MARKER).exists()
    first = run.stdout.splitlines()[0]
    assert first.startswith(f"training '{printable(DESIGN_NAME)}' on 81 samples"), first
    assert not set(run.stdout) & {"\x1b", "\x07", "\u202e"}
    again = load_model(folder / "again.npz")
    assert again.design.name == DESIGN_NAME
    assert again.classes == hostile["model"].classes
    assert again.meta["columns"]["label"] == LABEL


@pytest.mark.parametrize("name", DESIGNS)
def test_every_template_exports_scripts_that_compile_and_lint_clean(name, tmp_path):
    net = network_for(name)
    export_model(net, "pytorch", tmp_path / "pt", check=False)
    export_model(net, "numpy", tmp_path / "np", check=False)
    findings = compile_and_lint(sorted(tmp_path.glob("*/*.py")))
    assert not findings, findings
