"""A working folder: the one the user named, or a temporary one removed afterwards."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def workspace(path: str | Path | None, prefix: str = "sdmf-") -> Iterator[Path]:
    """``path`` (created, kept), or a fresh temporary folder named ``prefix…`` that is
    removed when the block ends."""
    if path is not None:
        work = Path(path).resolve()
        work.mkdir(parents=True, exist_ok=True)
        yield work
        return
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
