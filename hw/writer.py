"""Project writer: one folder per generated design, created atomically.

```
DIR/rtl/            unit library + support modules + generated sdmf_top.sv
DIR/mem/            ROM images ($readmemh)
DIR/filelist.f      sources in compilation order (relative to DIR)
DIR/scripts/        vivado_pynq_z2.tcl, vivado_kv260.tcl, yosys_xc7.ys, yosys_xcup.ys
DIR/report.json     machine-readable report (layers, widths, cycles, memories, streams)
DIR/interface.json  the device interface a host reads (sdmf.device.DeviceInterface)
DIR/report.md       the same for humans
```

The folder is assembled under a temporary sibling and renamed into place; an
existing project is replaced only after the new one is complete. The per-unit synthesis
caches of the project it replaces (``reports/units_<family>/``, keyed by content) are
carried over, so regenerating re-synthesizes only the units that changed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sdmf.device import INTERFACE_FILE, DeviceInterface
from sdmf.io import write_json

from .backends.base import GenOptions, get_backend
from .graph import HwGraph
from .report import report_dict, report_markdown
from .scripts import BOARDS, vivado_tcl, yosys_script

YOSYS_FAMILIES = ("xc7", "xcup")
CARRIED_CACHES = "reports/units_*"      # valid across regenerations: entries are content-keyed


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_project(graph: HwGraph, out: str | Path, backend: str = "rtl",
                  options: GenOptions | None = None) -> dict[str, Any]:
    """Write the project of ``graph`` to ``out``; returns the report dict."""
    options = options or GenOptions()
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    gen = get_backend(backend)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        result = gen.write(graph, tmp, options)
        _write_text(tmp / "filelist.f", "".join(f"{s}\n" for s in result.sources))
        for board in BOARDS.values():
            _write_text(tmp / "scripts" / f"vivado_{board.name}.tcl",
                        vivado_tcl(board, result.sources, result.memories,
                                   result.extra.get("ip_top", result.top)))
        for fam in YOSYS_FAMILIES:
            _write_text(tmp / "scripts" / f"yosys_{fam}.ys",
                        yosys_script(result.sources, result.top, fam,
                                     f"reports/yosys_{fam}.txt"))
        report = report_dict(graph, backend, result, options)
        write_json(tmp / "report.json", report)
        if result.extra.get("interface") is not None:   # read back as a host would
            DeviceInterface.from_dict(result.extra["interface"]).write(tmp / INTERFACE_FILE)
        _write_text(tmp / "report.md", report_markdown(report))
        os.chmod(tmp, 0o755)
        for cache in out.glob(CARRIED_CACHES):
            shutil.copytree(cache, tmp / cache.relative_to(out))
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return report


def _replace_dir(new: Path, target: Path) -> None:
    """Rename ``new`` to ``target``; an existing ``target`` is moved aside first."""
    if not target.exists():
        os.replace(new, target)
        return
    if not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a directory")
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rmdir(old)
    os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
