"""Seeded fuzzing of lesson files opened in the real window's lesson runner.

The cases are the shipped lessons mutated with a seeded random generator: hostile lines put
into a step or the header (widget checks that name methods, locks and hides of the window,
clicks of Quit and Open, huge numbers, NaN, Infinity, 2**100, paths with ``..``, absolute
paths, a link out of the lesson's folder, terminal escapes), numbers of a line replaced by
hostile ones, lines repeated into long files (misspelt directives, up to 5 MB), lines
deleted, swapped or duplicated, and flipped bytes.

Each case is written into the lessons folder of a fresh data folder and opened in a worker
process that holds one real main window (offscreen): the Lessons page lists it; a lesson it
accepts is started, and every step is opened, its checks measured, its buttons and "Show
me" clicked with the mouse, and any training stopped. The worker counts, per case:

- *escaped*: exceptions that reached ``sys.excepthook`` (a slot that raised) or the driver;
- *hang*: the window's thread did not come back for the time limit (10 s by default): the
  worker sends a heartbeat whenever the event loop runs or a driver call returns, and a case
  without one for that long is killed (a case may take up to ``--case-limit`` in all);
- *froze*: the window's thread was busy for more than 2 s in one go (it still finished);
- *closed / hidden / locked*: afterwards, or while a step was open, the window was closed,
  hidden, disabled, another main window had opened, or the lesson's own buttons, the tabs or
  the toolbar could not be used;
- *outside*: a file outside the lesson's folder was opened (bait files beside the data
  folder, ``/etc/passwd``, ``/etc/hosts``; seen with an audit hook on ``open``);
- *disagree*: ``nnstudio lessons check`` (``load``) and the window's list judged the file
  differently (one accepted what the other refused, or a different first line).

    .venv/bin/python bench/fuzz_lessons.py                        # 300 cases, seed 0
    .venv/bin/python bench/fuzz_lessons.py --cases 100 --seed 3
    .venv/bin/python bench/fuzz_lessons.py --code ../main          # that checkout, same cases
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "nnstudio" / "resources" / "lessons"
KINDS = ("hostile-line", "header", "numbers", "long", "lines", "bytes")
COUNTED = ("escaped", "hang", "froze", "closed", "hidden", "locked", "outside", "disagree")

NUMBERS = ["999999999", "999999999999", "1e308", "1e9", "nan", "inf", "-inf", "-1", "0",
           "2**100", "1267650600228229401496703205376", "-0", "1e-320", "300000", "65536"]
NAMES = ["mainWindow", "lessonDock", "lessonNext", "lessonLeave", "lessonShowMe", "mainToolBar",
         "mainTabs", "actionQuit", "actionOpen", "actionSave", "lessonPanel", "stepCard",
         "lrSpin", "templateChooser", "actionPlay"]
READS = ["close", "deleteLater", "__class__", "hide", "showMinimized", "setDisabled", "value",
         "enabled", "text", "grab", "destroyed"]
LINES = ["check: widget {NAME}.{READ} == 1", "check: widget {NAME}.{READ} >= {NUM}",
         "lock: {NAME}", "hide: {NAME}", "lock: {NAME}, {NAME}", "show: click {NAME}",
         "do: Press | click {NAME}", "show: set {NAME} {NUM}", "do: Fit | fit {NUM}",
         "show: fit {NUM}", "show: perceptron {NUM}", "do: Train | train {NUM}",
         "do: Again | reset {NUM}", "settings: seed={NUM}", "settings: lr={NUM} epochs={NUM}",
         "settings: batch={NUM} val={NUM}", "design: chain 784 dense:{NUM}",
         "design: chain {NUM} dense:10", "design: chain 1x{NUM}x{NUM} conv:{NUM}:3 flatten "
         "dense:10", "design: file {PATH}", "data: csv:{PATH}:label=a",
         "data: cars+csv:{PATH}:label=a", "data: 3v7:csv:{PATH}:label=a", "data: idx:{DIR}",
         "data: synthetic:{NUM}", "data: toy:spiral:n={NUM}", "weights: seed {NUM}",
         "weights: neuron/W = {NUM} {NUM}", "check: output {NUM},{NUM} == 1",
         "check: metric accuracy >= {NUM} within {NUM}", "hint: \x1b[2J\x1b]0;x\x07\u202e",
         "task: \x1b[31m red \x07", "chek: metric accuracy > 0.5"]
HEADER = ["hint after: {NUM}", "order: {NUM}", "lock: {NAME}", "hide: {NAME}",
          "title: \x1b]0;pwned\x07\u202eevil", "id: ../../x"]


# ---------------------------------------------------------------------- cases
def _fill(template: str, rng: random.Random, outside: Path) -> str:
    paths = ["../outside/secret.csv", "../../outside/secret.csv", str(outside / "secret.csv"),
             "~/secret.csv", "link.csv", "/etc/passwd", "sub/../../outside/secret.csv",
             str(outside / "design.json"), "../outside/design.json", "linkdesign.json"]
    dirs = [str(outside / "idx"), "../outside/idx", "/etc", "linkdir"]
    out = template
    for key, pool in (("{NUM}", NUMBERS), ("{NAME}", NAMES), ("{READ}", READS),
                      ("{PATH}", paths), ("{DIR}", dirs)):
        while key in out:
            out = out.replace(key, rng.choice(pool), 1)
    return out


def make_case(rng: random.Random, kind: str, outside: Path) -> bytes:
    """One mutated lesson file (bytes)."""
    source = rng.choice(sorted(SHIPPED.glob("*.lesson.md")))
    lines = source.read_text(encoding="utf-8").splitlines()
    steps = [i for i, line in enumerate(lines) if line.startswith("## ")]
    if kind == "hostile-line":
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(steps[0] + 1, len(lines)) if steps else len(lines)
            if steps and rng.random() < 0.5:  # often in the first step, which always opens
                at = steps[0] + 1
            lines.insert(at, _fill(rng.choice(LINES), rng, outside))
    elif kind == "header":
        lines.insert(rng.randint(1, 3), _fill(rng.choice(HEADER), rng, outside))
    elif kind == "numbers":
        numbered = [i for i, line in enumerate(lines) if re.search(r"\d", line)]
        for i in rng.sample(numbered, min(len(numbered), rng.randint(1, 4))):
            lines[i] = re.sub(r"\d+(?:\.\d+)?", lambda _m: rng.choice(NUMBERS), lines[i])
    elif kind == "long":
        piece = rng.choice(["chek: metric accuracy > 0.5", "hitn: try again",
                            _fill(rng.choice(LINES), rng, outside), "plain text " * 8])
        times = rng.choice([2_000, 20_000, 170_000])
        at = rng.randint(steps[0] + 1, len(lines)) if steps else len(lines)
        lines[at:at] = [piece] * times
    elif kind == "lines":
        for _ in range(rng.randint(1, 6)):
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            how = rng.choice(("delete", "swap", "duplicate"))
            if how == "delete" and len(lines) > 1:
                del lines[i]
            elif how == "swap":
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines.insert(j, lines[i])
    data = bytearray("\n".join(lines).encode("utf-8") + b"\n")
    if kind == "bytes":
        for _ in range(rng.randint(1, 8)):
            k = rng.randrange(len(data))
            data[k] = rng.choice([data[k] ^ (1 << rng.randrange(8)), 0, 0xFF, 0x1B, 0x0A])
    return bytes(data)


def make_folder(top: Path) -> tuple[Path, Path]:
    """The data folder (with lessons/ and links out of it) and the bait folder beside it."""
    data, outside = top / "data", top / "outside"
    (data / "lessons").mkdir(parents=True)
    (outside / "idx").mkdir(parents=True)
    (outside / "secret.csv").write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    shutil.copy(ROOT / "tests" / "regressions" / "design" / "0-516-mlp.json",
                outside / "design.json")
    for name, target in (("link.csv", "secret.csv"), ("linkdesign.json", "design.json"),
                         ("linkdir", "idx")):
        (data / "lessons" / name).symlink_to(outside / target)
    return data, outside


# ---------------------------------------------------------------------- the worker
def worker(code: str, data: str, outside: str) -> None:
    """Open one real window; read case files named on stdin; answer a JSON line each."""
    sys.path.insert(0, code)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["NNSTUDIO_DATA_DIR"] = data
    baits = (os.path.realpath(outside) + os.sep, "/etc/passwd", "/etc/hosts", "/etc/shadow")
    seen = {"outside": 0, "escaped": 0}

    def audit(event: str, args: tuple) -> None:
        if event == "open" and args and isinstance(args[0], str | bytes):
            path = os.fsdecode(args[0])
            if os.path.realpath(path).startswith(baits) or path.startswith(baits):
                seen["outside"] += 1

    def hook(*exc) -> None:
        seen["escaped"] += 1
        sys.__excepthook__(*exc)  # (on the worker's stderr)

    sys.addaudithook(audit)
    sys.excepthook = hook
    from PySide6.QtCore import QEventLoop, QObject, QSettings, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget

    app = QApplication([])
    QMessageBox.exec = lambda box: QMessageBox.StandardButton.Discard
    from nnstudio.gui import MainWindow
    from nnstudio.lessons.format import LessonError, load

    w = MainWindow(settings=QSettings(str(Path(data) / "s.ini"), QSettings.Format.IniFormat),
                   data=None)
    w.resize(1280, 800)
    w.show()
    page = w.pages["lessonPanel"]
    blocked = [0.0]

    def beat() -> None:
        print("~", flush=True)

    def spin(ms: int) -> None:
        t0 = time.perf_counter()
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()
        blocked[0] = max(blocked[0], time.perf_counter() - t0 - ms / 1000)
        beat()

    def timed(fn, *args) -> None:
        t0 = time.perf_counter()
        try:
            fn(*args)
        except Exception:  # noqa: BLE001 - counted, the fuzzing goes on
            seen["escaped"] += 1
            traceback.print_exc()
        blocked[0] = max(blocked[0], time.perf_counter() - t0)
        beat()

    def state() -> dict[str, bool]:
        try:
            others = [x for x in QApplication.topLevelWidgets()
                      if isinstance(x, QMainWindow) and x.isVisible() and x is not w]
            parts = [w.findChild(QWidget, n) for n in ("mainTabs", "mainToolBar")]
            if page.card is not None and page.runner is not None and page.runner.active:
                parts += [page.card.next_button, page.card.leave_button]
            return {"closed": not w.isVisible() or bool(others),
                    "hidden": w.isMinimized() or any(p is not None and p.isHidden()
                                                     for p in parts),
                    "locked": not w.isEnabled() or any(p is not None and not p.isEnabled()
                                                       for p in parts)}
        except RuntimeError:  # the window was deleted
            return {"closed": True, "hidden": True, "locked": True}

    for line in sys.stdin:
        path = Path(line.strip())
        seen.update(outside=0, escaped=0)
        blocked[0] = 0.0
        bad = {"closed": False, "hidden": False, "locked": False}
        try:
            checker = ("ok", 0) if load(path) else ("ok", 0)
        except LessonError as err:
            checker = ("refused", err.problems[0].line if err.problems else 0)
        except Exception:  # noqa: BLE001
            checker = ("raised", 0)
            seen["escaped"] += 1
        timed(page.reload)
        entry = next((e for e in page.entries if e.path.name == path.name), None)
        window = ("missing", 0) if entry is None else (
            ("ok", 0) if entry.ok else ("refused", entry.problems[0].line
                                        if entry.problems else 0))
        if entry is not None and entry.ok:
            page.list.setCurrentRow(page.entries.index(entry))
            timed(lambda: page.start_selected(over=True))
            steps = len(entry.lesson.steps)
            for i in range(min(steps, 4)):
                card = page.card
                if card is None or page.runner is None or not page.runner.active:
                    break
                timed(page.go, i)
                spin(350)
                for b in list(card.step_buttons)[:3] + [card.show_button]:
                    if b.isVisible() and b.isEnabled():
                        timed(QTest.mouseClick, b, Qt.MouseButton.LeftButton)
                        spin(150)
                for k, v in state().items():
                    bad[k] = bad[k] or v
                timed(w.controller.stop)
                before = blocked[0]  # (the driver's own wait for the run to end)
                timed(w.controller.wait_idle, 3000)
                blocked[0] = before
            timed(page.leave)
        for k, v in state().items():
            bad[k] = bad[k] or v
        path.unlink(missing_ok=True)
        print(json.dumps({"checker": checker, "window": list(window),
                          "escaped": seen["escaped"], "outside": seen["outside"],
                          "blocked": round(blocked[0], 2), **bad}), flush=True)
        if bad["closed"]:
            return  # the window is gone or doubled: the parent starts a fresh one
    del app, QObject


class Worker:
    """A worker process and its pipe; restarted after a hang or a closed window."""

    def __init__(self, code: Path, data: Path, outside: Path) -> None:
        self.args = [sys.executable, __file__, "--worker", str(code), str(data), str(outside)]
        self.proc: subprocess.Popen | None = None

    def ask(self, path: Path, limit: float, case_limit: float) -> dict | None:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                         cwd=str(ROOT))
            self.buf = b""
        self.proc.stdin.write(f"{path}\n".encode())
        self.proc.stdin.flush()
        start = time.monotonic()
        deadline = start + limit + (30.0 if not getattr(self, "warm", False) else 0)
        while time.monotonic() < min(deadline, start + case_limit):
            if b"\n" not in self.buf:
                ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
                if not ready:
                    continue
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                self.buf += chunk
                continue
            line, _, self.buf = self.buf.partition(b"\n")
            self.warm = True
            if line.strip() == b"~":  # the window's thread ran: a new time limit
                deadline = time.monotonic() + limit
                continue
            return json.loads(line)
        self.stop()
        return None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc, self.warm = None, False


# ---------------------------------------------------------------------- the run
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=float, default=10.0,
                   help="seconds the window's thread may stay away (a hang)")
    p.add_argument("--case-limit", type=float, default=120.0,
                   help="seconds a whole case may take")
    p.add_argument("--code", type=Path, default=ROOT, help="the checkout whose window runs")
    p.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    rng = random.Random(args.seed)
    top = Path(tempfile.mkdtemp(prefix="fuzz-lessons-"))
    data, outside = make_folder(top)
    runner = Worker(args.code.resolve(), data, outside)
    table: dict[str, Counter] = defaultdict(Counter)
    worst: list[tuple[str, str]] = []
    t0 = time.monotonic()
    try:
        for n in range(args.cases):
            kind = KINDS[n % len(KINDS)]
            path = data / "lessons" / f"case{n}.lesson.md"
            text = make_case(rng, kind, outside)
            path.write_bytes(text)
            result = runner.ask(path, args.limit, args.case_limit)
            row = table[kind]
            row["cases"] += 1
            if result is None:
                row["hang"] += 1
                path.unlink(missing_ok=True)
                worst.append((f"case {n} ({kind})", "hang"))
                continue
            row["opened" if result["window"][0] == "ok" else "refused"] += 1
            row["escaped"] += result["escaped"]
            row["froze"] += result["blocked"] > 2.0
            row["outside"] += result["outside"] > 0
            for k in ("closed", "hidden", "locked"):
                row[k] += bool(result[k])
            row["disagree"] += list(result["checker"]) != list(result["window"])
            if any(result[k] for k in ("escaped", "outside", "closed", "hidden", "locked")) \
                    or result["blocked"] > 2.0:
                worst.append((f"case {n} ({kind})", json.dumps(result)))
    finally:
        runner.stop()
        shutil.rmtree(top, ignore_errors=True)
    head = ["kind", "cases", "opened", "refused", *COUNTED]
    rows = [[k, *(str(table[k][c]) for c in head[1:])] for k in KINDS if k in table]
    total = Counter()
    for k in table:
        total.update(table[k])
    rows.append(["all", *(str(total[c]) for c in head[1:])])
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    print(f"lesson fuzzing: {args.cases} cases, seed {args.seed}, limit {args.limit:g} s, "
          f"code {args.code}, {time.monotonic() - t0:.0f} s, load {os.getloadavg()[0]:.1f}")
    for r in [head, *rows]:
        print("  ".join(c.rjust(wd) for c, wd in zip(r, widths, strict=True)))
    for where, what in worst[:12]:
        print(f"  {where}: {what}")
    return 0 if not any(total[c] for c in COUNTED) else 1


if __name__ == "__main__":
    sys.exit(main())
