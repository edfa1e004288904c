"""Every neuron over the plane of a toy set fed as features (the playground's pictures)."""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.core.insight.plane import plane_grid
from nnstudio.core.insight.playground import plane_maps, square_bounds
from nnstudio.core.network import Network
from nnstudio.core.templates import get_template
from nnstudio.data.toy import feature_columns, make_toy, toy_points


def test_plane_maps_match_the_network_on_the_same_features() -> None:
    features = ["x1", "x2", "x1x2", "sin1"]
    design = get_template("playground")
    design.nodes["input"].params["shape"] = [4]
    net = Network(design, seed=3)
    ds = make_toy("spiral", n=200, noise=0.1, features=features)
    bounds = square_bounds(toy_points(ds))
    assert bounds[1] - bounds[0] == pytest.approx(bounds[3] - bounds[2])   # a square
    maps = plane_maps(net, lambda p: feature_columns(p, features), bounds, 20,
                      ["fc1", "fc2", "fc3"])
    assert maps.inputs.shape == (20, 20, 4) and maps.side == 20
    assert maps.nodes["fc1"].shape == (20, 20, 16) and maps.nodes["fc3"].shape == (20, 20, 1)
    grid = plane_grid(bounds, 20)
    # row i is y ascending, column j x ascending; x1·x2 is the product of the two
    assert np.allclose(maps.inputs[:, :, 0], grid[:, 0].reshape(20, 20))
    assert np.allclose(maps.inputs[:, :, 2], (grid[:, 0] * grid[:, 1]).reshape(20, 20),
                       atol=1e-4)
    direct = net.predict(feature_columns(grid, features))
    assert np.allclose(maps.nodes["fc3"].reshape(-1), direct.reshape(-1), atol=1e-6)


def test_plane_maps_refuse_features_the_network_does_not_take() -> None:
    net = Network(get_template("playground"), seed=0)
    with pytest.raises(ValueError, match="takes 2 inputs, not the 3 features"):
        plane_maps(net, lambda p: feature_columns(p, ["x1", "x2", "sin2"]),
                   (-1, 1, -1, 1), 8, ["fc1"])
    with pytest.raises(ValueError, match="grid side"):
        plane_maps(net, lambda p: p, (-1, 1, -1, 1), 1, ["fc1"])
