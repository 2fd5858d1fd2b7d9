"""Valid/ready stream drivers and monitors for cocotb 2.x testbenches, and word packing.

A transfer happens on a rising clock edge where ``valid && ready`` (AXI4-Stream
semantics). :class:`StreamSource` drives ``<prefix>_valid``/``<prefix>_data`` and
watches ``<prefix>_ready``; :class:`StreamSink` drives ``<prefix>_ready`` (with
optional random back-pressure) and records every transferred word. Both sample
the handshake in the ``ReadOnly`` phase of the cycle *before* the edge, so a ready
that depends combinationally on valid (joins) is seen correctly.

Word layout (docs/hardware.md): element ``e`` of a word at bits ``[e·bits +: bits]``,
e.g. ``e = t·C + c`` for position words; :func:`pack` and :func:`unpack` are
:mod:`sdmf.device.words`' (negative values in two's complement).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

import numpy as np

from sdmf.device.words import pack as _pack
from sdmf.device.words import unpack

__all__ = ["StreamSink", "StreamSource", "pack", "position_words", "unpack", "words_to_tensor"]

# ------------------------------------------------------------------ packing


def pack(values: Iterable[int], bits: int) -> int:
    """Element ``i`` at bits ``[i·bits +: bits]`` (two's complement for negatives)."""
    return _pack(values, bits, signed=None)


def position_words(x, bits: int) -> list[int]:
    """Stream words of one sample ``x[T, C, H, W]`` or ``x[T, C, N]`` (raster / token order).

    Word ``p`` holds element ``t·C + c`` = ``x[t, c, p]``.
    """
    a = np.asarray(x, dtype=np.int64)
    T, C = a.shape[:2]
    flat = a.reshape(T, C, -1)
    return [pack(flat[:, :, p].reshape(-1).tolist(), bits) for p in range(flat.shape[2])]


def words_to_tensor(words: Sequence[int], T: int, C: int, bits: int,
                    signed: bool = False) -> np.ndarray:
    """Inverse of :func:`position_words`: ``[T, C, P]`` int64 (reshape for H, W)."""
    out = np.zeros((T, C, len(words)), dtype=np.int64)
    for p, w in enumerate(words):
        out[:, :, p] = np.asarray(unpack(w, T * C, bits, signed), dtype=np.int64).reshape(T, C)
    return out


# ------------------------------------------------------------------ cocotb side


def _sig(dut, prefix: str, name: str):
    return getattr(dut, f"{prefix}_{name}")


_SHARED_READY: dict[tuple[int, str], int] = {}   # vector ready ports shared by sinks


class StreamSource:
    """Drives words into ``<prefix>_{valid,data}``; ``idle`` = probability of a bubble."""

    def __init__(self, dut, prefix: str, clk=None, idle: float = 0.0,
                 rng: random.Random | None = None) -> None:
        self.clk = clk if clk is not None else dut.clk
        self.valid = _sig(dut, prefix, "valid")
        self.ready = _sig(dut, prefix, "ready")
        self.data = _sig(dut, prefix, "data")
        self.idle = idle
        self.rng = rng or random.Random(0)
        self.sent = 0
        self.cycles: list[int] = []          # cycle of each transfer (from the first send)
        self._cycle = 0
        self.valid.value = 0

    async def send(self, words: Iterable[int]) -> None:
        from cocotb.triggers import ReadOnly, RisingEdge

        for w in words:
            while self.idle and self.rng.random() < self.idle:
                self.valid.value = 0
                await RisingEdge(self.clk)
                self._cycle += 1
            self.valid.value = 1
            self.data.value = int(w)
            while True:
                await ReadOnly()
                fire = int(self.ready.value) == 1
                if fire:
                    self.cycles.append(self._cycle)
                await RisingEdge(self.clk)
                self._cycle += 1
                if fire:
                    break
            self.sent += 1
        self.valid.value = 0


class StreamSink:
    """Receives words from ``<prefix>_{valid,data}``, driving ``<prefix>_ready``.

    ``stall`` = probability that ready is low in a cycle. ``bit`` selects one lane of
    vector ``valid``/``ready`` ports (a fork's outputs share one data bus).
    ``extra`` names further output signals sampled with each word (e.g. ``last``).
    """

    def __init__(self, dut, prefix: str, clk=None, stall: float = 0.0,
                 rng: random.Random | None = None, bit: int | None = None,
                 extra: Sequence[str] = ()) -> None:
        self.clk = clk if clk is not None else dut.clk
        self.dut = dut
        self.prefix = prefix
        self.valid = _sig(dut, prefix, "valid")
        self.ready = _sig(dut, prefix, "ready")
        self.data = _sig(dut, prefix, "data")
        self.extra = {name: _sig(dut, prefix, name) for name in extra}
        self.stall = stall
        self.rng = rng or random.Random(1)
        self.bit = bit
        self.words: list[int] = []
        self.extras: list[dict[str, int]] = []
        self.cycles: list[int] = []          # cycle index of each transfer
        self._ready_bits = 0
        self._set_ready(False)

    def _set_ready(self, on: bool) -> None:
        if self.bit is None:
            self.ready.value = int(on)
        else:
            # several sinks share one vector port: each owns one bit
            key = (id(self.dut), self.prefix)
            shared = _SHARED_READY.get(key, 0)
            shared = (shared | (1 << self.bit)) if on else (shared & ~(1 << self.bit))
            _SHARED_READY[key] = shared
            self.ready.value = shared

    def _valid(self) -> bool:
        v = int(self.valid.value)
        return bool((v >> self.bit) & 1) if self.bit is not None else v == 1

    async def receive(self, count: int, timeout_cycles: int = 1_000_000) -> list[int]:
        """Collect ``count`` more words; raises ``TimeoutError`` after ``timeout_cycles``."""
        from cocotb.triggers import ReadOnly, RisingEdge

        target = len(self.words) + count
        cycle = 0
        while len(self.words) < target:
            on = not (self.stall and self.rng.random() < self.stall)
            self._set_ready(on)
            await ReadOnly()
            if on and self._valid():
                self.words.append(int(self.data.value))
                self.extras.append({k: int(s.value) for k, s in self.extra.items()})
                self.cycles.append(cycle)
            await RisingEdge(self.clk)
            cycle += 1
            if cycle > timeout_cycles:
                raise TimeoutError(f"{self.prefix}: {len(self.words)} of {target} words "
                                   f"after {timeout_cycles} cycles")
        self._set_ready(False)
        return self.words[target - count:]
