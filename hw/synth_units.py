"""Out-of-context synthesis per unit, summed (``sdmf synth --mode units``).

A flattened ``synth_xilinx`` of a large design (sdmformer-2-256 at 128×128: 40
instances, 13.7 Mbit of ROM contents) does not fit the 4 GiB of 32-bit WebAssembly
Yosys. Here every distinct unit — module, parameter values and the contents of the
ROM images it reads — is synthesized once, in its own Yosys process (``jobs`` in
parallel), with ``chparam`` setting the instance's parameters. The top is then
synthesized with every unit as a black box, which leaves the glue (control,
AXI4-Lite, stream wiring). The report is the sum over instances plus the glue.

Like Vivado's out-of-context flow, nothing is optimised across unit boundaries
(docs/generator.md gives the measured gap to a flattened run), except that outputs the
top leaves unconnected (``report.json`` → ``instances[].unused_ports``: the busy
counters of a design generated without ``--counters``) stop being ports, so their
logic is removed as it is in the flattened design.
Results are cached by content under ``reports/units_<family>/``: an interrupted run
resumes, and a regenerated project re-synthesizes only the units that changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from sdmf.io import write_json, write_text

from .backends.rtl.scripts import yosys_glue_script, yosys_unit_script
from .synth import RESOURCES, Status, SynthError, group_cells, parse_stat, run_yosys

CACHE_FORMAT = "sdmf-synth-unit/2"


def _mem_files(params: dict[str, str]) -> list[str]:
    """ROM images named by string parameters (``"x.mem"``)."""
    return sorted(v[1:-1] for v in params.values()
                  if len(v) > 2 and v[0] == v[-1] == '"' and v[1:-1].endswith(".mem"))


def unit_sources(module: str, sources: list[str]) -> list[str]:
    """The sources a unit's synthesis depends on: its module's file (named after it; the
    library's units instantiate no other module) and the packages (``*_pkg.sv``); every
    source when no file is named after the module. Editing one unit's RTL so leaves the
    other units' cached results valid."""
    own = [s for s in sources if Path(s).stem == module]
    if not own:
        return list(sources)
    return [s for s in sources if Path(s).stem.endswith("_pkg")] + own


def unit_key(project: Path, family: str, module: str, params: dict[str, str],
             sources: list[str], unused_ports: list[str] | tuple[str, ...] = ()) -> str:
    """Content hash of one unit: family, module, parameters, the outputs the top leaves
    unconnected, its sources (:func:`unit_sources`), its ROM images."""
    h = hashlib.sha256(json.dumps([CACHE_FORMAT, family, module, params,
                                   sorted(unused_ports)]).encode())
    for src in unit_sources(module, sources):
        h.update(src.encode() + b"\0" + (project / src).read_bytes())
    for mem in _mem_files(params):
        path = project / "mem" / mem
        if not path.exists():
            raise FileNotFoundError(f"{path} (parameter of {module}) does not exist")
        h.update(mem.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _synth_unit(project: Path, family: str, uid: str, key: str, module: str,
                params: dict[str, str], unused_ports: list[str], sources: list[str],
                timeout: float | None) -> tuple[dict[str, Any], bool]:
    """Synthesize (or load from the cache) one distinct unit; returns (result, cached)."""
    folder = f"reports/units_{family}"
    cache = project / folder / f"{uid}.json"
    if cache.exists():
        try:
            hit = json.loads(cache.read_text())
            if hit.get("key") == key:
                return {**hit, **group_cells(hit["cells"])}, True
        except (OSError, json.JSONDecodeError):
            pass                                     # unreadable: synthesize again
    script = f"{folder}/{uid}.ys"
    write_text(project / script,
               yosys_unit_script(sources, module, params, family, f"{folder}/{uid}.txt",
                                 unused_ports))
    seconds = run_yosys(project, script, project / folder / f"{uid}.log", timeout)
    stat = parse_stat((project / folder / f"{uid}.txt").read_text())
    result = {"key": key, "module": module, "params": params, "seconds": round(seconds, 1),
              **stat}
    write_json(cache, result)
    return result, False


def synthesize_glue(project: Path, family: str, timeout: float | None = None,
                    report: dict[str, Any] | None = None) -> dict[str, Any]:
    """The top level of ``project`` with every unit a black box (its *glue*): Yosys's
    statistics, the units' cells left out, and the seconds it took."""
    report = report or json.loads((project / "report.json").read_text())
    top = report["top"]
    unit_modules = sorted({i["module"] for i in report.get("instances", [])})
    unit_sources = [s for s in report["sources"] if Path(s).stem in unit_modules]
    other_sources = [s for s in report["sources"]
                     if s not in unit_sources and Path(s).stem != report.get("ip_top")]
    glue_script = f"reports/units_{family}/glue.ys"
    write_text(project / glue_script, yosys_glue_script(
        unit_sources, other_sources, top, family, f"reports/units_{family}/glue.txt"))
    seconds = run_yosys(project, glue_script, project / f"reports/units_{family}/glue.log",
                        timeout)
    glue = parse_stat((project / f"reports/units_{family}/glue.txt").read_text())
    glue["cells"] = {k: v for k, v in glue["cells"].items() if k not in unit_modules}
    glue["seconds"] = round(seconds, 1)
    return glue


def synthesize_units(project: Path, family: str, timeout: float | None = None,
                     jobs: int | None = None, status: Status | None = None) -> dict[str, Any]:
    """Per-unit synthesis of ``project`` (see the module docstring); returns the report."""
    report_path = project / "report.json"
    report = json.loads(report_path.read_text())
    instances = report.get("instances")
    if not instances:
        raise SynthError(f"{report_path} has no field 'instances' (written by an older "
                         "`sdmf hwgen`): regenerate the project")
    top = report["top"]
    lib_sources = [s for s in report["sources"] if Path(s).stem not in (top, report.get("ip_top"))]
    say = status or (lambda _msg: None)
    start = time.perf_counter()

    distinct: dict[str, dict[str, Any]] = {}       # key -> one instance of it
    keys = []
    for inst in instances:
        key = unit_key(project, family, inst["module"], inst["params"], lib_sources,
                       inst.get("unused_ports", ()))
        keys.append(key)
        distinct.setdefault(key, inst)
    say(f"{family}: {len(instances)} instances, {len(distinct)} distinct units, "
        f"{jobs or os.cpu_count() or 1} in parallel")
    results: dict[str, dict[str, Any]] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool:
        futures = {
            pool.submit(_synth_unit, project, family, f"{inst['module']}-{key[:12]}", key,
                        inst["module"], inst["params"], inst.get("unused_ports", []),
                        lib_sources, timeout): (key, inst)
            for key, inst in distinct.items()}
        for n, fut in enumerate(as_completed(futures), 1):
            key, inst = futures[fut]
            results[key], cached = fut.result()
            r = results[key]
            say(f"[{n}/{len(distinct)}] {inst['layer']} ({inst['module']}): LUT {r['LUT']:,} "
                f"FF {r['FF']:,} BRAM18 {r['BRAM18']} DSP {r['DSP']}"
                + (" (cached)" if cached else f" in {r['seconds']} s"))

    glue = synthesize_glue(project, family, timeout, report)
    say(f"glue: LUT {glue['LUT']:,} FF {glue['FF']:,} in {glue['seconds']} s")

    units = []
    totals = {k: glue[k] for k in RESOURCES}
    cells = dict(glue["cells"])
    for inst, key in zip(instances, keys):
        r = {**results[key], **group_cells(results[key]["cells"])}
        units.append({"layer": inst["layer"], "instance": inst["instance"],
                      "module": inst["module"], "unit": f"{inst['module']}-{key[:12]}",
                      **{k: r[k] for k in RESOURCES}, "seconds": r["seconds"]})
        for k in RESOURCES:
            totals[k] += r[k]
        for c, n in r["cells"].items():
            cells[c] = cells.get(c, 0) + n
    return {"family": family, "mode": "units",
            "tool": "yosys synth_xilinx, out of context per unit, summed",
            "seconds": round(time.perf_counter() - start, 1),
            "unit_seconds": round(sum(r["seconds"] for r in results.values()), 1),
            **totals, "cells": cells, "units": units,
            "glue": {**{k: glue[k] for k in RESOURCES}, "seconds": glue["seconds"]}}
