"""Where nnstudio keeps downloaded and generated data, and the person's own digits.

``NNSTUDIO_CACHE_DIR`` and ``NNSTUDIO_DATA_DIR`` override the platform defaults
(platformdirs' user cache and user data folders), e.g. for tests or portable installs.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "nnstudio"


def cache_dir() -> Path:
    """Folder for data that can be fetched or generated again (not created here)."""
    env = os.environ.get("NNSTUDIO_CACHE_DIR")
    return Path(env).expanduser() if env else Path(platformdirs.user_cache_dir(APP))


def data_dir() -> Path:
    """Folder for data only the person has (their drawn digits; not created here)."""
    env = os.environ.get("NNSTUDIO_DATA_DIR")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir(APP))

