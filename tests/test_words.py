"""Counted words: one helper, so no text says "pass(es)" or "1 passes"."""

from __future__ import annotations

import numpy as np

from nnstudio.core.perceptron_training import outcome_text
from nnstudio.words import counted, noun


def test_counted_words_take_the_singular_for_one_only():
    assert counted(1, "pass", "passes") == "1 pass"
    assert counted(3, "pass", "passes") == "3 passes"
    assert counted(0, "mistake") == "0 mistakes"
    assert counted(1500, "sample") == "1,500 samples"
    assert counted(2.5, "epoch") == "2.5 epochs"
    assert noun(1, "class", "classes") == "class" and noun(2, "class", "classes") == "classes"


def test_the_perceptrons_endings_count_their_passes_and_mistakes():
    one = outcome_text({"kind": "stopped", "passes": 1, "mistakes": 1})
    assert one == "Stopped after 1 pass, 1 mistake in the last one."
    many = outcome_text({"kind": "out_of_passes", "passes": 100, "mistakes": 3})
    assert many.startswith("Still 3 mistakes in the last pass after 100 passes.")
    cycle = outcome_text({"kind": "cycle", "passes": 9, "period": 1})
    assert "where they were 1 pass earlier" in cycle
    for text in (one, many, cycle):
        assert "(es)" not in text and "(s)" not in text


def test_a_data_mismatch_counts_its_units_and_values():
    from types import SimpleNamespace

    from nnstudio.core.datafit import data_mismatch

    net = SimpleNamespace(input_shape=(2,), output_shape=(1,), task="regression",
                          loss_name="mse")
    data = SimpleNamespace(name="cars", sample_shape=(2,), task="regression",
                           y=np.zeros((5, 2), np.float32), classes=[])
    text = data_mismatch(net, data)
    assert "has 2 target values per sample" in text and "2 units" in text
    net = SimpleNamespace(input_shape=(2,), output_shape=(1,), task="classification",
                          loss_name="cross_entropy")
    data = SimpleNamespace(name="blobs", sample_shape=(2,), task="classification",
                           y=np.zeros(5, np.int64), classes=["a", "b"])
    assert "only 1 output unit:" in data_mismatch(net, data)
