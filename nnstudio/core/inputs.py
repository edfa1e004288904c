"""What a network reads: whether its input is a square grey picture, and of which side.

The Draw page feeds drawings to such a network, the Training panel offers digits at its
side, and the Inside page explains its answers over the picture.
"""

from __future__ import annotations

from typing import Any

from nnstudio.core.datafit import square_side

__all__ = ["image_side"]


def image_side(network: Any) -> int | None:
    """Side of the square greyscale image the network reads, or None if it reads no image.

    Accepts inputs shaped (1, s, s), (s, s) or (s*s,) with s >= 8.
    """
    side = square_side(tuple(network.input_shape))
    return side if side is not None and side >= 8 else None
