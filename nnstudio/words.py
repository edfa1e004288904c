"""Counted words in what the studio says: "1 pass", "3 passes", "1,500 samples".

One helper for every count a person reads, so no text says "pass(es)" or "1 passes". No Qt:
the engine's messages use it as well as the window's.
"""

from __future__ import annotations

__all__ = ["counted", "noun"]


def noun(n: float, word: str, plural: str | None = None) -> str:
    """``word`` for exactly one, else its plural (``word + "s"`` unless given).

    >>> noun(1, "pass", "passes"), noun(0, "pass", "passes"), noun(2, "mistake")
    ('pass', 'passes', 'mistakes')
    """
    return word if n == 1 else (plural if plural is not None else word + "s")


def counted(n: float, word: str, plural: str | None = None) -> str:
    """``n`` with thousands separated, then ``word`` in the singular for exactly one, else
    in the plural (``word + "s"`` unless given).

    >>> counted(1, "pass", "passes"), counted(3, "pass", "passes"), counted(1500, "sample")
    ('1 pass', '3 passes', '1,500 samples')
    """
    number = f"{int(n):,}" if float(n).is_integer() else f"{n:,g}"
    return f"{number} {noun(n, word, plural)}"
