"""AXI4-Lite master and AXI4-Stream source/sink for cocotb 2.x testbenches of the top level.

:class:`AxiLiteMaster` drives ``<prefix>aw*/w*/b*/ar*/r*`` (``prefix`` ``""`` for the
network testbench's wrapper, ``"s_axi_control_"`` for ``sdmf_top``/``sdmf_ip``).
:class:`AxisSource` drives ``<prefix>_tdata/tvalid/tlast`` and :class:`AxisSink`
``<prefix>_tready``, recording every beat with ``tlast``, ``tkeep`` and the time of
the clock edge that transferred it. Handshakes are sampled in the ``ReadOnly`` phase
before the edge; while nothing can happen, the stream drivers sleep on value changes
of the handshake signals instead of waking every clock. Every wait has a timeout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cocotb.triggers import Event, First, ReadOnly, RisingEdge, Timer
from cocotb.utils import get_sim_time


class AxiLiteMaster:
    """Minimal AXI4-Lite master (one transaction at a time, all strobes set)."""

    def __init__(self, dut: Any, prefix: str = "", clk: Any = None,
                 timeout_cycles: int = 1000) -> None:
        self.dut = dut
        self.clk = clk if clk is not None else dut.clk
        self.prefix = prefix
        self.timeout_cycles = timeout_cycles
        for name in ("awvalid", "wvalid", "arvalid", "awaddr", "wdata", "araddr"):
            self._sig(name).value = 0
        self._sig("wstrb").value = 0xF
        self._sig("bready").value = 1
        self._sig("rready").value = 1

    def _sig(self, name: str) -> Any:
        return getattr(self.dut, self.prefix + name)

    async def _until(self, name: str, what: str, addr: int) -> None:
        """Return just after the first clock edge at which ``name`` is high."""
        for _ in range(self.timeout_cycles):
            await ReadOnly()
            high = int(self._sig(name).value)
            await RisingEdge(self.clk)
            if high:
                return
        raise TimeoutError(f"AXI4-Lite {what} of {addr:#x}: no {self.prefix}{name} within "
                           f"{self.timeout_cycles} cycles")

    async def write(self, addr: int, data: int) -> None:
        self._sig("awaddr").value, self._sig("wdata").value = addr, data
        self._sig("awvalid").value, self._sig("wvalid").value = 1, 1
        pending = {"aw", "w"}
        for _ in range(self.timeout_cycles):
            await ReadOnly()
            accepted = {p for p in pending if int(self._sig(f"{p}ready").value)}
            await RisingEdge(self.clk)
            for p in accepted:
                self._sig(f"{p}valid").value = 0
            pending -= accepted
            if not pending:
                break
        if pending:
            raise TimeoutError(f"AXI4-Lite write of {addr:#x}: {sorted(pending)} not accepted "
                               f"within {self.timeout_cycles} cycles")
        await self._until("bvalid", "write", addr)

    async def read(self, addr: int) -> int:
        self._sig("araddr").value, self._sig("arvalid").value = addr, 1
        await self._until("arready", "read", addr)
        self._sig("arvalid").value = 0
        for _ in range(self.timeout_cycles):
            await ReadOnly()
            if int(self._sig("rvalid").value):
                value = int(self._sig("rdata").value)
                await RisingEdge(self.clk)
                return value
            await RisingEdge(self.clk)
        raise TimeoutError(f"AXI4-Lite read of {addr:#x}: no rvalid within "
                           f"{self.timeout_cycles} cycles")

    async def read64(self, lo: int, hi: int) -> int:
        """A 64-bit value from its low and high registers (low first)."""
        return await self.read(lo) | (await self.read(hi) << 32)


async def _transfer(clk: Any, valid: Any, ready: Any, timeout_ns: float, what: str,
                    stop: Event) -> float | None:
    """Wait for a clock edge with ``valid && ready``; returns its time (ns), just after it,
    or None once ``stop`` is set."""
    deadline = get_sim_time("ns") + timeout_ns
    while not stop.is_set():
        await ReadOnly()
        v, r = int(valid.value), int(ready.value)
        if v and r:
            await RisingEdge(clk)
            return get_sim_time("ns")
        left = deadline - get_sim_time("ns")
        timer = Timer(left, "ns") if left > 0 else None
        if timer is None or await First(timer, stop.wait(), *[
                RisingEdge(s) for s, on in ((valid, v), (ready, r)) if not on]) is timer:
            raise TimeoutError(f"{what}: no transfer within {timeout_ns:.0f} ns")
    return None


class AxisSource:
    """Drives ``<prefix>_tdata/tvalid/tlast``; ``times`` holds each transfer's edge (ns)."""

    def __init__(self, dut: Any, prefix: str = "s_axis", clk: Any = None) -> None:
        self.clk = clk if clk is not None else dut.clk
        self.data = getattr(dut, f"{prefix}_tdata")
        self.valid = getattr(dut, f"{prefix}_tvalid")
        self.ready = getattr(dut, f"{prefix}_tready")
        self.last = getattr(dut, f"{prefix}_tlast")
        self.prefix = prefix
        self.times: list[float] = []
        self._stop = Event()
        self.valid.value = 0
        self.last.value = 0

    async def send(self, beats: Sequence[int], lasts: Sequence[bool],
                   timeout_ns: float) -> int:
        """Send ``beats`` (``lasts[i]``: TLAST of beat i); each waits at most ``timeout_ns``.
        Returns the number sent (fewer after :meth:`withdraw`)."""
        self._stop.clear()
        sent = 0
        try:
            for i, (beat, last) in enumerate(zip(beats, lasts, strict=True)):
                self.data.value, self.last.value, self.valid.value = int(beat), int(last), 1
                t = await _transfer(self.clk, self.valid, self.ready, timeout_ns,
                                    f"{self.prefix} beat {i}", self._stop)
                if t is None:
                    break
                self.times.append(t)
                sent += 1
        finally:
            self.valid.value = 0
        return sent

    def withdraw(self) -> None:
        """Stop offering: a running :meth:`send` drops ``tvalid`` and returns."""
        self._stop.set()


@dataclass
class Beat:
    data: int
    last: int
    keep: int
    time: float          # ns, the clock edge that transferred it


class AxisSink:
    """Records every beat of ``<prefix>_t*``; ``stall`` holds ``tready`` low."""

    def __init__(self, dut: Any, prefix: str = "m_axis", clk: Any = None) -> None:
        self.clk = clk if clk is not None else dut.clk
        self.data = getattr(dut, f"{prefix}_tdata")
        self.valid = getattr(dut, f"{prefix}_tvalid")
        self.ready = getattr(dut, f"{prefix}_tready")
        self.last = getattr(dut, f"{prefix}_tlast")
        self.keep = getattr(dut, f"{prefix}_tkeep")
        self.prefix = prefix
        self.beats: list[Beat] = []
        self._event = Event()
        self.stall = False

    @property
    def stall(self) -> bool:
        return self._stall

    @stall.setter
    def stall(self, on: bool) -> None:
        self._stall = on
        self.ready.value = int(not on)

    async def run(self) -> None:
        """The monitor (start it with ``cocotb.start_soon``)."""
        while True:
            await ReadOnly()
            v, r = int(self.valid.value), int(self.ready.value)
            if v and r:
                data, last, keep = int(self.data.value), int(self.last.value), \
                    int(self.keep.value)
                await RisingEdge(self.clk)
                self.beats.append(Beat(data, last, keep, get_sim_time("ns")))
                self._event.set()
                continue
            await First(*[RisingEdge(s) for s, on in ((self.valid, v), (self.ready, r))
                          if not on])

    async def wait_beats(self, count: int, timeout_ns: float) -> list[Beat]:
        """Wait until ``count`` beats in all were received (TimeoutError otherwise)."""
        deadline = get_sim_time("ns") + timeout_ns
        while len(self.beats) < count:
            left = deadline - get_sim_time("ns")
            if left <= 0:
                raise TimeoutError(f"{self.prefix}: {len(self.beats)} of {count} beats after "
                                   f"{timeout_ns:.0f} ns")
            self._event.clear()
            await First(Timer(left, "ns"), self._event.wait())
        return self.beats[:count]
