"""``nnstudio lessons``: list the lessons; ``nnstudio lessons check FILE``: validate one.

The listing prints one lesson a line: its id, where it comes from, the number of steps and
its title (a broken file says so, with its first problem). Everything that comes from a
lesson file is printed through :func:`~nnstudio.terminal.printable`: a title cannot move
the cursor, ring the bell or turn the text around. ``check`` prints every problem
as ``FILE:LINE: message`` and exits 2 when there is any, else prints a summary and exits 0.
"""

from __future__ import annotations

import argparse
import sys

from nnstudio.lessons.format import LessonError, load
from nnstudio.terminal import printable


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``lessons`` on the ``nnstudio`` command's subparsers."""
    p = sub.add_parser("lessons", help="list the lessons, or check a lesson file")
    p.add_argument("action", nargs="?", choices=("check",),
                   help="'check' validates the lesson file FILE")
    p.add_argument("file", nargs="?", help="the lesson file to check (NAME.lesson.md)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """The ``lessons`` command; returns the exit code."""
    if args.action == "check":
        if not args.file:
            print("nnstudio: 'lessons check' needs a lesson file", file=sys.stderr)
            return 2
        return check_file(args.file)
    if args.file:
        print("nnstudio: to check a file write 'nnstudio lessons check FILE'", file=sys.stderr)
        return 2
    return list_lessons()


def list_lessons() -> int:
    from nnstudio.lessons.library import find_lessons

    entries = find_lessons()
    width = max((len(printable(e.id, 60)) for e in entries), default=0)
    for e in entries:
        ident = printable(e.id, 60)
        if e.lesson is not None:
            n = len(e.lesson.steps)
            print(f"{ident:<{width}}  {e.source:<7}  {n:>2} steps  "
                  f"{printable(e.lesson.title)}")
        else:
            first = str(e.problems[0]) if e.problems else "cannot be read"
            print(f"{ident:<{width}}  {e.source:<7}  BROKEN    {printable(e.path)} "
                  f"({printable(first)})")
    return 0


def check_file(path: str) -> int:
    try:
        lesson = load(path)
    except LessonError as err:
        for line in err.lines():
            print(printable(line, 400), file=sys.stderr)
        n = len(err.problems)
        print(f"nnstudio: {n} problem{'s' if n != 1 else ''} in {printable(path)}",
              file=sys.stderr)
        return 2
    checks = sum(len(s.checks) for s in lesson.steps)
    print(f"{printable(path)}: '{printable(lesson.title)}', {len(lesson.steps)} steps, "
          f"{checks} checks: ok")
    return 0
