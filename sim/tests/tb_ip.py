"""Testbench helpers for the generated ``sdmf_ip``: clock, reset, bus drivers, registers.

:class:`Bench` reads the config file ``$SDMF_CONTROL_CONFIG`` (JSON, written by
tests/ip_bench.py; fields in sim/tests/tb_control.py), drives AXI4-Lite
(:class:`AxiLiteMaster`), the input stream (:class:`AxisSource`) and the output stream
(:class:`AxisSink`), and addresses registers by their documented role — it holds no
offset of its own.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.task import Task
from cocotb.triggers import ClockCycles, RisingEdge, Timer, with_timeout
from cocotb.utils import get_sim_time

from sdmf.sim.axi import AxiLiteMaster, AxisSink, AxisSource


class Bench:
    """Clock, reset, the three bus drivers and register helpers by documented role."""

    def __init__(self, dut: Any) -> None:
        self.cfg = json.loads(Path(os.environ["SDMF_CONTROL_CONFIG"]).read_text())
        self.dut = dut
        self.clk = dut.ap_clk
        self.period = float(self.cfg["period_ns"])
        self.regs = self.cfg["regs"]
        self.B = int(self.cfg["beats_per_sample"])
        self.timeout = int(self.cfg["timeout_cycles"])
        self.axi = AxiLiteMaster(dut, "s_axi_control_", self.clk)
        self.src = AxisSource(dut, "s_axis", self.clk)
        self.sink = AxisSink(dut, "m_axis", self.clk)
        self.seen: dict[str, Any] = {}
        self.t_reset = 0.0

    async def start(self) -> Bench:
        cocotb.start_soon(Clock(self.clk, self.period, unit="ns").start())
        await self.reset()
        cocotb.start_soon(self.sink.run())
        return self

    async def reset(self) -> None:
        self.dut.ap_rst_n.value = 0
        await ClockCycles(self.clk, 5)
        self.dut.ap_rst_n.value = 1
        await RisingEdge(self.clk)
        self.t_reset = self.now()             # the first edge out of reset
        await RisingEdge(self.clk)

    # ------------------------------------------------------------------ registers
    def off(self, role: str) -> int:
        return int(self.regs["offsets"][role])

    def ctrl_bit(self, name: str) -> int:
        return 1 << int(self.regs["control_bits"][name])

    def ier_bit(self, name: str) -> int:
        return 1 << int(self.regs["ier_bits"][name])

    async def read(self, role: str) -> int:
        return await self.axi.read(self.off(role))

    async def write(self, role: str, value: int) -> None:
        await self.axi.write(self.off(role), value)

    async def read64(self, role: str) -> int:
        return await self.axi.read64(self.off(f"{role}_lo"), self.off(f"{role}_hi"))

    async def ap_start(self, auto_restart: bool = False) -> float:
        """Write ap_start (and auto_restart); returns the time the write was issued."""
        t = self.now()
        await self.write("control", self.ctrl_bit("ap_start")
                         | (self.ctrl_bit("auto_restart") if auto_restart else 0))
        return t

    async def status_error(self) -> bool:
        return bool(await self.read("status") >> int(self.regs["tlast_error_bit"]) & 1)

    # ------------------------------------------------------------------ time
    def now(self) -> float:
        return get_sim_time("ns")

    def cycle(self, t_ns: float) -> int:
        return round(t_ns / self.period)

    async def idle(self, cycles: int) -> None:
        """Let ``cycles`` clock cycles pass without waking Python in between."""
        await Timer(cycles * self.period, "ns")
        await RisingEdge(self.clk)

    async def poll(self, role: str, mask: int, what: str, cycles: int | None = None,
                   every: int = 64) -> int:
        """Read ``role`` until a bit of ``mask`` is set (at most ``cycles`` cycles)."""
        limit = self.now() + (cycles or self.timeout) * self.period
        while True:
            value = await self.read(role)
            if value & mask:
                return value
            assert self.now() < limit, f"{what}: {role} = {value:#x} after {cycles} cycles"
            await self.idle(every)

    async def wait_irq(self, what: str, cycles: int | None = None) -> None:
        if not int(self.dut.interrupt.value):
            await with_timeout(RisingEdge(self.dut.interrupt),
                               (cycles or self.timeout) * self.period, "ns")
        assert int(self.dut.interrupt.value), what

    # ------------------------------------------------------------------ streams
    def lasts(self, n: int) -> list[bool]:
        return [i % self.B == self.B - 1 for i in range(n)]

    def send(self, beats: list[int], lasts: list[bool] | None = None,
             timeout_cycles: int | None = None) -> Task:
        """Offer ``beats`` on the input in the background (TLAST per sample by default)."""
        lasts = self.lasts(len(beats)) if lasts is None else lasts
        return cocotb.start_soon(self.src.send(
            beats, lasts, (timeout_cycles or 4 * self.timeout) * self.period))

    def sample_beats(self, indices: range | list[int]) -> list[int]:
        return [b for i in indices for b in self.cfg["samples"][i]["beats"]]

    def check_outputs(self, first_beat: int, samples: list[int], what: str) -> list[float]:
        """The sink's beats from ``first_beat`` on are the expected outputs of ``samples``,
        in order; returns each one's done time (its TLAST beat)."""
        done = []
        beats = self.sink.beats[first_beat:]
        for n, i in enumerate(samples):
            want = self.cfg["samples"][i]["outputs"]
            got = beats[n * len(want):(n + 1) * len(want)]
            assert [b.data for b in got] == want, \
                f"{what}: output {n} (sample {i}) {[b.data for b in got]} != golden {want}"
            assert [b.last for b in got] == [0] * (len(want) - 1) + [1], \
                f"{what}: TLAST of output {n} is {[b.last for b in got]}, only on the class beat"
            assert all(b.keep == 0xFF for b in got), f"{what}: tkeep not all ones"
            done.append(got[-1].time)
        assert len(beats) == len(samples) * len(self.cfg["samples"][0]["outputs"]), \
            f"{what}: {len(beats)} output beats for {len(samples)} samples"
        return done

    def save(self, name: str) -> None:
        Path(f"{name}.json").write_text(json.dumps(self.seen, indent=1))
