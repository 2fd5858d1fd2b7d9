"""The simulated board: the PYNQ objects the host uses, modelled over the RTL in cocotb.

:class:`SimPlatform` implements :class:`sdmf.host.platform.Platform` for the generated
``sdmf_ip`` in Verilator, so :class:`sdmf.host.Accelerator` — unchanged, the module
that runs on the board — drives the RTL: the overlay's IP dictionary names the IP and
an AXI DMA as the Vivado block design does (:mod:`sdmf.device.blockdesign`); register
access goes through the AXI4-Lite master of :mod:`sdmf.sim.axi`; ``allocate`` gives
numpy arrays with a physical address (flush and invalidate do nothing); the DMA
channels are cocotb tasks — MM2S streams a buffer's beats into ``s_axis`` with
``TLAST`` on the last beat, S2MM takes ``m_axis`` beats into a buffer until ``TLAST``
(a buffer filled before ``TLAST`` is an error, as on the AXI DMA); ``now()`` is the
simulated time; loading an overlay resets the design, as programming the PL does.

The host runs in a :func:`cocotb.task.bridge` thread (sim/tests/tb_board.py); every
platform call that needs the simulator goes through :func:`cocotb.task.resume`. A
poll of a busy channel lets simulated time pass until some channel finishes (or
``poll_cycles`` elapse), so a polling host reacts in the cycle a transfer ends, like a
host spinning on the DMA's status register. Faults for the tests: ``mm2s_stall`` (the
MM2S never offers its beats) and ``s2mm_stall`` (the S2MM never takes any).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.task import resume
from cocotb.triggers import ClockCycles, Event, First, ReadOnly, RisingEdge, Timer
from cocotb.utils import get_sim_time

from sdmf.device.blockdesign import DMA_INSTANCE, IP_INSTANCE, STREAM_BITS
from sdmf.host.errors import HostError

from .axi import AxiLiteMaster

# mm2s_stall / s2mm_stall: the channel never moves a beat; mm2s_flip_once /
# mm2s_drop_once: the next MM2S transfer flips bit 0 of / loses its middle beat on the
# way to the accelerator (the DMA still reports every byte sent), then the fault is gone
FAULTS = ("mm2s_stall", "s2mm_stall", "mm2s_flip_once", "mm2s_drop_once")
BEAT_BYTES = STREAM_BITS // 8
IP_VLNV = "xilinx.com:module_ref:sdmf_ip:1.0"
DMA_VLNV = "xilinx.com:ip:axi_dma:7.1"
PS_VLNV = "xilinx.com:ip:processing_system7:5.5"


class SimBuffer(np.ndarray):
    """A "physically contiguous" buffer: a numpy array with an address; slices keep
    theirs (the slice's own), as ``pynq.allocate`` buffers do."""

    device_address: int = 0

    def __array_finalize__(self, obj: Any) -> None:
        base = getattr(obj, "device_address", None)
        if base is None:
            self.device_address = 0
            return
        here = self.__array_interface__["data"][0]
        self.device_address = base + here - obj.__array_interface__["data"][0]

    @property
    def physical_address(self) -> int:
        return self.device_address

    def flush(self) -> None:
        """Nothing to do: simulated memory is coherent."""

    def invalidate(self) -> None:
        """Nothing to do: simulated memory is coherent."""

    def freebuffer(self) -> None:
        """Nothing to do."""


class _Stream:
    """State of one DMA channel's model (runs in the simulator)."""

    def __init__(self, board: SimBoard, name: str) -> None:
        self.board = board
        self.name = name
        self.busy = False
        self.unseen = False          # finished, and the host has not polled it since
        self.error: str | None = None
        self.transferred = 0
        self.task: Any = None

    def finish(self, beats: int, error: str | None = None) -> None:
        self.busy, self.unseen = False, True
        self.transferred, self.error = beats * BEAT_BYTES, error
        self.board.activity.set()

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.task, self.busy, self.unseen, self.error = None, False, False, None


class _Mm2s(_Stream):
    """Memory → ``s_axis``: the buffer's beats, ``TLAST`` on the last."""

    async def start(self, words: list[int]) -> None:
        self.busy, self.unseen, self.error = True, False, None
        self.task = cocotb.start_soon(self._run(words))

    async def _run(self, words: list[int]) -> None:
        dut, clk = self.board.dut, self.board.clk
        if "mm2s_stall" in self.board.faults:
            await Event().wait()                     # never offers a beat
        sent = list(words)
        if "mm2s_flip_once" in self.board.faults:
            self.board.faults.discard("mm2s_flip_once")
            sent[len(sent) // 2] ^= 1
        if "mm2s_drop_once" in self.board.faults:
            self.board.faults.discard("mm2s_drop_once")
            del sent[len(sent) // 2]
        for i, word in enumerate(sent):
            dut.s_axis_tdata.value = word
            dut.s_axis_tlast.value = int(i == len(sent) - 1)
            dut.s_axis_tvalid.value = 1
            while True:
                await ReadOnly()
                if int(dut.s_axis_tready.value):
                    break
                await RisingEdge(dut.s_axis_tready)
            await RisingEdge(clk)
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tlast.value = 0
        self.finish(len(words))


class _S2mm(_Stream):
    """``m_axis`` → memory: beats into the buffer until ``TLAST``."""

    async def start(self, target: np.ndarray) -> None:
        self.busy, self.unseen, self.error = True, False, None
        self.task = cocotb.start_soon(self._run(target))

    async def _run(self, target: np.ndarray) -> None:
        dut, clk = self.board.dut, self.board.clk
        if "s2mm_stall" in self.board.faults:
            await Event().wait()                     # never takes a beat
        dut.m_axis_tready.value = 1
        n, error = 0, None
        while True:
            await ReadOnly()
            if not int(dut.m_axis_tvalid.value):
                await RisingEdge(dut.m_axis_tvalid)
                continue
            data, last = int(dut.m_axis_tdata.value), int(dut.m_axis_tlast.value)
            await RisingEdge(clk)
            target[n] = data
            n += 1
            if last:
                break
            if n == len(target):
                error = (f"DMA internal error: no TLAST within the {n} beats of the buffer "
                         "(the packet is longer than the transfer)")
                break
        dut.m_axis_tready.value = 0
        self.finish(n, error)


class SimBoard:
    """The cocotb side: clock, reset, the AXI4-Lite master and the two DMA models of
    the generated ``sdmf_ip`` (``dut``)."""

    def __init__(self, dut: Any, period_ns: float = 10.0, poll_cycles: int = 4096) -> None:
        self.dut = dut
        self.clk = dut.ap_clk
        self.period_ns = float(period_ns)
        self.poll_ns = poll_cycles * self.period_ns
        self.axi = AxiLiteMaster(dut, "s_axi_control_", self.clk)
        self.activity = Event()
        self.mm2s = _Mm2s(self, "sendchannel (MM2S)")
        self.s2mm = _S2mm(self, "recvchannel (S2MM)")
        self.faults: set[str] = set()
        dut.s_axis_tvalid.value = 0
        dut.s_axis_tlast.value = 0
        dut.s_axis_tdata.value = 0
        dut.m_axis_tready.value = 0
        dut.ap_rst_n.value = 0

    async def start(self) -> SimBoard:
        cocotb.start_soon(Clock(self.clk, self.period_ns, unit="ns").start())
        await self.reset()
        return self

    async def reset(self) -> None:
        """Reset the design and the DMA models (what loading the bitstream does)."""
        for ch in (self.mm2s, self.s2mm):
            ch.cancel()
        self.dut.s_axis_tvalid.value = 0
        self.dut.s_axis_tlast.value = 0
        self.dut.m_axis_tready.value = 0
        self.dut.ap_rst_n.value = 0
        await ClockCycles(self.clk, 5)
        self.dut.ap_rst_n.value = 1
        await ClockCycles(self.clk, 2)

    async def poll(self, ch: _Stream) -> bool:
        """``ch`` idle? While it is busy and no other channel has news for the host,
        simulated time passes until a channel finishes or the poll period ends."""
        if ch.busy and not (self.mm2s.unseen or self.s2mm.unseen):
            self.activity.clear()
            await First(self.activity.wait(), Timer(self.poll_ns, "ns"))
        if ch.busy:
            return False
        ch.unseen = False
        return True


# ---------------------------------------------------------------------- the host's side


class SimPlatform:
    """:class:`sdmf.host.platform.Platform` on a :class:`SimBoard`; call it only from a
    :func:`cocotb.task.bridge` thread. ``omit`` drops instances from the overlay's IP
    dictionary (a bitstream without them)."""

    name = "sim"

    def __init__(self, board: SimBoard, omit: Iterable[str] = (), addr_bits: int = 12) -> None:
        self.board = board
        self.omit = set(omit)
        self.addr_bits = addr_bits
        self._t_ns = 0.0                   # simulated time after the last call
        self._next_address = 1 << 24
        self.bitfile: Path | None = None

    def call(self, fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Any:
        """Run coroutine function ``fn`` in the simulator and wait for its result."""
        return resume(self._timed)(fn, *args)

    async def _timed(self, fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Any:
        try:
            return await fn(*args)
        finally:
            self._t_ns = get_sim_time("ns")

    def now(self) -> float:
        return self._t_ns * 1e-9

    def overlay(self, bitfile: Path) -> SimOverlay:
        self.bitfile = Path(bitfile)
        self.call(self.board.reset)
        base = 1 << 30
        ip_dict = {
            "ps7_0": {"type": PS_VLNV, "phys_addr": 0, "addr_range": 0},
            IP_INSTANCE: {"type": IP_VLNV, "phys_addr": base, "addr_range": 1 << self.addr_bits},
            DMA_INSTANCE: {"type": DMA_VLNV, "phys_addr": base + (1 << 16),
                           "addr_range": 1 << 16},
        }
        return SimOverlay(self, {k: v for k, v in ip_dict.items() if k not in self.omit})

    def allocate(self, shape: tuple[int, ...], dtype: Any) -> SimBuffer:
        buf = np.zeros(shape, dtype=dtype).view(SimBuffer)
        buf.device_address = self._next_address
        self._next_address += -(-buf.nbytes // 4096) * 4096
        return buf


class SimMmio:
    def __init__(self, platform: SimPlatform) -> None:
        self.platform = platform

    def read(self, offset: int) -> int:
        try:
            return int(self.platform.call(self.platform.board.axi.read, offset))
        except TimeoutError as e:
            raise HostError(f"MMIO read of offset {offset}: {e}") from None

    def write(self, offset: int, value: int) -> None:
        try:
            self.platform.call(self.platform.board.axi.write, offset, int(value))
        except TimeoutError as e:
            raise HostError(f"MMIO write of offset {offset}: {e}") from None


class SimChannel:
    """One DMA channel as the host sees it (``pynq.lib.dma`` channel semantics)."""

    def __init__(self, platform: SimPlatform, model: _Stream) -> None:
        self.platform = platform
        self.model = model
        self.name = model.name

    def transfer(self, buffer: Any) -> None:
        if self.model.busy:
            raise HostError(f"DMA {self.name}: channel not idle")
        words = np.asarray(buffer).reshape(-1).view(np.uint64)
        if isinstance(self.model, _Mm2s):
            self.platform.call(self.model.start, [int(w) for w in words])
        else:
            self.platform.call(self.model.start, words)

    @property
    def idle(self) -> bool:
        return bool(self.platform.call(self.platform.board.poll, self.model))

    def error(self) -> str | None:
        return self.model.error

    def complete(self) -> int:
        if self.model.error:
            raise HostError(f"DMA {self.name}: {self.model.error}")
        return self.model.transferred


class SimDma:
    def __init__(self, platform: SimPlatform) -> None:
        self.sendchannel = SimChannel(platform, platform.board.mm2s)
        self.recvchannel = SimChannel(platform, platform.board.s2mm)


class SimOverlay:
    def __init__(self, platform: SimPlatform, ip_dict: dict[str, dict[str, Any]]) -> None:
        self.platform = platform
        self.ip_dict = ip_dict

    def mmio(self, name: str) -> SimMmio:
        if self.ip_dict[name]["type"] != IP_VLNV:
            raise HostError(f"{name} is not the simulated accelerator")
        return SimMmio(self.platform)

    def dma(self, name: str) -> SimDma:
        if self.ip_dict[name]["type"] != DMA_VLNV:
            raise HostError(f"{name} is not the simulated AXI DMA")
        return SimDma(self.platform)


__all__ = ["FAULTS", "SimBoard", "SimBuffer", "SimPlatform"]
