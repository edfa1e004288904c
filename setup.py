"""Packaging glue: ship the top-level resources/ folder as the package ``nnstudio.resources``.

Everything else about the package lives in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["nnstudio", "nnstudio.*"]), "nnstudio.resources"],
    package_dir={"nnstudio.resources": "resources"},
)
