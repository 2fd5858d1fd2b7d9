"""The recurrence of a whole generated network: every unit of a :class:`HwGraph`, fed
by the host's sample starts, on the golden tensors of the samples of one run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..graph import GraphError, HwGraph, HwLayer
from ..kinds.conv_lif import position_cycles
from .recurrence import Network, Sink, TimingError
from .units import (
    AttentionUnit,
    ConvUnit,
    FifoUnit,
    ForkUnit,
    HeadUnit,
    HostSource,
    JoinUnit,
    MaxpoolUnit,
    UnpackUnit,
)

BEATS = "host.beats"            # the top's s_axis beats


def _service(graph: HwGraph, lay: HwLayer, taps: Sequence[Mapping[str, np.ndarray]]) -> list:
    """Issue cycles of every output position of a conv unit over the run."""
    spec = graph.spec(lay)
    if not spec.data_dependent(lay, lay.parallel):
        return list(position_cycles(lay.attrs, lay.parallel)) * len(taps)
    (s,) = graph.inputs_of(lay.name)
    if not s.taps or any(s.taps[0] not in t for t in taps):
        raise GraphError(f"layer {lay.name!r}: no golden tensor for its input stream "
                         f"{s.name} (taps {list(s.taps)})")
    return [int(c) for t in taps
            for c in position_cycles(lay.attrs, lay.parallel, np.asarray(t[s.taps[0]]))]


def _unit(graph: HwGraph, lay: HwLayer, taps: Sequence[Mapping[str, np.ndarray]]):
    ins = {s.port: s.name for s in graph.inputs_of(lay.name)}
    outs = [s.name for s in graph.outputs_of(lay.name)]
    a, kind = lay.attrs, lay.kind
    if kind == "input":
        word = lay.widths["WORD"]
        per = 64 // word if word <= 64 else 0
        return UnpackUnit(lay.name, a["H"] * a["W"], per, -(-word // 64), BEATS, outs[0])
    if kind == "conv_lif":
        return ConvUnit(lay.name, a, _service(graph, lay, taps), ins["s"], outs[0])
    if kind == "maxpool":
        return MaxpoolUnit(lay.name, a["H"], a["W"], ins["s"], outs[0])
    if kind == "fork":
        return ForkUnit(lay.name, ins["s"], outs)
    if kind == "fifo":
        return FifoUnit(lay.name, a["DEPTH"], ins["s"], outs[0])
    if kind == "residual_add":
        return JoinUnit(lay.name, [ins["r"], ins["s"]], outs[0])
    if kind == "attention_lif":
        upd, att = graph.spec(lay).token_ops(lay, lay.parallel)
        return AttentionUnit(lay.name, a["N"], upd, att, ins["q"], ins["k"], ins["v"], outs[0])
    if kind == "head":
        return HeadUnit(lay.name, a["N"], a["D"], a["K"], ins["s"], outs[0])
    if kind == "output":
        return Sink(lay.name, (), ins["s"])
    raise TimingError(f"layer {lay.name!r}: no token timing model for kind {kind!r}")


def network_timing(graph: HwGraph, taps: Sequence[Mapping[str, np.ndarray]],
                   starts: Sequence[int], valid: Sequence[int]) -> Network:
    """The recurrence of ``graph`` over one run of samples: ``taps[i]`` the golden
    tensors of sample i (``{IR op name: tensor}``, no batch axis), ``starts[i]`` the
    cycle the top accepted its ``ap_start``, ``valid[i]`` the cycle its first input
    beat became valid (the output is always ready; both lists may grow while the
    recurrence is evaluated, as in :func:`host_pass`)."""
    units = [_unit(graph, lay, taps) for lay in graph.layers.values()]
    inp = next(u for u in units if isinstance(u, UnpackUnit))
    units.append(HostSource("host", starts, valid, inp.beats, BEATS))
    return Network(units)


def done_cycles(graph: HwGraph, taps: Sequence[Mapping[str, np.ndarray]],
                starts: Sequence[int], valid: Sequence[int]) -> list[int]:
    """The cycle of each sample's ``done`` (its last output beat, ``TLAST``), as the
    recurrence gives it; the INTERVAL register reads the difference of the last two."""
    if not len(taps) == len(starts) == len(valid):
        raise TimingError(f"{len(taps)} samples, {len(starts)} starts, {len(valid)} "
                          "valid cycles: one of each per sample")
    net = network_timing(graph, taps, starts, valid)
    (out,) = graph.inputs_of("output")
    words = out.positions
    return [net.eval(("x", out.name, (i + 1) * words - 1)) for i in range(len(taps))]


def host_pass(graph: HwGraph, taps: Sequence[Mapping[str, np.ndarray]],
              delay: int) -> tuple[list[int], list[int]]:
    """An overlapped pass with a host that starts sample 0 in cycle 0 and each next sample
    ``delay`` cycles after its predecessor's last input beat (``ap_ready``), its beats
    valid from then on: the start and ``done`` cycles of every sample (planning, and
    CPU tests of the recurrence)."""
    starts: list[int] = [0]
    net = network_timing(graph, taps, starts, starts)
    host = net.by_name["host"]
    for i in range(1, len(taps)):
        ready = net.eval(("x", BEATS, i * host.beats - 1))
        starts.append(ready + delay)
    (out,) = graph.inputs_of("output")
    words = out.positions
    return list(starts), [net.eval(("x", out.name, (i + 1) * words - 1))
                          for i in range(len(taps))]
