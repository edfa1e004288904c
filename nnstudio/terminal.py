"""Text for a terminal: what files contain, escaped, and the command's progress line."""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["Progress", "printable"]


def printable(value: object, limit: int = 200) -> str:
    """``value`` as text safe for a terminal: control characters and escape sequences
    are shown as ``\\x1b``-style escapes, and very long text is cut."""
    text = str(value)
    cut = len(text) > limit
    text = text[:limit]
    out = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                  for c in text)
    return out + ("…" if cut else "")


class Progress:
    """One updating progress line on a terminal, a summary line per epoch."""

    def __init__(self, stream: TextIO, width: int = 24, mistakes: bool = False) -> None:
        self.stream, self.width = stream, width
        self.mistakes = mistakes  # perceptron passes: mistakes per pass, not a loss
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self._last = 0.0
        self._shown = False

    def batch(self, info) -> None:
        if not self.live:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and info.batch < info.n_batches:
            return
        self._last = now
        done = int(self.width * info.batch / max(info.n_batches, 1))
        acc = "" if info.accuracy is None else f" acc {100 * info.accuracy:5.1f}%"
        rate = info.samples_seen / info.elapsed if info.elapsed > 0 else 0.0
        line = (f"epoch {info.epoch}/{info.epochs} [{'#' * done}{'.' * (self.width - done)}] "
                f"{info.batch}/{info.n_batches} loss {info.loss:.4f}{acc} {rate:,.0f}/s")
        self.stream.write("\r" + line[:119].ljust(119))
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * 119 + "\r")
            self._shown = False

    def epoch(self, info) -> None:
        self.clear()
        if self.mistakes:
            parts = [f"pass {info.epoch}/{info.epochs}", f"mistakes {info.train_loss:.0f}"]
            if info.val_loss is not None:
                parts.append(f"held-out mistakes {info.val_loss:.0f}")
            self.stream.write("  ".join(parts) + "\n")
            self.stream.flush()
            return
        parts = [f"epoch {info.epoch}/{info.epochs}", f"loss {info.train_loss:.4f}"]
        if info.train_accuracy is not None:
            parts.append(f"acc {100 * info.train_accuracy:.2f}%")
        if info.val_loss is not None:
            parts.append(f"val_loss {info.val_loss:.4f}")
        if info.val_accuracy is not None:
            parts.append(f"val_acc {100 * info.val_accuracy:.2f}%")
        parts.append(f"{info.elapsed:.1f}s")
        self.stream.write("  ".join(parts) + "\n")
        self.stream.flush()


# ---------------------------------------------------------------------- commands
