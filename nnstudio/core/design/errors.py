"""The typed errors of a design, in words a person can act on."""

from __future__ import annotations

__all__ = ["CycleError", "DesignError", "LinkError", "ParamError", "ShapeError"]


class DesignError(ValueError):
    """A problem with a design, in words a person can act on.

    Parameters
    ----------
    message : str
        What is wrong, naming the node, e.g. ``"Dense 'fc1' needs a flat input but
        receives 16×14×14"``.
    node_id : str, optional
        The node the problem belongs to (the editor marks it).
    fix : str, optional
        What to do, e.g. ``"insert a Flatten before it"``.

    ``str(err)`` is the full sentence ``"message: fix"``.
    """

    def __init__(self, message: str, node_id: str | None = None, fix: str | None = None):
        self.message = message
        self.node_id = node_id
        self.fix = fix
        super().__init__(f"{message}: {fix}" if fix else message)


class ParamError(DesignError):
    """A bad layer parameter, e.g. ``units must be a whole number >= 1``."""


class ShapeError(DesignError):
    """A layer receives an input of a shape it cannot take."""


class CycleError(DesignError):
    """A link would close a loop; designs must be acyclic."""


class LinkError(DesignError):
    """A link that cannot exist: unknown node, self link, duplicate, into an Input, ..."""
