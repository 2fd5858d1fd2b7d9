"""``type=`` helpers that validate command-line arguments at parse time.

argparse reports an :class:`argparse.ArgumentTypeError` as one line
(``sdmf <cmd>: error: argument --x: <message>``) and exit status 2.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path


def _bounds_text(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    if hi is None:
        return f"{'>' if lo_open else '>='} {lo:g}"
    if lo is None:
        return f"{'<' if hi_open else '<='} {hi:g}"
    return f"in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"


def int_range(lo: int | None = None, hi: int | None = None) -> Callable[[str], int]:
    """An integer argument in ``lo..hi`` (either bound may be open-ended: None)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            span = f"in {lo}..{hi}" if lo is not None and hi is not None \
                else _bounds_text(lo, hi, False, False)
            raise argparse.ArgumentTypeError(f"must be {span}, got {value}")
        return value
    return parse


def float_range(lo: float | None = None, hi: float | None = None, lo_open: bool = False,
                hi_open: bool = False) -> Callable[[str], float]:
    """A finite float argument within the given bounds (``*_open``: bound excluded)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if (lo is not None and (value < lo or (lo_open and value == lo))) or \
                (hi is not None and (value > hi or (hi_open and value == hi))):
            raise argparse.ArgumentTypeError(
                f"must be {_bounds_text(lo, hi, lo_open, hi_open)}, got {value:g}")
        return value
    return parse


positive_int = int_range(1)
nonneg_int = int_range(0)
finite_float = float_range()
positive_float = float_range(0.0, lo_open=True)
nonneg_float = float_range(0.0)
probability = float_range(0.0, 1.0)
below_one = float_range(0.0, 1.0, hi_open=True)


def existing_file(text: str) -> Path:
    """A path that names an existing regular file."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(
            f"{text}: {'is a directory, not a file' if path.is_dir() else 'no such file'}")
    return path


def existing_dir(text: str) -> Path:
    """A path that names an existing directory."""
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: no such directory")
    return path


def _creatable(path: Path, text: str) -> None:
    """``path`` can be created: its nearest existing ancestor is a writable directory."""
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: {parent} is not writable")


def out_dir(text: str) -> Path:
    """A folder to write into: an existing directory, or one that can be created."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: exists and is not a directory")
    _creatable(path, text)
    return path


def out_file(text: str) -> Path:
    """A file to write: not a directory, and creatable where it does not exist yet."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: is a directory")
    _creatable(path, text)
    return path


def as_text(check: Callable[[str], Path]) -> Callable[[str], str]:
    """``check`` that keeps the argument as given (options stored and reported as text)."""
    def parse(text: str) -> str:
        check(text)
        return text
    return parse


def mem_placement(text: str) -> tuple[str, str, str]:
    """``LAYER:ROLE=STYLE`` (a memory placement) → ``(layer, role, style)``."""
    from sdmf.hw.resources.memory import STYLES

    layer, sep, rest = text.rpartition(":")
    role, eq, style = rest.partition("=")
    if not sep or not layer or not eq or not role:
        raise argparse.ArgumentTypeError(f"expected LAYER:ROLE=STYLE, got {text!r}")
    if style not in STYLES:
        raise argparse.ArgumentTypeError(f"{text!r}: STYLE must be one of {', '.join(STYLES)}")
    return layer, role, style
