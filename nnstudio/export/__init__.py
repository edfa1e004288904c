"""Taking a model out of nnstudio: ONNX, PyTorch code with weights and a training script,
plain NumPy code; every export checked against nnstudio's own forward pass.

=====================  ==================================================================
module                 what it holds
=====================  ==================================================================
``common``             the graph as the exporters see it, safe names, errors, results
``onnx_model``         ONNX (opset 17) through the ``onnx`` helper API, and its checks
``pytorch``            ``model.py`` (one ``nn.Module``) and ``model.safetensors``
``train_script``       the generated ``train.py`` and its settings ``train.json``
``train_template``     the text of ``train.py`` (CPU, GPU, torchrun with DDP), fixed
``traindata_template`` the text of ``traindata.py``: ``train.py``'s IDX and CSV readers, fixed
``runrecord_template`` the text of ``runrecord.py``: ``train.py``'s run records, fixed
``numpy_predict``      a dependency-free ``predict.py`` and ``weights.npz``
``safetensors_io``     the safetensors format with NumPy alone
``staging``            export folders written whole or not at all
``parity``             :func:`export_model`: write, then verify (max abs difference)
``images``             picture files for ``nnstudio predict`` (PNG/PGM without Qt)
``cli``                the ``export`` and ``predict`` commands
=====================  ==================================================================

Generated code holds no text from a design or a model file: names (the design's, the
classes', the columns', the layer ids) reach it only as data, in one JSON literal or in
``train.json``, parsed at run time; layer ids also give ASCII attribute names.

No module here imports Qt at import time; only JPEG and other formats that no decoder here
reads fall back to Pillow or Qt's image reader when ``nnstudio predict`` meets them.
"""

from nnstudio.export.common import PARITY_TOLERANCE, TARGETS, ExportError, ExportResult
from nnstudio.export.parity import export_model

__all__ = ["PARITY_TOLERANCE", "TARGETS", "ExportError", "ExportResult", "export_model"]
