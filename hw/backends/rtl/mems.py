"""Memory images (``$readmemh`` files) in the layouts the unit library documents."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sdmf.device.words import hex_lines, pack, to_unsigned

from ...graph import HwLayer
from ...units import ceil_div, conv_steps, conv_weight_lanes


def conv_weight_words(layer: HwLayer) -> list[int]:
    """One word per ``(og, j)``, fan-in ``f = (ky·K + kx)·CIN + i``; lanes of a partial
    last group are 0. PK = 1: weight ``(o, u)`` = ``W[og·PO + o][j·PI + u]`` at bits
    ``[(o·PI + u)·W_BITS +: W_BITS]``. PK = 3: ``j = kx·CIN/PI + i/PI`` and weight
    ``(ky, o, u)`` = ``W[og·PO + o][(ky·K + kx)·CIN + (j mod CIN/PI)·PI + u]`` at bits
    ``[((ky·PO + o)·PI + u)·W_BITS +: W_BITS]`` (PK = 1 is the case ky = 0)."""
    a, k = layer.attrs, layer.parallel
    w = layer.params["weight"]                       # [COUT, CIN, K·K]
    fan = w.transpose(0, 2, 1).reshape(a["COUT"], -1)  # [COUT, K·K·CIN], f = tap·CIN + i
    po, pi, pk, bits = k["PO"], k["PI"], k.get("PK", 1), layer.widths["W_BITS"]
    row_fan = fan.shape[1] // pk                      # fan-in of one kernel row group
    words = []
    for og in range(ceil_div(a["COUT"], po)):
        for j in range(conv_steps(a, k)):
            vals = []
            for ky in range(pk):
                for o in range(po):
                    c = og * po + o
                    lo = ky * row_fan + j * pi
                    row = fan[c, lo:lo + pi] if c < a["COUT"] else np.zeros(pi, np.int64)
                    vals += [int(v) for v in row]
            words.append(pack(vals, bits, signed=True))
    return words


def lane_words(values: np.ndarray, po: int, bits: int) -> list[int]:
    """Per-channel values ``[C]`` in groups of ``po`` lanes (lane o at ``[o·bits +: bits]``)."""
    words = []
    for og in range(ceil_div(len(values), po)):
        group = [int(v) for v in values[og * po:(og + 1) * po]]
        words.append(pack(group + [0] * (po - len(group)), bits, signed=True))
    return words


def memory_images(layer: HwLayer) -> dict[str, tuple[list[int], int]]:
    """``{role: (words, width)}`` for every ROM of ``layer``.

    conv_lif bias: one word per ``(n, og)`` at address ``n·G + og`` (per-token bias)
    or per ``og``; theta one word per ``og``; both ``PO`` lanes of ``CUR_BITS``.
    """
    w = layer.widths
    if layer.kind == "conv_lif":
        cur, po = w["CUR_BITS"], layer.parallel["PO"]
        bias = layer.params["bias"]
        if bias.ndim == 2:                              # [C, N]
            bwords = [v for n in range(bias.shape[1]) for v in lane_words(bias[:, n], po, cur)]
        else:
            bwords = lane_words(bias, po, cur)
        return {"weight": (conv_weight_words(layer),
                           conv_weight_lanes(layer.parallel) * w["W_BITS"]),
                "bias": (bwords, po * cur),
                "theta": (lane_words(layer.params["theta"], po, cur), po * cur)}
    if layer.kind == "head":
        wb, lb = w["W_BITS"], w["LOGIT_BITS"]
        weight = layer.params["weight"].reshape(-1)  # address k·D + d
        return {"weight": ([to_unsigned(int(v), wb) for v in weight], wb),
                "bias": ([to_unsigned(int(v), lb) for v in layer.params["bias"]], lb)}
    return {}


def write_memories(layer: HwLayer, mem_dir: Path) -> list[Path]:
    """Write the ``.mem`` files of ``layer`` (names from :class:`Memory.file`)."""
    images = memory_images(layer)
    out = []
    for mem in layer.memories:
        if mem.name not in images:
            continue
        words, width = images[mem.name]
        if len(words) != mem.depth or width != mem.width:
            raise ValueError(f"layer {layer.name!r}: memory {mem.name} has {len(words)}×{width} "
                             f"words, planned {mem.depth}×{mem.width}")
        path = mem_dir / mem.file
        path.write_text(hex_lines(words, width))
        out.append(path)
    return out
