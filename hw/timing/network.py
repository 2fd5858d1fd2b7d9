"""The recurrence of a whole generated network: every unit of a :class:`HwGraph`, fed
by the host's sample starts, on the golden tensors of the samples of one run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..graph import GraphError, HwGraph, HwLayer
from ..kinds.conv_lif import position_cycles
from ..kinds.head import head_pp
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


def _service(graph: HwGraph, lay: HwLayer, taps: Sequence[Mapping[str, np.ndarray]],
             dense: bool = False) -> list:
    """Issue cycles of every output position of a conv unit over the run (``dense``: an
    event-driven unit's worst case, every event present)."""
    spec = graph.spec(lay)
    if dense or not spec.data_dependent(lay, lay.parallel):
        return list(position_cycles(lay.attrs, lay.parallel)) * len(taps)
    (s,) = graph.inputs_of(lay.name)
    if not s.taps or any(s.taps[0] not in t for t in taps):
        raise GraphError(f"layer {lay.name!r}: no golden tensor for its input stream "
                         f"{s.name} (taps {list(s.taps)})")
    return [int(c) for t in taps
            for c in position_cycles(lay.attrs, lay.parallel, np.asarray(t[s.taps[0]]))]


def _unit(graph: HwGraph, lay: HwLayer, taps: Sequence[Mapping[str, np.ndarray]],
          dense: bool = False):
    ins = {s.port: s.name for s in graph.inputs_of(lay.name)}
    outs = [s.name for s in graph.outputs_of(lay.name)]
    a, kind = lay.attrs, lay.kind
    if kind == "input":               # the unpacker's words are the stream's beats
        (o,) = graph.outputs_of(lay.name)
        word = o.word_bits
        per = 64 // word if word <= 64 else 0
        return UnpackUnit(lay.name, o.positions, per, -(-word // 64), BEATS, outs[0], o.nb)
    if kind == "conv_lif":
        return ConvUnit(lay.name, a, _service(graph, lay, taps, dense), ins["s"], outs[0],
                        a.get("NB", 1))
    if kind == "maxpool":
        return MaxpoolUnit(lay.name, a["H"], a["W"], ins["s"], outs[0], a.get("NB", 1))
    if kind == "fork":
        return ForkUnit(lay.name, ins["s"], outs)
    if kind == "fifo":
        return FifoUnit(lay.name, a["DEPTH"], ins["s"], outs[0], a.get("SUB", 1))
    if kind == "residual_add":
        return JoinUnit(lay.name, [ins["r"], ins["s"]], outs[0])
    if kind == "attention_lif":
        upd, att = graph.spec(lay).token_ops(lay, lay.parallel)
        return AttentionUnit(lay.name, a["N"], upd, att, ins["q"], ins["k"], ins["v"], outs[0],
                             a.get("NB", 1))
    if kind == "head":
        return HeadUnit(lay.name, a["N"], a["D"], a["K"], ins["s"], outs[0], a.get("NB", 1),
                        head_pp(a, lay.parallel))
    if kind == "output":
        return Sink(lay.name, (), ins["s"])
    raise TimingError(f"layer {lay.name!r}: no token timing model for kind {kind!r}")


def network_timing(graph: HwGraph, taps: Sequence[Mapping[str, np.ndarray]],
                   starts: Sequence[int], valid: Sequence[int],
                   dense: bool = False) -> Network:
    """The recurrence of ``graph`` over one run of samples: ``taps[i]`` the golden
    tensors of sample i (``{IR op name: tensor}``, no batch axis), ``starts[i]`` the
    cycle the top accepted its ``ap_start``, ``valid[i]`` the cycle its first input
    beat became valid (the output is always ready; both lists may grow while the
    recurrence is evaluated, as in :func:`host_pass`). ``dense``: event-driven units at
    their worst case (the taps are then only counted)."""
    units = [_unit(graph, lay, taps, dense) for lay in graph.layers.values()]
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


@dataclass(frozen=True)
class SteadyInterval:
    """The pipelined interval of a design fed by a host that never keeps it waiting."""

    interval: int             # cycles between consecutive dones once they repeat
    samples: int              # samples the recurrence ran to see it repeat
    settled: bool             # False: still changing after ``samples`` (the last one)


def steady_interval(graph: HwGraph, max_samples: int = 8) -> SteadyInterval:
    """The design's interval: the recurrence of a back-to-back overlapped pass (each
    sample started in the cycle its predecessor's last input beat transferred, every
    event-driven unit at its dense worst case), run until two consecutive intervals
    are equal. This, not ``max busy``, is what the RTL measures for every N
    (docs/generator.md, "The interval")."""
    if max_samples < 3:
        raise TimingError(f"max_samples = {max_samples}: the interval needs >= 3 samples")
    starts: list[int] = [0]
    net = network_timing(graph, [{}] * max_samples, starts, starts, dense=True)
    beats = net.by_name["host"].beats
    (out,) = graph.inputs_of("output")
    done: list[int] = []
    for i in range(max_samples):
        if i:
            starts.append(net.eval(("x", BEATS, i * beats - 1)))
        done.append(net.eval(("x", out.name, (i + 1) * out.positions - 1)))
        if i >= 2 and done[i] - done[i - 1] == done[i - 1] - done[i - 2]:
            return SteadyInterval(done[i] - done[i - 1], i + 1, True)
    return SteadyInterval(done[-1] - done[-2], max_samples, False)


def stream_rates(intervals: Sequence[int], clock_mhz: float) -> dict[str, float] | None:
    """Throughput of samples run back to back from their done-to-done ``intervals``: the
    mean interval (last − first done over S − 1) and img/s at ``clock_mhz`` over the
    stream (its inverse) and on the largest gap (docs/hardware-results.md, "how img/s is
    counted"); None without intervals or a clock."""
    if not intervals or not clock_mhz:
        return None
    mean = sum(intervals) / len(intervals)
    hz = clock_mhz * 1e6
    return {"clock_mhz": clock_mhz, "mean_interval": mean,
            "slowest_interval": max(intervals), "mean_img_s": hz / mean,
            "slowest_img_s": hz / max(intervals)}
