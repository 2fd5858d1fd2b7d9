"""cocotb tests of the control interface of the generated ``sdmf_ip`` (the Vivado wrapper).

The testbench drives the wrapper's ports directly: AXI4-Lite (:class:`AxiLiteMaster`),
the input stream (:class:`AxisSource`) and the output stream (:class:`AxisSink`). It
knows nothing of the register map: the config file (``$SDMF_CONTROL_CONFIG``, JSON,
written by tests/hw) gives every offset, bit and expected value — parsed from
docs/hardware.md and computed from the IR and the golden model by the pytest side.

Config: ``period_ns``, ``regs`` (``offsets`` by role, ``control_bits``, ``ier_bits``,
``gie_bit``, ``tlast_error_bit``, ``id_value``, ``counter_base``, ``counter_stride``),
``expect`` (``ir_hash``, ``config`` [[offset, value]…], ``counters``, ``counter_checks``
[[index, value per inference]…]), ``beats_per_sample``, ``samples`` (``beats``,
``outputs``: the K + 1 expected 64-bit output beats), ``timeout_cycles`` (one inference
alone), ``faults`` (beat lists for the fault-injection tests). Every test starts with a
reset and writes what it observed to ``<test>.json`` in the working folder.
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

    async def start(self) -> Bench:
        cocotb.start_soon(Clock(self.clk, self.period, unit="ns").start())
        await self.reset()
        cocotb.start_soon(self.sink.run())
        return self

    async def reset(self) -> None:
        self.dut.ap_rst_n.value = 0
        await ClockCycles(self.clk, 5)
        self.dut.ap_rst_n.value = 1
        await ClockCycles(self.clk, 2)

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


# ---------------------------------------------------------------------- tests


@cocotb.test()
async def registers_after_reset(dut: Any) -> None:
    """ID, IR hash, configuration, counter count; control state after reset; read-only."""
    b = await Bench(dut).start()
    e = b.cfg["expect"]
    assert await b.read("id") == b.regs["id_value"], "ID register"
    assert await b.read("ir_hash") == e["ir_hash"], "IR hash register"
    for off, want in e["config"]:
        got = await b.axi.read(off)
        assert got == want, f"configuration register {off:#x}: {got:#x}, expected {want:#x}"
    assert await b.read("counters") == e["counters"], "counter-count register"
    assert await b.read("control") == b.ctrl_bit("ap_idle"), "control after reset: only ap_idle"
    for role in ("gie", "ier", "isr", "status"):
        assert await b.read(role) == 0, f"{role} after reset"
    assert not int(dut.interrupt.value) and not int(dut.s_axis_tready.value)
    for role in ("id", "ir_hash", "counters"):
        before = await b.read(role)
        await b.write(role, ~before & 0xFFFF_FFFF)
        assert await b.read(role) == before, f"{role} is read-only"


@cocotb.test()
async def start_done_and_clear_on_read(dut: Any) -> None:
    """ap_start → input → done; ap_done/ap_ready clear on read; ISR toggle on write;
    latency, interval and busy counters; output framing and logits."""
    b = await Bench(dut).start()
    K1 = len(b.cfg["samples"][0]["outputs"])
    await b.write("gie", 1 << b.regs["gie_bit"])
    await b.write("ier", b.ier_bit("done"))
    task = b.send(b.sample_beats([0]))
    await b.idle(50)
    assert not b.src.times, "the input took a beat before ap_start"
    t_start = await b.ap_start()
    ctrl = await b.read("control")
    assert not ctrl & (b.ctrl_bit("ap_start") | b.ctrl_bit("ap_idle")), \
        f"ap_start must clear when the inference starts, ap_idle drop ({ctrl:#x})"
    await b.wait_irq("done interrupt")
    await b.sink.wait_beats(K1, 10 * b.period)     # (the beat lands in the same cycle)
    (done0,) = b.check_outputs(0, [0], "sample 0")
    assert task.done() and len(b.src.times) == b.B
    assert await b.read("isr") == b.ier_bit("done"), "ISR: only the enabled done bit"
    both = b.ctrl_bit("ap_done") | b.ctrl_bit("ap_ready")
    ctrl = await b.read("control")
    assert ctrl == both | b.ctrl_bit("ap_idle"), f"control after done: {ctrl:#x}"
    ctrl = await b.read("control")
    assert ctrl == b.ctrl_bit("ap_idle"), f"ap_done/ap_ready not cleared on read: {ctrl:#x}"
    assert int(dut.interrupt.value), "reading control must not clear the interrupt"
    for isr in (0, b.ier_bit("done"), 0):          # toggle on write: clear, set, clear
        await b.write("isr", b.ier_bit("done"))
        assert await b.read("isr") == isr and int(dut.interrupt.value) == bool(isr)
    latency = await b.read64("latency")
    b.seen["latency"] = latency
    b.seen["latency_bounds"] = [b.cycle(done0) - b.cycle(b.src.times[0]) + 1,
                                b.cycle(done0) - b.cycle(t_start)]
    lo, hi = b.seen["latency_bounds"]
    assert lo <= latency <= hi, f"latency {latency} outside [{lo}, {hi}]"

    b.send(b.sample_beats([1]))
    await b.ap_start()
    await b.wait_irq("done interrupt of sample 1")
    await b.sink.wait_beats(2 * K1, 10 * b.period)
    _, done1 = b.check_outputs(0, [0, 1], "samples 0, 1")
    interval = await b.read64("interval")
    assert interval == b.cycle(done1) - b.cycle(done0), \
        f"interval register {interval}, done times {b.cycle(done0)}, {b.cycle(done1)}"
    assert not await b.status_error(), "TLAST error after correct samples"
    for index, per in b.cfg["expect"]["counter_checks"]:
        off = b.regs["counter_base"] + b.regs["counter_stride"] * index
        got = await b.axi.read64(off, off + 4)
        assert got == 2 * per, f"busy counter {index} at {off:#x}: {got}, expected 2×{per}"
    b.save("start_done_and_clear_on_read")


@cocotb.test()
async def interrupt_gating(dut: Any) -> None:
    """ISR bits set only when enabled; the interrupt is GIE AND (ISR & IER); ap_ready
    (input complete) comes before done."""
    b = await Bench(dut).start()
    rises = []

    async def watch() -> None:
        while True:
            await RisingEdge(dut.interrupt)
            rises.append(b.now())

    cocotb.start_soon(watch())
    ready, done = b.ier_bit("ready"), b.ier_bit("done")
    await b.write("ier", ready | done)                           # GIE stays 0
    b.send(b.sample_beats([0]))
    await b.ap_start()
    isr = await b.poll("isr", ready, "ap_ready in ISR")
    assert not isr & done and not b.sink.beats, "ap_ready must precede the output"
    assert len(b.src.times) == b.B, "ap_ready before the input was complete"
    await b.poll("isr", done, "ap_done in ISR")
    b.check_outputs(0, [0], "sample 0")
    assert not rises and not int(dut.interrupt.value), "interrupt rose with GIE = 0"
    gie = 1 << b.regs["gie_bit"]
    steps = [("gie", gie, 1), ("gie", 0, 0), ("gie", gie, 1), ("ier", 0, 0),
             ("ier", ready, 1), ("isr", ready, 0), ("ier", done, 1), ("isr", done, 0)]
    for role, value, level in steps:
        await b.write(role, value)
        await ClockCycles(b.clk, 2)
        assert int(dut.interrupt.value) == level, \
            f"after writing {value:#x} to {role}: interrupt {int(dut.interrupt.value)}"
    assert await b.read("isr") == 0


@cocotb.test()
async def auto_restart(dut: Any) -> None:
    """With auto_restart, samples stream in without rewriting ap_start; clearing stops it."""
    b = await Bench(dut).start()
    offered = 8
    K1 = len(b.cfg["samples"][0]["outputs"])
    task = b.send(b.sample_beats(range(offered)))
    await b.ap_start(auto_restart=True)
    await b.sink.wait_beats(3 * K1, 4 * b.timeout * b.period)
    ctrl = await b.read("control")
    on = b.ctrl_bit("ap_start") | b.ctrl_bit("auto_restart")
    assert ctrl & on == on, f"ap_start/auto_restart must stay set ({ctrl:#x})"
    await b.write("control", 0)
    complete = len(b.src.times) // b.B       # inputs complete when the write has landed
    assert not await b.read("control") & on, "writing 0 must clear ap_start and auto_restart"
    await b.poll("control", b.ctrl_bit("ap_idle"), "ap_idle after stopping")
    await b.idle(b.timeout)
    taken = len(b.src.times)
    b.seen.update(taken=taken, complete_at_stop=complete, offered=offered)
    assert taken % b.B == 0 and taken < offered * b.B, f"{taken} beats taken"
    assert taken <= (complete + 1) * b.B, \
        f"samples started after auto_restart was cleared ({complete} complete, {taken} beats)"
    b.check_outputs(0, list(range(taken // b.B)), "auto_restart")
    assert taken // b.B >= 3 and not task.done()
    b.src.withdraw()
    assert await task == taken
    b.save("auto_restart")


async def _run_one(b: Bench, i: int, lasts: list[bool], first_beat: int, what: str) -> None:
    b.send(b.cfg["samples"][i]["beats"], lasts)
    await b.ap_start()
    await b.sink.wait_beats(first_beat + len(b.cfg["samples"][i]["outputs"]),
                            b.timeout * b.period)
    b.check_outputs(first_beat, [i], what)


@cocotb.test()
async def tlast_errors(dut: Any) -> None:
    """A beat whose TLAST disagrees with its position sets status bit 0 until reset."""
    b = await Bench(dut).start()
    K1 = len(b.cfg["samples"][0]["outputs"])
    early = [i in (3, b.B - 1) for i in range(b.B)]
    await _run_one(b, 0, early, 0, "early TLAST")
    assert await b.status_error(), "early TLAST not flagged"
    await _run_one(b, 1, b.lasts(b.B), K1, "correct sample after the error")
    assert await b.status_error(), "the TLAST error must be sticky"
    await b.reset()
    assert not await b.status_error(), "reset must clear the TLAST error"
    await _run_one(b, 1, [False] * b.B, 2 * K1, "missing TLAST")
    assert await b.status_error(), "missing TLAST not flagged"
    await b.reset()
    await _run_one(b, 2, b.lasts(b.B), 3 * K1, "correct sample after reset")
    assert not await b.status_error()


@cocotb.test()
async def inflight_limit(dut: Any) -> None:
    """Output stalled: 8 samples' inputs are taken, the 9th ap_start waits for a done;
    released, all 9 complete in order, bit-exact."""
    b = await Bench(dut).start()
    n = 9
    b.sink.stall = True
    await b.write("gie", 1 << b.regs["gie_bit"])
    await b.write("ier", b.ier_bit("ready"))
    task = b.send(b.sample_beats(range(n)), timeout_cycles=(n + 4) * b.timeout)
    starts = []
    for i in range(n - 1):
        starts.append(await b.ap_start())
        await b.wait_irq(f"ap_ready of sample {i}")
        await b.write("isr", b.ier_bit("ready"))
        assert len(b.src.times) == (i + 1) * b.B, f"sample {i}: {len(b.src.times)} beats"
    starts.append(await b.ap_start())
    await b.idle(2 * b.timeout)
    ctrl = await b.read("control")
    b.seen["ctrl_9th_pending"] = ctrl
    assert ctrl & b.ctrl_bit("ap_start") and not ctrl & b.ctrl_bit("ap_idle"), \
        f"the 9th ap_start must stay pending ({ctrl:#x})"
    assert len(b.src.times) == (n - 1) * b.B and not b.sink.beats
    assert not int(dut.s_axis_tready.value), "input open for a 9th sample"
    b.sink.stall = False
    K1 = len(b.cfg["samples"][0]["outputs"])
    await b.sink.wait_beats(n * K1, (n + 2) * b.timeout * b.period)
    assert task.done()
    done = b.check_outputs(0, list(range(n)), "in flight")
    first_9th = b.src.times[(n - 1) * b.B]
    assert first_9th > done[0], "the 9th sample started before the first done"
    assert await b.read64("interval") == b.cycle(done[-1]) - b.cycle(done[-2])
    latency = await b.read64("latency")
    lo = b.cycle(done[-1]) - b.cycle(first_9th) + 1
    assert lo <= latency <= b.cycle(done[-1]) - b.cycle(done[0]), f"latency {latency}"
    b.seen.update(done=[b.cycle(t) for t in done], latency=latency)
    b.save("inflight_limit")


@cocotb.test()
async def dropped_beat(dut: Any) -> None:
    """Fault: one beat of a sample missing. Reported: TLAST error and no output."""
    b = await Bench(dut).start()
    f = b.cfg["faults"]["dropped"]
    task = b.send(f["beats"], f["lasts"])
    await b.ap_start()
    try:
        await b.sink.wait_beats(1, b.timeout * b.period)
        b.seen["timed_out"] = False
    except TimeoutError as e:
        b.seen["timed_out"], b.seen["timeout"] = True, str(e)
    b.seen.update(taken=len(b.src.times), status_error=await b.status_error(),
                  control=await b.read("control"), tready=int(dut.s_axis_tready.value),
                  sent=task.done())
    await b.reset()                                 # recovery: the documented way out
    await _run_one(b, 0, b.lasts(b.B), len(b.sink.beats), "sample after reset")
    b.seen["recovered"] = not await b.status_error()
    b.save("dropped_beat")


@cocotb.test()
async def duplicated_beat(dut: Any) -> None:
    """Fault: one beat sent twice. Reported: TLAST error; the output is recorded."""
    b = await Bench(dut).start()
    f = b.cfg["faults"]["duplicated"]
    task = b.send(f["beats"], f["lasts"])
    await b.ap_start()
    K1 = len(b.cfg["samples"][0]["outputs"])
    try:
        await b.sink.wait_beats(K1, b.timeout * b.period)
    except TimeoutError as e:
        b.seen["timeout"] = str(e)
    await b.idle(b.timeout)                         # the surplus beat stays refused
    b.seen.update(taken=len(b.src.times), status_error=await b.status_error(),
                  outputs=[x.data for x in b.sink.beats], lasts=[x.last for x in b.sink.beats],
                  source_waiting=not task.done())
    b.src.withdraw()
    await task
    b.save("duplicated_beat")
