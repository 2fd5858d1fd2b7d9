"""The synthesizable SystemVerilog unit library (one unit per ``sdmf_*.sv`` file; a file
may end with private helpers only its unit instantiates, e.g. ``sdmf_first_set``).

Ports, parameters, cycle formulas and memory-file layouts: docs/hardware.md,
"Unit library". Simulation-only helpers (none are needed by the units) would be
named ``sdmf_sim_*.sv``.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from sdmf.device.words import pack

LIBRARY_DIR = Path(__file__).resolve().parent

GROUP_FIELD_BITS = 16       # one field of sdmf_attention_lif's GROUPS table
UNITS = ("sdmf_conv_lif", "sdmf_maxpool_or", "sdmf_attention_lif", "sdmf_residual_add",
         "sdmf_head_argmax", "sdmf_fork", "sdmf_fifo")


def source(module: str) -> Path:
    """Path of the file that defines ``module`` (``sdmf_conv_lif`` → ``sdmf_conv_lif.sv``)."""
    path = LIBRARY_DIR / f"{module}.sv"
    if not path.exists():
        raise FileNotFoundError(f"no unit {module!r} in {LIBRARY_DIR}")
    return path


def sources() -> list[Path]:
    """Every unit's source file, in a fixed order."""
    return [source(m) for m in UNITS]


# ------------------------------------------------------------------ parameter helpers


def _literal(value: int, width: int) -> str:
    return f"{width}'h{value:x}"


def attention_groups(head_qk, head_v, po: int) -> list[tuple[int, int, int, int]]:
    """The v-channel groups of ``sdmf_attention_lif``: ``(vlo, vn, qlo, qn)`` per group.

    Each head's v channels ``[vlo_h, vlo_h + V_h)`` are split into ``ceil(V_h / PO)``
    groups of at most ``po`` channels; a group's q·k channels are its head's
    ``[qlo, qlo + qn)`` (``qn = 0`` when the head has none: its output is 0). Head
    tags must be contiguous per head (non-decreasing, as in the IR).
    """
    hq = [int(h) for h in head_qk]
    hv = [int(h) for h in head_v]
    for name, tags in (("head_qk", hq), ("head_v", hv)):
        if any(b < a for a, b in pairwise(tags)):
            raise ValueError(f"{name} tags must be non-decreasing (contiguous heads): {tags}")
    if po < 1:
        raise ValueError("PO must be positive")
    groups = []
    j = 0
    while j < len(hv):
        end = j
        while end < len(hv) and hv[end] == hv[j]:
            end += 1
        qlo = sum(1 for h in hq if h < hv[j])
        qn = sum(1 for h in hq if h == hv[j])
        for lo in range(j, end, po):
            groups.append((lo, min(po, end - lo), qlo, qn))
        j = end
    return groups


def attention_params(head_qk, head_v, po: int) -> dict[str, object]:
    """``NGRP`` and ``GROUPS`` (exact-width literal) of ``sdmf_attention_lif``."""
    groups = attention_groups(head_qk, head_v, po)
    # group g, field k (vlo, vn, qlo, qn) at bits [64·g + 16·k +: 16]: element 4g + k
    word = pack([v for group in groups for v in group], GROUP_FIELD_BITS)
    return {"NGRP": len(groups), "GROUPS": _literal(word, 64 * max(1, len(groups)))}


def attention_cycles(n: int, t: int, head_qk, head_v, po: int, nb: int = 1) -> int:
    """Busy cycles of one frame of ``sdmf_attention_lif`` (docs/hardware.md; ``nb`` load
    cycles per token)."""
    qn = [g[3] for g in attention_groups(head_qk, head_v, po)]
    phase1 = n * (nb + sum(t * q if q else 1 for q in qn))
    phase2 = n * (nb + 1 + sum(t * (q + 1) for q in qn))
    return phase1 + phase2
