"""RTL half of ``conv_lif``: ``sdmf_conv_lif`` and its weight, bias and threshold ROMs.

Layouts (docs/hardware.md, sdmf_conv_lif): weights one word per ``(og, j)`` packing
``PK·PO·PI`` weights; biases one word per group ``og`` (per token and group with a
per-token bias) and thresholds one per group, ``PO`` lanes of ``CUR_BITS`` each. Only
kept channels are stored; a conv without inputs has no weight ROM and no input buffer.
The input buffers hold beats (``NB`` per position, :func:`input_buffers`); with NB > 1 the
output beats come from a two-position memory (:func:`output_buffer`).
"""

from __future__ import annotations

import numpy as np

from sdmf.device.words import pack

from ....graph import HwGraph, HwLayer, Memory
from ....kinds import ceil_div, conv_steps, conv_weight_lanes
from ....kinds.conv_lif import conv_beats, has_mask_memory, held_positions, lane_events, mask_inputs
from ..sv import Instance
from .base import CLK, Images, RtlKind, busy, mem_file, mem_name, sink, source


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


def input_buffers(layer: HwLayer) -> list[Memory]:
    """The unit's input memories, one entry per beat of ``TS·CIN·IN_BITS`` bits (TS = T/NB):
    K = 1 the ping-pong, ``2·NB`` entries; K = 3 the line buffer, ``3·W·NB`` entries (PK = 3:
    three row memories of ``W·NB``); EV = 1 the masks, ``TS·CIN/PI`` bits per entry of the
    ping-pong or line buffer (K = 3: per row slot three column banks — column c in bank
    c mod 3 — of ``⌈W/3⌉·NB`` entries, each read asynchronously at one tap column). EV = 2:
    K = 1 reads its lanes' elements from the ping-pong; K = 3 (one-bit spikes) keeps only
    the masks, ``TS·CIN`` bits per entry, and no line buffer. None without inputs
    (``CIN = 0``)."""
    a, w, k = layer.attrs, layer.widths, layer.parallel
    if not a["CIN"]:
        return []
    nb = conv_beats(a)
    ts = a["T"] // nb
    depth = held_positions(a) * nb
    beat = ts * a["CIN"] * w["IN_BITS"]
    if a["K"] == 1:
        mems = [Memory("pingpong", depth, beat, "")]
    elif lane_events(k):
        mems = []
    elif k.get("PK", 1) == 3:
        mems = [Memory("line", depth // 3, beat, "") for _ in range(3)]
    else:
        mems = [Memory("line", depth, beat, "")]
    if has_mask_memory(a, k, w["IN_BITS"]):
        bits = ts * a["CIN"] // mask_inputs(k)
        if a["K"] == 1:
            mems.append(Memory("mask", depth, bits, ""))
        else:   # per row slot three column banks, each read at one tap column (async)
            bank = ceil_div(a["W"], 3) * nb
            mems += [Memory("mask", bank, bits, "", async_read=True) for _ in range(9)]
    return mems


def output_buffer(layer: HwLayer) -> list[Memory]:
    """NB > 1: the output ping-pong, ``2·NB`` entries of ``TS·G·PO`` bits (a step's
    channels padded to whole groups; written a group of PO spikes at a time). NB = 1: none
    (the position's spikes are registers)."""
    a, k = layer.attrs, layer.parallel
    nb = conv_beats(a)
    if nb == 1:
        return []
    return [Memory("obuf", 2 * nb, a["T"] // nb * ceil_div(a["COUT"], k["PO"]) * k["PO"], "")]


def lane_words(values: np.ndarray, po: int, bits: int) -> list[int]:
    """Per-channel values ``[C]`` in groups of ``po`` lanes (lane o at ``[o·bits +: bits]``)."""
    words = []
    for og in range(ceil_div(len(values), po)):
        group = [int(v) for v in values[og * po:(og + 1) * po]]
        words.append(pack(group + [0] * (po - len(group)), bits, signed=True))
    return words


class RtlConvLif(RtlKind):
    kind = "conv_lif"
    module = "sdmf_conv_lif"
    prm_roles = ("weight", "bias", "theta")
    narrow = True

    def instance(self, graph: HwGraph, layer: HwLayer) -> Instance:
        a, w, k = layer.attrs, layer.widths, layer.parallel
        (i,), (o,) = graph.inputs_of(layer.name), graph.outputs_of(layer.name)
        params = {"K": a["K"], "H": a["H"], "W": a["W"], "CIN": a["CIN"], "COUT": a["COUT"],
                  "T": a["T"], "IN_BITS": w["IN_BITS"], "W_BITS": w["W_BITS"],
                  "ACC_BITS": w["ACC_BITS"], "CUR_BITS": w["CUR_BITS"], "F": a["F"],
                  "PO": k["PO"], "PI": k["PI"], "PK": k.get("PK", 1),
                  "BIAS_PER_TOKEN": a["bias_per_token"],
                  "WEIGHT_FILE": mem_file(layer, "weight"), "BIAS_FILE": mem_file(layer, "bias"),
                  "THETA_FILE": mem_file(layer, "theta")}
        if k.get("EV", 0):                 # event-driven (EV = 0 designs stay as they were)
            params["EV"] = k["EV"]
        if conv_beats(a) != 1:             # narrow streams (NB = 1 designs stay as they were)
            params["NB"] = conv_beats(a)
        return Instance(self.module, layer.instance, params,
                        {**CLK, **sink("s", i), **source(o), "busy_cycles": busy(layer)})

    def memories(self, layer: HwLayer) -> list[Memory]:
        a, w, k = layer.attrs, layer.widths, layer.parallel
        groups = ceil_div(a["COUT"], k["PO"])
        steps = conv_steps(a, k)
        lanes = k["PO"] * w["CUR_BITS"]
        bias_depth = groups * (a["positions"] if a["bias_per_token"] else 1)
        # EV = 2: one bank per input lane (weights (·, u) of each word), one address each
        weights = [Memory("weight", groups * steps, conv_weight_lanes(k) * w["W_BITS"],
                          mem_name(layer, "weight"), banks=k["PI"] if lane_events(k) else 1)
                   ] if steps else []
        return [*input_buffers(layer), *output_buffer(layer), *weights,
                Memory("bias", bias_depth, lanes, mem_name(layer, "bias")),
                Memory("theta", groups, lanes, mem_name(layer, "theta"))]

    def images(self, layer: HwLayer) -> Images:
        """Bias: one word per ``(n, og)`` at address ``n·G + og`` (per-token bias) or per
        ``og``; theta one word per ``og``; both ``PO`` lanes of ``CUR_BITS``."""
        w, k = layer.widths, layer.parallel
        cur, po = w["CUR_BITS"], k["PO"]
        bias = layer.params["bias"]
        if bias.ndim == 2:                              # [C, N]
            bwords = [v for n in range(bias.shape[1]) for v in lane_words(bias[:, n], po, cur)]
        else:
            bwords = lane_words(bias, po, cur)
        return {"weight": (conv_weight_words(layer), conv_weight_lanes(k) * w["W_BITS"]),
                "bias": (bwords, po * cur),
                "theta": (lane_words(layer.params["theta"], po, cur), po * cur)}
