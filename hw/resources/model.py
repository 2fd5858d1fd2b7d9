"""The resource model: LUT, FF, BRAM18, URAM and DSP of one unit for a family.

``LUT``, ``FF`` and ``DSP`` of the logic are ``Σ coefficient · feature`` (features:
:mod:`.units`; coefficients per family and kind fitted to per-unit Yosys results:
:mod:`.calibration`); memories add their block RAM, UltraRAM or LUTs by the packing rules
of :mod:`.memory`. ``LUT`` is the logic, ``LUT_MEM`` the LUTs used as distributed RAM; a
part's LUT capacity covers both, as in the synthesis report (:mod:`sdmf.hw.synth`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .memory import MemCost, lutram_single_port, memory_cost
from .units import MemDesc, UnitDesc, features

LOGIC = ("LUT", "FF", "DSP")
RESOURCES = ("LUT", "LUT_MEM", "FF", "BRAM18", "URAM", "DSP")
Coeffs = Mapping[str, Mapping[str, Mapping[str, float]]]   # kind -> resource -> feature


def check_style(mem: MemDesc, family: str | None, unit: str) -> None:
    """URAM only for memories without initial contents (runtime-loaded parameters,
    working memories such as FIFO buffers) and, for a ``family``, only on UltraScale+."""
    if mem.style != "uram":
        return
    if family is not None and family != "xcup":
        raise ValueError(f"layer {unit!r} memory {mem.name!r}: URAM exists only on "
                         f"UltraScale+ (xcup), not {family}")
    if not mem.no_init:
        raise ValueError(f"layer {unit!r} memory {mem.name!r}: URAM has no initial contents, "
                         "so only runtime-loaded parameters may be placed there; generate "
                         "with --params loaded")


def mem_cost(m: MemDesc, family: str, style: str | None = None) -> MemCost:
    """The primitives of one unit memory placed as ``style`` (default its own): a memory
    read asynchronously at several addresses is one LUT RAM copy per port (at the address
    it is written: single-port LUT RAM); a memory split into banks packs each bank on its
    own."""
    if m.single_port:
        return MemCost(LUT_MEM=lutram_single_port(m.depth, m.width, family))
    if m.read_ports > 1 or m.async_read:
        one = memory_cost(m.depth, m.width, "lutram", family)
        return MemCost(LUT_MEM=one.LUT_MEM * m.read_ports)
    one = memory_cost(m.depth, m.width // m.banks, style or m.style, family, m.rom)
    return MemCost(one.BRAM18 * m.banks, one.URAM * m.banks, one.LUT_MEM * m.banks)


def memories_cost(mems: Iterable[MemDesc], family: str, unit: str = "?") -> MemCost:
    total = MemCost()
    for m in mems:
        check_style(m, family, unit)
        total = total + mem_cost(m, family)
    return total


def logic(u: UnitDesc, coeffs: Coeffs) -> dict[str, float]:
    """LUT, FF and DSP of ``u``'s logic (without its memories)."""
    feats, _ = features(u)
    kind = coeffs.get(u.kind, {})
    return {r: sum(c * feats.get(f, 0.0) for f, c in kind.get(r, {}).items()) for r in LOGIC}


def predict(u: UnitDesc, coeffs: Coeffs, family: str) -> dict[str, int]:
    """Predicted resources of one unit (integers, :data:`RESOURCES`)."""
    _, internal = features(u)
    mem = memories_cost([*u.memories, *internal], family, u.name)
    lg = logic(u, coeffs)
    return {"LUT": round(lg["LUT"]), "LUT_MEM": mem.LUT_MEM, "FF": round(lg["FF"]),
            "BRAM18": mem.BRAM18, "URAM": mem.URAM, "DSP": round(lg["DSP"])}


def total(preds: Iterable[Mapping[str, int]]) -> dict[str, int]:
    out = {r: 0 for r in RESOURCES}
    for p in preds:
        for r in RESOURCES:
            out[r] += p[r]
    return out


def utilisation(res: Mapping[str, int], capacity: Mapping[str, int],
                lut_limit: float = 0.85) -> dict[str, dict[str, float | int | None]]:
    """Per resource of a part: used, capacity, fraction and the fit limit (LUT: logic
    plus LUT memory ≤ ``lut_limit`` of the part; the others within the part)."""
    used = {"LUT": res["LUT"] + res["LUT_MEM"], "FF": res["FF"], "BRAM18": res["BRAM18"],
            "URAM": res["URAM"], "DSP": res["DSP"]}
    out: dict[str, dict[str, float | int | None]] = {}
    for r, n in used.items():
        cap = capacity.get(r, 0)
        if not cap and not n:
            continue                       # not on this part and not used
        limit = cap * (lut_limit if r == "LUT" else 1.0)
        out[r] = {"used": n, "capacity": cap, "limit": int(limit),
                  "fraction": n / limit if limit else (0.0 if n == 0 else None)}
    return out


def fits(util: Mapping[str, Mapping[str, float | int | None]]) -> bool:
    return all(v["fraction"] is not None and v["fraction"] <= 1.0 for v in util.values())


def binding(util: Mapping[str, Mapping[str, float | int | None]]) -> str:
    """The resource closest to (or furthest past) its limit."""
    return max(util, key=lambda r: float("inf") if util[r]["fraction"] is None
               else util[r]["fraction"])
