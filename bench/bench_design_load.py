"""How long a big design takes to load, check and save (it must grow linearly with its size).

Builds designs of N layers as JSON-ready dicts: a chain (Input, N-2 Dense, Output) and a
ladder of Add joins (every block adds a skip link), with the links listed in reverse order
(the worst case for a loop check done link by link). Times reading them
(``design_from_dict``), checking them (``analyze``) and writing them (``design_to_json``), and
prints microseconds per layer, which stays flat when the work is linear.

    .venv/bin/python bench/bench_design_load.py                  # 1k, 5k, 20k layers
    .venv/bin/python bench/bench_design_load.py --sizes 1000 2000
"""

from __future__ import annotations

import argparse
import time


def chain(n: int) -> dict:
    """Input -> n-2 Dense -> Output, links listed last to first."""
    nodes = [{"id": "in", "kind": "Input", "params": {"shape": [8]}}]
    nodes += [{"id": f"d{i}", "kind": "Dense", "params": {"units": 8}} for i in range(n - 2)]
    nodes.append({"id": "out", "kind": "Output", "params": {"loss": "mse"}})
    ids = [nd["id"] for nd in nodes]
    links = [[a, b] for a, b in zip(ids, ids[1:], strict=False)]
    return {"name": f"chain{n}", "nodes": nodes, "links": links[::-1]}


def ladder(n: int) -> dict:
    """Blocks of Dense + Add with a skip link around each Dense, links last to first."""
    nodes = [{"id": "in", "kind": "Input", "params": {"shape": [8]}}]
    links, prev = [], "in"
    for i in range((n - 2) // 2):
        nodes += [{"id": f"d{i}", "kind": "Dense", "params": {"units": 8}},
                  {"id": f"a{i}", "kind": "Add"}]
        links += [[prev, f"d{i}"], [f"d{i}", f"a{i}"], [prev, f"a{i}"]]
        prev = f"a{i}"
    nodes.append({"id": "out", "kind": "Output", "params": {"loss": "mse"}})
    links.append([prev, "out"])
    return {"name": f"ladder{n}", "nodes": nodes, "links": links[::-1]}


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    args = parser.parse_args()
    from nnstudio.core.design import design_from_dict, design_to_json

    print(f"{'design':<14}{'layers':>8}{'load s':>10}{'us/layer':>10}{'analyze s':>11}"
          f"{'save s':>9}")
    for n in args.sizes:
        for make in (chain, ladder):
            d = make(n)
            design, load = timed(design_from_dict, d)
            result, check = timed(design.analyze)
            assert result.ok, result.first_error()
            _, save = timed(design_to_json, design)
            print(f"{d['name']:<14}{len(d['nodes']):>8}{load:>10.3f}{1e6 * load / n:>10.1f}"
                  f"{check:>11.3f}{save:>9.3f}", flush=True)


if __name__ == "__main__":
    main()
