"""Building a generated project's bitstream (``sdmf bitstream``, ``make bitstream``).

The project's backend names the vendor tool runs its scripts need
(:meth:`Backend.bitstream_steps`): RTL, one Vivado batch run of
``scripts/vivado_<board>.tcl``; HLS, Vitis HLS (``scripts/vitis_hls_<board>.tcl``, which
exports the core as an IP) and then the same Vivado run. Every tool is looked up before
anything runs; the runs go in order in the project folder, each with a timeout, and the
result is checked as ``sdmf deploy`` checks it (:func:`bitstream_status`: the outputs in
``vivado/<board>/`` were built from the design the script describes).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from .backends.base import get_backend
from .backends.rtl.scripts import bitstream_status
from .boards import BOARDS
from .project import Project

PRODUCTS = {"vivado": "Vivado", "vitis_hls": "Vitis HLS"}    # tool → what to install


class BitstreamError(RuntimeError):
    """The bitstream cannot be built here (a tool is missing, a run failed)."""


def bitstream_steps(project_dir: Path, board: str) -> tuple[Project, list[tuple[str, ...]]]:
    """The project's manifest and the tool runs that build ``board``'s bitstream."""
    if board not in BOARDS:
        raise BitstreamError(f"unknown board {board!r} (known: {', '.join(BOARDS)})")
    project = Project.load(project_dir)
    steps = get_backend(project.backend).bitstream_steps(board)
    if not steps:
        raise BitstreamError(f"{project_dir}: the {project.backend} backend has no bitstream "
                             "flow")
    for step in steps:
        script = next((a for a in step if a.startswith("scripts/")), None)
        if script is not None and not (project_dir / script).is_file():
            raise BitstreamError(f"{project_dir / script} does not exist: generate the project "
                                 "again with sdmf hwgen")
    return project, steps


def missing_tools(steps: list[tuple[str, ...]],
                  which: Callable[[str], str | None] = shutil.which) -> list[str]:
    """The steps' tools that are not on PATH (each once, in order)."""
    tools = dict.fromkeys(step[0] for step in steps)
    return [t for t in tools if which(t) is None]


def missing_message(project_dir: Path, board: str, backend: str,
                    steps: list[tuple[str, ...]], missing: list[str]) -> str:
    """One line: what is missing, where the generated project and its scripts are."""
    scripts = ", ".join(a for step in steps for a in step if a.startswith("scripts/"))
    names = " and ".join(f"'{t}'" for t in missing)
    verb = "is" if len(missing) == 1 else "are"
    products = " and ".join(PRODUCTS.get(t, t) for t in missing)
    return (f"{names} {verb} not on PATH: the {backend} project for {board} is generated in "
            f"{project_dir} ({scripts}; the scripts are untested without the tools); install "
            f"{products} (with the {board} board files), source settings64.sh and run make "
            "bitstream again")


def build_bitstream(project_dir: str | Path, board: str, timeout_s: float,
                    echo: Callable[[str], None] = print) -> str:
    """Run the project's tool steps for ``board``; returns the bitstream's status line.
    :class:`BitstreamError` before anything runs if a tool is missing."""
    root = Path(project_dir).resolve()
    project, steps = bitstream_steps(root, board)
    missing = missing_tools(steps)
    if missing:
        raise BitstreamError(missing_message(root, board, project.backend, steps, missing))
    for step in steps:
        cmd = " ".join(step)
        echo(f"running {cmd} in {root}")
        try:
            rc = subprocess.run(list(step), cwd=root, timeout=timeout_s).returncode
        except subprocess.TimeoutExpired:
            raise BitstreamError(f"{cmd} did not finish within {timeout_s:g} s "
                                 f"(its log is in {root})") from None
        if rc != 0:
            raise BitstreamError(f"{cmd} exited with status {rc} (its log is in {root})")
    present, note = bitstream_status(root, board)
    if not present:
        raise BitstreamError(f"the tools finished but left {note}")
    return note
