"""``conv_lif``: a K×K (K = 3) or pointwise (K = 1) convolution fused with its LIF.

Built from ``conv2d``/``conv1d`` + the one ``lif`` it feeds. Knobs: ``PO`` output
channels and ``PI`` input channels per step, and for K = 3 ``PK`` kernel rows per
fan-in op (1 or 3). Busy cycles per inference:
``positions · (⌈COUT/PO⌉ · T · (K²·CIN/(PI·PK) + 1) + 1)``.

``EV = 1`` (default 0) makes the unit event-driven: per (output group, time step) it
performs only the fan-in ops whose input chunk is non-zero, so its busy cycles depend on
the input (:func:`event_ops`, :func:`event_cycles`, :meth:`ConvLif.sample_cycles`);
:meth:`ConvLif.cycles` stays the dense worst case (every chunk non-zero), which is the
EV = 0 count. ``EV = 2`` (lane events; PK = 1, K = 3 on one-bit spikes, loaded weights)
gives each of the PI input lanes its own weight bank and next-spike encoder: an (output
group, time step) takes the most spikes any one lane has (:func:`lane_ops`).

``NB`` (``attrs["NB"]``, default 1; :func:`conv_beats`) beats per position on both streams,
a divisor of T: the buffers hold beats, the busy cycles do not change
(docs/hardware.md, sdmf_conv_lif).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from sdmf.quant.bounds import signed_bits

from ..graph import HwGraph, HwLayer
from .base import Knobs, LayerKind, MemoryNeed, ceil_div, divisors, strip_suffix

if TYPE_CHECKING:
    from sdmf.quant.opdefs import Op

    from ..graph import IrBuilder


def conv_beats(attrs: dict) -> int:
    """``NB``: beats per position of the unit's streams (1: one word per position)."""
    nb = int(attrs.get("NB", 1))
    if nb < 1 or attrs["T"] % nb:
        raise ValueError(f"conv_lif: NB={nb} must be a divisor of T={attrs['T']}")
    return nb


def held_positions(attrs: dict) -> int:
    """Input positions the unit's buffer holds: K = 1 a two-position ping-pong, K = 3
    three rows."""
    return 2 if attrs["K"] == 1 else 3 * attrs["W"]


EV_MODES = (0, 1, 2)     # dense, chunk events, lane events


def lane_events(knobs: Knobs) -> bool:
    """``EV = 2``: per-lane weight banks and next-spike encoders."""
    return knobs.get("EV", 0) == 2


def has_mask_memory(attrs: dict, knobs: Knobs, in_bits: int) -> bool:
    """EV = 1 keeps a non-zero-chunk mask beside the input buffer, except K = 1 with
    one-bit chunks (``PI·IN_BITS = 1``: the mask is the data); EV = 2 (one-bit spikes) with
    K = 3 keeps the spikes themselves as the masks of its nine taps, K = 1 reads them from
    its ping-pong buffer; no inputs, no buffer."""
    if not (knobs.get("EV", 0) and attrs["CIN"]):
        return False
    if lane_events(knobs):
        return attrs["K"] == 3
    return not (attrs["K"] == 1 and knobs.get("PI", 1) * in_bits == 1)


def mask_inputs(knobs: Knobs) -> int:
    """Inputs per bit of an event-driven unit's mask: PI (a chunk); 1 with lane events."""
    return 1 if lane_events(knobs) else knobs.get("PI", 1)


def conv_steps(attrs: dict, knobs: Knobs) -> int:
    """Fan-in ops per (output group, time step): ``K·K·CIN/(PI·PK)``."""
    return attrs["K"] * attrs["K"] * attrs["CIN"] // (knobs["PI"] * knobs.get("PK", 1))


def conv_weight_lanes(knobs: Knobs) -> int:
    """Weights used per fan-in op: ``PK·PO·PI``."""
    return knobs.get("PK", 1) * knobs["PO"] * knobs["PI"]


def event_ops(attrs: dict, knobs: Knobs, x: np.ndarray) -> np.ndarray:
    """Fan-in ops an ``EV = 1`` unit performs per (time step, position) — raster order —
    on one sample's input ``x`` ``[T, CIN, H, W]`` (K = 1: any trailing shape with
    ``positions`` elements). A chunk is ``x[t, c·PI : (c+1)·PI]`` at one pixel, non-zero
    when any element is. K = 1: the non-zero chunks of the token. K = 3, PK = 1: the
    non-zero chunks of the nine taps (a tap outside the frame is zero); PK = 3: the
    (kx, c) whose chunk is non-zero in at least one of the three rows."""
    T, cin, n = attrs["T"], attrs["CIN"], attrs["positions"]
    if cin == 0:                      # every input pruned: no fan-in ops, whatever x is
        return np.zeros((T, n), dtype=np.int64)
    x = np.asarray(x)
    if x.shape[:2] != (T, cin) or x.size != T * cin * n:
        raise ValueError(f"event_ops: input of shape {x.shape}, expected [T={T}, "
                         f"CIN={cin}, {n} positions]")
    pi = knobs["PI"]
    if lane_events(knobs):
        return lane_ops(attrs, pi, x)
    if attrs["K"] == 1:
        return (x.reshape(T, cin // pi, pi, n) != 0).any(axis=2).sum(axis=1).astype(np.int64)
    H, W = attrs["H"], attrs["W"]
    nz = (x.reshape(T, cin // pi, pi, H, W) != 0).any(axis=2)          # [T, CIN/PI, H, W]
    nz = np.pad(nz, ((0, 0), (0, 0), (1, 1), (1, 1)))
    taps = np.stack([np.stack([nz[..., ky:ky + H, kx:kx + W] for kx in range(3)])
                     for ky in range(3)])                              # [ky, kx, T, c, H, W]
    ops = taps.any(axis=0) if knobs.get("PK", 1) == 3 else taps
    return ops.reshape(-1, T, cin // pi, H * W).sum(axis=(0, 2)).astype(np.int64)


def lane_ops(attrs: dict, pi: int, x: np.ndarray) -> np.ndarray:
    """Fan-in ops of an ``EV = 2`` unit per (time step, position): the most non-zero
    inputs one lane u (channels ``c ≡ u mod PI``) has — K = 3 over the nine taps, a tap
    outside the frame being zero. ``x`` as :func:`event_ops` (checked there)."""
    T, cin, n = attrs["T"], attrs["CIN"], attrs["positions"]
    nz = np.asarray(x) != 0
    if attrs["K"] == 1:
        per_lane = nz.reshape(T, cin // pi, pi, n).sum(axis=1)
    else:
        H, W = attrs["H"], attrs["W"]
        xp = np.pad(nz.reshape(T, cin, H, W), ((0, 0), (0, 0), (1, 1), (1, 1)))
        taps = sum(xp[:, :, ky:ky + H, kx:kx + W].astype(np.int64)
                   for ky in range(3) for kx in range(3))               # [T, CIN, H, W]
        per_lane = taps.reshape(T, cin // pi, pi, n).sum(axis=1)
    return per_lane.max(axis=1).astype(np.int64)


def position_cycles(attrs: dict, knobs: Knobs, x: np.ndarray | None = None) -> np.ndarray:
    """Issue cycles of each output position (raster order) of one sample: ``G·Σ_t (nz(t, n)
    + 1) + 1`` (a LIF op per (og, t), an EMIT per position), G = ⌈COUT/PO⌉; nz =
    :func:`event_ops` of ``x`` with ``EV`` 1 or 2, else (or ``x`` None) the dense J. The ops of
    one position issue in consecutive cycles (docs/event-driven.md, "Token timing")."""
    n, T, G = attrs["positions"], attrs["T"], ceil_div(attrs["COUT"], knobs["PO"])
    if knobs.get("EV", 0) and x is not None:
        nz = event_ops(attrs, knobs, x).sum(axis=0)
    else:
        nz = np.full(n, T * conv_steps(attrs, knobs), dtype=np.int64)
    return G * (T + nz) + 1


def event_cycles(attrs: dict, knobs: Knobs, x: np.ndarray) -> int:
    """Busy cycles of an event-driven unit (``EV`` 1, the default, or 2) on one sample's
    input ``x``: the sum of :func:`position_cycles`, ``positions + G·(T·positions + Σ nz)``."""
    return int(position_cycles(dict(attrs), {**knobs, "EV": knobs.get("EV") or 1}, x).sum())


def window_need(attrs: dict, p: int, nb: int = 1) -> int:
    """Input beats (of the run, all samples in order; ``nb`` per position) written before
    output position ``p`` (global index) can issue: every beat of the positions of its
    window — K = 1 its own position; K = 3 up to row ``min(y + 1, H − 1)``, column
    ``min(x + 1, W − 1)`` (the RTL's ``avail``, which counts complete positions)."""
    if attrs["K"] == 1:
        return (p + 1) * nb
    H, W = attrs["H"], attrs["W"]
    base, q = divmod(p, H * W)
    y, x = divmod(q, W)
    return (base * H * W + min(y + 1, H - 1) * W + min(x + 1, W - 1) + 1) * nb


def slot_need(attrs: dict, k: int, nb: int = 1) -> int:
    """EMITs issued before input beat ``k`` (global index, ``nb`` per position) can be
    written (the RTL's ``s_ready``, the same for every beat of a position q = ⌊k / nb⌋):
    K = 1 a two-position ping-pong, ``q − 1``; K = 3 the three-row line buffer,
    ``(R − 2)·W + min(c + 1, W − 1) + 1`` for position (row R of the run, column c)."""
    q = k // nb
    if attrs["K"] == 1:
        return q - 1
    W = attrs["W"]
    R, c = divmod(q, W)
    return (R - 2) * W + min(c + 1, W - 1) + 1


ROLES = ("weight", "bias", "theta")      # stored parameters, in memory order


class ConvLif(LayerKind):
    name = "conv_lif"
    ops = ("conv2d", "conv1d")
    fuses = ("lif",)
    compute = True

    def from_ir(self, op: Op, b: IrBuilder) -> None:
        lif = b.fuse(op, "lif")
        w = b.param(op, "weight")
        bias, theta = b.param(lif, "bias"), b.param(lif, "theta")
        xs = b.specs[op.inputs[0]].shape
        K = 3 if op.type == "conv2d" else 1
        H, W = (int(xs[2]), int(xs[3])) if K == 3 else (1, int(xs[2]))
        name = strip_suffix(op.name, ".conv")
        b.add(HwLayer(name, self.name, (op.name, lif.name), lif.name, attrs={
            "K": K, "H": H, "W": W, "positions": H * W, "T": b.T, "CIN": int(w.shape[1]),
            "COUT": int(w.shape[0]), "F": int(lif.attrs["frac_bits"]),
            "bias_per_token": int(bias.ndim == 2)},
            params={"weight": w.reshape(w.shape[0], w.shape[1], K * K), "bias": bias,
                    "theta": theta},
            bounds={"acc": b.bounds(op.name), "current": b.bounds(f"{lif.name}.current")},
            ranges={"weight": b.range(op, "weight"), "bias": b.range(lif, "bias"),
                    "theta": b.range(lif, "theta")},
            kept=b.kept(name)), lif.name)
        b.connect(op.inputs[0], name, "s")

    def assign_widths(self, graph: HwGraph, layer: HwLayer) -> None:
        (s,) = graph.inputs_of(layer.name)
        (wlo, whi), (blo, bhi), (tlo, thi) = (layer.ranges[r] for r in ROLES)
        clo, chi = layer.bounds["current"]
        layer.widths = {
            "IN_BITS": s.elem_bits if layer.attrs["CIN"] else 1,
            "W_BITS": max(2, signed_bits(wlo, whi)),
            "ACC_BITS": signed_bits(*layer.bounds["acc"]),
            # the membrane lies in [min(0, lo I), max(0, hi I)]; θ and B must be representable
            "CUR_BITS": signed_bits(clo, chi, blo, bhi, tlo, thi),
        }

    def memory_needs(self, layer: HwLayer) -> list[MemoryNeed]:
        """The parameters, the input buffer (``line``: K = 3, ``pingpong``: K = 1; the
        :func:`held_positions`' elements), with EV = 1 its ``mask`` (one bit per chunk) and
        with NB > 1 the output ping-pong ``obuf`` (two positions' spikes)."""
        a, k, bits = layer.attrs, layer.parallel, layer.widths.get("IN_BITS", 1)
        needs = [MemoryNeed(role, int(layer.params[role].size), *layer.ranges[role])
                 for role in ROLES]
        elems = held_positions(a) * a["T"] * a["CIN"]
        if not (lane_events(k) and a["K"] == 3):      # EV = 2, K = 3: the masks hold them
            needs.append(MemoryNeed("line" if a["K"] == 3 else "pingpong", elems, 0,
                                    (1 << bits) - 1))
        if has_mask_memory(a, k, bits):
            needs.append(MemoryNeed("mask", elems // mask_inputs(k), 0, 1))
        if conv_beats(a) > 1:
            needs.append(MemoryNeed("obuf", 2 * a["T"] * a["COUT"], 0, 1))
        return needs

    def describe(self, layer: HwLayer) -> str:
        a = layer.attrs
        return f"{a['K']}×{a['K']} {a['CIN']}→{a['COUT']} @{a['positions']}"

    def is_empty(self, layer: HwLayer) -> bool:
        return layer.attrs["COUT"] == 0

    def knobs(self, layer: HwLayer) -> tuple[str, ...]:
        return ("PO", "PI", "PK", "EV") if layer.attrs["K"] == 3 else ("PO", "PI", "EV")

    def validate(self, layer: HwLayer, knobs: Knobs) -> None:
        """As :meth:`LayerKind.validate`; ``EV`` is 0 (dense), 1 (chunk events) or 2 (lane
        events: only with PK = 1 on one-bit inputs)."""
        ev = knobs.get("EV", 0)
        if ev not in EV_MODES:
            raise ValueError(f"layer {layer.name!r}: EV must be 0, 1 or 2, got {ev!r}")
        if ev == 2 and not self.lanes_allowed(layer, knobs):
            raise ValueError(f"layer {layer.name!r}: EV=2 (lane events) needs PK=1 and, "
                             f"for K=3, one-bit inputs (PK={knobs.get('PK', 1)}, "
                             f"IN_BITS={layer.widths.get('IN_BITS', '?')})")
        super().validate(layer, {k: v for k, v in knobs.items() if k != "EV"})

    def lanes_allowed(self, layer: HwLayer, knobs: Knobs) -> bool:
        """Whether ``EV = 2`` is possible: PK = 1, and for K = 3 one-bit input spikes (its
        line buffer keeps only the masks); widths must be assigned."""
        bits = layer.widths.get("IN_BITS")
        return knobs.get("PK", 1) == 1 and bits is not None \
            and (layer.attrs["K"] == 1 or bits == 1)

    def candidates(self, layer: HwLayer) -> Iterator[Knobs]:
        a = layer.attrs
        pos = sorted({ceil_div(a["COUT"], g) for g in range(1, a["COUT"] + 1)})
        pks = [1, 3] if a["K"] == 3 else [1]
        for pk in pks:
            for pi in divisors(a["CIN"]):
                for po in pos:
                    if pi <= self.pi_max and po <= self.po_max:
                        knobs = {"PO": po, "PI": pi}
                        yield knobs | {"PK": pk} if a["K"] == 3 else knobs

    def check_knobs(self, layer: HwLayer, knobs: Knobs) -> None:
        a = layer.attrs
        if "PI" in knobs and a["CIN"] % knobs["PI"]:
            raise ValueError(f"layer {layer.name!r}: PI={knobs['PI']} must divide "
                             f"CIN={a['CIN']}")
        if knobs.get("PO", 1) > a["COUT"]:
            raise ValueError(f"layer {layer.name!r}: PO={knobs['PO']} exceeds "
                             f"COUT={a['COUT']}")
        if knobs.get("PK", 1) not in (1, a["K"]):
            raise ValueError(f"layer {layer.name!r}: PK={knobs['PK']} must be 1 or "
                             f"K={a['K']}")

    def cost(self, layer: HwLayer, knobs: Knobs) -> int:
        return conv_weight_lanes(knobs)

    def cycles(self, layer: HwLayer, knobs: Knobs) -> int:
        """Exact busy cycles with EV = 0; with EV = 1 the dense worst case (every input
        chunk non-zero), an upper bound of :meth:`sample_cycles`."""
        a = layer.attrs
        per_t = conv_steps(a, knobs) + 1
        return a["positions"] * (ceil_div(a["COUT"], knobs["PO"]) * a["T"] * per_t + 1)

    def data_dependent(self, layer: HwLayer, knobs: Knobs) -> bool:
        return bool(knobs.get("EV", 0))

    def sample_cycles(self, layer: HwLayer, knobs: Knobs, inputs: dict[str, np.ndarray]) -> int:
        """EV = 1: :func:`event_cycles` of the sample's input ``inputs["s"]``."""
        if not self.data_dependent(layer, knobs):
            return self.cycles(layer, knobs)
        return event_cycles(layer.attrs, knobs, inputs["s"])

    def capacity(self, layer: HwLayer) -> int:
        """docs/hardware.md, sdmf_conv_lif: 4 tokens (K = 1), the line buffer (K = 3);
        positions, ``NB`` beats each."""
        return 4 if layer.attrs["K"] == 1 else 2 * layer.attrs["W"] + 1

    def row_window(self, layer: HwLayer) -> int:
        """K = 3: the line buffer's rows of W positions; K = 1 holds whole tokens."""
        return layer.attrs["W"] if layer.attrs["K"] == 3 else 0

    def signature(self, layer: HwLayer) -> tuple:
        return (self.name, layer.attrs["K"])
