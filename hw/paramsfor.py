"""Parameters of another IR for an existing design (``sdmf hwgen --params-for``,
docs/params.md "One bitstream for several weight sets").

A project generated with ``--params loaded`` is a bitstream that serves every IR of its
design. :func:`params_for` plans another IR with the project's options and parallelism,
refuses it when its design hash differs (naming the first parameter that differs) and
otherwise writes what a host needs to run that IR on the project's bitstream:
``interface.json``, ``params.bin`` and the IR (``model.sdmfir``).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sdmf.device import INTERFACE_FILE, DeviceInterface
from sdmf.io import replace_dir
from sdmf.quant.ir import IntegerIR

from .flow import generate
from .project import IR_FILE, Project, ProjectError

REPORT_FILE = "report.json"


class DesignMismatchError(ValueError):
    """The IR's design is not the project's: its parameters do not fit the bitstream."""


def _loaded_project(root: Path) -> Project:
    """The manifest of ``root``, which must have runtime-loaded parameters."""
    manifest = Project.load(root)
    where = root / "project.json"
    if manifest.options.params != "loaded":
        raise ProjectError(f"{where}: field options.params is {manifest.options.params!r}; "
                           "only a design with runtime-loaded parameters (--params loaded) "
                           "serves other weight sets")
    if manifest.design_hash is None:
        raise ProjectError(f"{where}: field design_hash is missing; regenerate the project")
    return manifest


def _generate_like(manifest: Project, ir: IntegerIR, out: Path) -> dict[str, Any]:
    """Generate ``ir`` into ``out`` with the options and the per-layer knobs of
    ``manifest``."""
    o, plan = manifest.options, manifest.plan
    return generate(ir, out, backend=manifest.backend, trace=o.trace, counters=o.counters,
                    clock_mhz=o.clock_mhz, board=o.board, params=o.params, widths=o.widths,
                    **plan.build_kwargs())


def _dict_diff(what: str, a: dict[str, Any], b: dict[str, Any]) -> str | None:
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            return f"{what}{key}: {a.get(key)} in the project, {b.get(key)} for the IR"
    return None


def design_difference(a: dict[str, Any], b: dict[str, Any]) -> str:
    """The first hardware parameter in which two project reports differ (``report.json``:
    the device's shape, the layers, their widths, knobs, unit parameters and memories)."""
    keys = ("input_shape", "in_bits", "weight_bits", "classes", "widths")
    found = _dict_diff("", {k: a["info"].get(k) for k in keys},
                       {k: b["info"].get(k) for k in keys})
    if found:
        return found
    la, lb = ([lay["name"] for lay in r["layers"]] for r in (a, b))
    if la != lb:
        return (f"layers: only in the project {sorted(set(la) - set(lb))}, only in the IR "
                f"{sorted(set(lb) - set(la))}" if set(la) != set(lb) else "layer order")
    units = ({u["layer"]: u for u in r.get("instances", [])} for r in (a, b))
    ua, ub = next(units), next(units)
    for x, y in zip(a["layers"], b["layers"]):
        name = x["name"]
        found = (_dict_diff("widths ", x["widths"], y["widths"])
                 or _dict_diff("", x["parallel"], y["parallel"])
                 or _dict_diff("", ua.get(name, {}).get("params", {}),
                               ub.get(name, {}).get("params", {})))
        if found:
            return f"layer {name}: {found}"
        mx, my = ([(m["name"], m["depth"], m["width"]) for m in r["memories"]] for r in (x, y))
        if mx != my:
            return (f"layer {name}: memories (role, depth, width): {mx} in the project, "
                    f"{my} for the IR")
    return "the generated RTL text"


def params_for(project: str | Path, ir: IntegerIR | str | Path, out: str | Path,
               source: str | None = None) -> dict[str, Any]:
    """Write ``interface.json``, ``params.bin`` and ``model.sdmfir`` of ``ir`` for the
    bitstream of ``project`` into ``out`` (atomically); returns ``{"out", "design_hash",
    "ir_hash", "params"}``. :class:`DesignMismatchError` when ``ir``'s design differs,
    :class:`ProjectError` when ``project`` has no runtime-loaded parameters; ``source``
    names the IR in messages (default: its path, or "the IR")."""
    root, out = Path(project), Path(out).resolve()
    manifest = _loaded_project(root)
    source = source or (str(ir) if not isinstance(ir, IntegerIR) else "the IR")
    if not isinstance(ir, IntegerIR):
        ir = IntegerIR.load(ir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        report = _generate_like(manifest, ir, tmp / "project")
        have = report["info"]["design_hash"]
        if have != manifest.design_hash:
            try:
                mine = json.loads((root / REPORT_FILE).read_text(encoding="utf-8"))
                what = design_difference(mine, report)
            except (OSError, ValueError, KeyError, TypeError):
                what = f"unknown ({root / REPORT_FILE} is not readable)"
            raise DesignMismatchError(
                f"{source}: design {have[:12]}… is not the design {manifest.design_hash[:12]}… "
                f"of {root} (planned with its options and knobs); differs in {what}")
        iface = DeviceInterface.read(tmp / "project" / INTERFACE_FILE)
        staged = tmp / "params"
        staged.mkdir()
        for name in (INTERFACE_FILE, iface.params.file, IR_FILE):
            shutil.copyfile(tmp / "project" / name, staged / name)
        replace_dir(staged, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"out": str(out), "design_hash": have, "ir_hash": iface.ir_hash,
            "params": iface.params.to_dict()}
