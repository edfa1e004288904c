"""Arrays as Qt pictures, for any page: a digit as a grey thumbnail.

Pages never import each other; what several of them draw the same way lives here.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

__all__ = ["thumbnail"]


def thumbnail(image: np.ndarray, scale: int = 2) -> QImage:
    """A white-on-black (H, W) image in [0, 1] as a grey QImage, enlarged ``scale`` times."""
    a = np.clip(np.asarray(image, dtype=np.float32), 0, 1)
    a = (a * 255).astype(np.uint8)
    if scale > 1:
        a = np.repeat(np.repeat(a, scale, axis=0), scale, axis=1)
    a = np.ascontiguousarray(a)
    h, w = a.shape
    return QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
