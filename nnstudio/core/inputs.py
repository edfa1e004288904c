"""What a network reads: whether its input is a square grey picture, and of which side.

The Draw page feeds drawings to such a network, the Training panel offers digits at its
side, and the Inside page explains its answers over the picture.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["image_side"]


def image_side(network: Any) -> int | None:
    """Side of the square greyscale image the network reads, or None if it reads no image.

    Accepts inputs shaped (1, s, s), (s, s) or (s*s,) with s >= 8.
    """
    shape = tuple(int(v) for v in network.input_shape)
    if len(shape) == 3 and shape[0] == 1 and shape[1] == shape[2]:
        side = shape[1]
    elif len(shape) == 2 and shape[0] == shape[1]:
        side = shape[0]
    elif len(shape) == 1:
        side = math.isqrt(shape[0])
        if side * side != shape[0]:
            return None
    else:
        return None
    return side if side >= 8 else None
