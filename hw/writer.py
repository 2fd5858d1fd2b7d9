"""Project writer: one folder per generated design, created atomically.

```
DIR/project.json    the manifest (sdmf-project/1): backend, tops, sources, memories,
                    scripts, interface, plan, cycle model, trace map (hw/project.py)
DIR/model.sdmfir    the IR the project was generated from (simulation's golden model)
DIR/interface.json  the device interface a host reads (sdmf.device.DeviceInterface)
DIR/report.json     detailed machine-readable report (layers, widths, cycles, memories,
                    streams, instances, interface, trace map)
DIR/report.md       the same for humans
DIR/...             whatever the backend writes; RTL: rtl/, mem/, filelist.f, scripts/
```

The folder is assembled under a temporary sibling and renamed into place; an
existing project is replaced only after the new one is complete. The per-unit synthesis
caches of the project it replaces (``reports/units_<family>/``, keyed by content) are
carried over, so regenerating re-synthesizes only the units that changed, and so are the
build outputs the backend keeps (:meth:`Backend.carry_over`; RTL and HLS: each board's
last bitstream with the id of the design it was built from, checked where it is used).

The PL clock (``GenOptions.clock_mhz``) is resolved here when not given: the default of
``GenOptions.board`` (:func:`sdmf.device.blockdesign.default_clock_mhz`), so every
project records the clock its scripts and interface use.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sdmf.device import INTERFACE_FILE, DeviceInterface
from sdmf.device.blockdesign import check_clock_mhz, default_clock_mhz
from sdmf.io import replace_dir, write_json, write_text

from .backends.base import GenOptions, get_backend
from .graph import HwGraph
from .project import IR_FILE, manifest
from .report import report_dict, report_markdown

CARRIED_CACHES = "reports/units_*"      # valid across regenerations: entries are content-keyed


def write_project(graph: HwGraph, out: str | Path, backend: str = "rtl",
                  options: GenOptions | None = None) -> dict[str, Any]:
    """Write the project of ``graph`` (planned by ``backend``) to ``out``; returns the
    report dict."""
    options = resolve_clock(options or GenOptions())
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    gen = get_backend(backend)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        result = gen.write(graph, tmp, options)
        report = report_dict(graph, backend, result, options)
        write_json(tmp / "report.json", report)
        iface = result.extra.get("interface")
        if iface is not None:                           # read back as a host would
            DeviceInterface.from_dict(iface).write(tmp / INTERFACE_FILE)
        write_text(tmp / "report.md", report_markdown(report))
        if graph.ir is not None:
            graph.ir.save(tmp / IR_FILE)
        manifest(graph, backend, result, options, IR_FILE if graph.ir is not None else None,
                 INTERFACE_FILE if iface is not None else None).save(tmp)
        os.chmod(tmp, 0o755)
        for cache in out.glob(CARRIED_CACHES):
            shutil.copytree(cache, tmp / cache.relative_to(out))
        if out.is_dir():
            gen.carry_over(out, tmp)
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return report


def resolve_clock(options: GenOptions) -> GenOptions:
    """``options`` with ``clock_mhz`` set (the board's default when None) and checked."""
    mhz = options.clock_mhz
    mhz = default_clock_mhz(options.board) if mhz is None else check_clock_mhz(mhz)
    return dataclasses.replace(options, clock_mhz=mhz)
