"""Images from outside (dropped or pasted files, clipboard pictures) as digit drawings.

A photo or scan of a digit is usually dark ink on light paper; MNIST is white ink on black.
:func:`image_to_ink` converts any readable picture to a white-on-black greyscale array the
canvas can show and the network can read, guessing the polarity from the picture's border.
Picture files are read by :func:`nnstudio.export.images.read_picture`, the reader of
``nnstudio predict``: the same formats, the same size checks before decoding, the same
answer for the same file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QImage

from nnstudio.data.preprocess import PICTURE_MAX_SIDE, NoInkError, picture_to_ink, shrink_picture
from nnstudio.export.images import ImageFileError, read_picture

#: longest side an imported picture is reduced to before it is analysed
MAX_SIDE = PICTURE_MAX_SIDE


class ImageImportError(ValueError):
    """A file or clipboard content that cannot be used as a digit; the message says why."""


def qimage_to_array(image: QImage) -> np.ndarray:
    """A QImage as a uint8 array (H, W, 4) in RGBA order (a copy)."""
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    h, w, stride = rgba.height(), rgba.width(), rgba.bytesPerLine()
    buf = np.frombuffer(rgba.constBits(), dtype=np.uint8, count=h * stride)
    return buf.reshape(h, stride)[:, : w * 4].reshape(h, w, 4).copy()


def gray_to_qimage(array: np.ndarray) -> QImage:
    """A (H, W) array in [0, 1] as a Grayscale8 QImage (owns its data)."""
    a = np.ascontiguousarray(np.clip(array, 0.0, 1.0) * 255.0 + 0.5, dtype=np.uint8)
    h, w = a.shape
    return QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


def image_to_ink(image: QImage, name: str = "the image") -> np.ndarray:
    """Turn a picture of a digit into white ink on black, padded to a square.

    Parameters
    ----------
    image : QImage
        Any picture; colour is converted to grey, a transparent background counts as black.
    name : str
        What to call the picture in error messages (e.g. the file name).

    Returns
    -------
    np.ndarray
        float32 (S, S) in [0, 1], the ink centred in a black square.

    Raises
    ------
    ImageImportError
        The picture is empty or holds no visible ink.
    """
    if image.isNull() or image.width() < 1 or image.height() < 1:
        raise ImageImportError(f"{name} is empty.")
    if max(image.width(), image.height()) > MAX_SIDE:
        image = image.scaled(
            MAX_SIDE, MAX_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    rgba = qimage_to_array(image)
    try:
        return picture_to_ink(rgba, name)
    except NoInkError as err:
        raise ImageImportError(str(err)) from None


def load_image_file(path: str | Path) -> np.ndarray:
    """Read a picture file and turn it into white ink on black, as ``nnstudio predict`` does.

    Returns
    -------
    np.ndarray
        float32 (S, S) in [0, 1], as from :func:`image_to_ink`.

    Raises
    ------
    ImageImportError
        The file does not exist, is not a picture that can be read, is larger than the
        limits allow, or shows no digit.
    """
    p = Path(path)
    name = f"'{p.name}'"
    try:
        picture = read_picture(p, MAX_SIDE)
    except ImageFileError as err:
        text = str(err).replace(f"'{p}'", name)
        raise ImageImportError(text[:1].upper() + text[1:] + ".") from None
    try:
        return picture_to_ink(shrink_picture(picture, MAX_SIDE), name)
    except NoInkError as err:
        raise ImageImportError(str(err)) from None


def ink_from_mime(mime: QMimeData) -> tuple[np.ndarray, str]:
    """The digit in dropped or pasted content: an image, or the first file among its URLs.

    Returns
    -------
    (np.ndarray, str)
        The ink as from :func:`image_to_ink`, and a short description of where it came from.

    Raises
    ------
    ImageImportError
        Nothing usable in the content.
    """
    if mime.hasUrls():
        files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        if not files:
            raise ImageImportError("Only files on this computer can be dropped here.")
        return load_image_file(files[0]), f"'{Path(files[0]).name}'"
    if mime.hasImage():
        data = mime.imageData()
        image = data if isinstance(data, QImage) else QImage(data)
        return image_to_ink(image, "the pasted picture"), "the pasted picture"
    if mime.hasText():
        text = mime.text().strip()
        if text.startswith("file://"):
            from PySide6.QtCore import QUrl

            text = QUrl(text).toLocalFile()
        if text and "\n" not in text and Path(text).is_file():
            return load_image_file(text), f"'{Path(text).name}'"
    raise ImageImportError(
        "There is no picture to use here: copy an image or an image file, then paste."
    )
