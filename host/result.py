"""What one :meth:`~sdmf.host.Accelerator.run` returns: results, counters and timing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class RunResult:
    """The logits and classes of a batch, the device's cycle counters and the host's
    wall-clock split (docs/host.md, "Timing").

    ``latency_cycles``: the latency register after the batch (the last sample's cycles
    from its start to its class beat); ``interval_cycles``: the interval register (cycles
    between the last two results: the pipelined interval, samples back to back), None
    for a batch of one. ``timing``: seconds of ``pack_s`` (validation, packing into the
    DMA buffers), ``transfer_s`` (streaming: DMA in, compute and DMA out overlap),
    ``unpack_s`` (decoding the results) and ``wall_s`` (the whole call).
    """

    logits: np.ndarray                    # int64 [N, K]
    classes: np.ndarray                   # int64 [N]
    latency_cycles: int
    interval_cycles: int | None
    clock_mhz: float
    timing: dict[str, float] = field(default_factory=dict)
    saturated: int = 0                    # counts above 2^in_bits − 1, sent saturated

    @property
    def samples(self) -> int:
        return len(self.classes)

    @property
    def img_per_s_counters(self) -> float:
        """Throughput at ``clock_mhz`` from the counters: one result per interval (per
        latency for a batch of one, where nothing overlaps)."""
        cycles = self.interval_cycles or self.latency_cycles
        return self.clock_mhz * 1e6 / cycles if cycles else 0.0

    @property
    def latency_s_counters(self) -> float:
        return self.latency_cycles / (self.clock_mhz * 1e6)

    @property
    def img_per_s_wall(self) -> float:
        """Samples per second of the whole call, by the host's wall clock."""
        wall = self.timing.get("wall_s", 0.0)
        return self.samples / wall if wall > 0 else 0.0

    def to_dict(self, arrays: bool = True) -> dict[str, Any]:
        """JSON-ready figures (and the logits and classes when ``arrays``)."""
        out: dict[str, Any] = {
            "samples": self.samples, "latency_cycles": self.latency_cycles,
            "interval_cycles": self.interval_cycles, "clock_mhz": self.clock_mhz,
            "img_per_s_counters": self.img_per_s_counters,
            "latency_s_counters": self.latency_s_counters,
            "img_per_s_wall": self.img_per_s_wall, "timing": dict(self.timing),
            "saturated": self.saturated}
        if arrays:
            out["logits"] = self.logits.tolist()
            out["classes"] = self.classes.tolist()
        return out


__all__ = ["RunResult"]
