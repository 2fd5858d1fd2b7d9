"""cocotb tests of the control interface of the generated ``sdmf_ip`` (the Vivado wrapper).

The testbench drives the wrapper's ports directly: AXI4-Lite, the input stream and the
output stream (sim/axi.py, through :class:`sdmf.sim.tests.tb_ip.Bench`). It
knows nothing of the register map: the config file (``$SDMF_CONTROL_CONFIG``, JSON,
written by tests/hw) gives every offset, bit and expected value — parsed from
docs/hardware.md and computed from the IR and the golden model by the pytest side.

Config: ``period_ns``, ``regs`` (``offsets`` by role, ``control_bits``, ``ier_bits``,
``gie_bit``, ``tlast_error_bit``, ``id_value``, ``counter_base``, ``counter_stride``),
``expect`` (``ir_hash``, ``config`` [[offset, value]…], ``counters``, ``param`` (the
parameter register after reset), ``counter_checks`` [[index, value per inference]…]),
``beats_per_sample``, ``samples`` (``beats``, ``outputs``: the K + 1 expected 64-bit
output beats), ``timeout_cycles`` (one inference alone), ``faults`` (beat lists for the
fault-injection tests). Every test starts with a reset and writes what it observed to
``<test>.json`` in the working folder.
"""

from __future__ import annotations

from typing import Any

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from sdmf.sim.tests.tb_ip import Bench

# ---------------------------------------------------------------------- tests


@cocotb.test()
async def registers_after_reset(dut: Any) -> None:
    """ID, IR hash, configuration, counter count, parameter register; control state after
    reset; read-only."""
    b = await Bench(dut).start()
    e = b.cfg["expect"]
    assert await b.read("id") == b.regs["id_value"], "ID register"
    assert await b.read("ir_hash") == e["ir_hash"], "IR hash register"
    for off, want in e["config"]:
        got = await b.axi.read(off)
        assert got == want, f"configuration register {off:#x}: {got:#x}, expected {want:#x}"
    assert await b.read("counters") == e["counters"], "counter-count register"
    assert await b.read("param") == e["param"], "parameter register"
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
    interval = await b.read64("interval")
    assert interval == b.cycle(done0) - b.cycle(b.t_reset), \
        f"interval after the first done {interval}: not the cycles since reset"
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


@cocotb.test()
async def isr_event_during_isr_write(dut: Any) -> None:
    """An event in the cycle an ISR write lands is kept: the write toggles the old bits,
    the event sets its own. The input's last beat (ap_ready) is placed 0–3 cycles after
    the start of a write that acknowledges done, so one offset coincides."""
    b = await Bench(dut).start()
    ready, done = b.ier_bit("ready"), b.ier_bit("done")
    await b.write("ier", ready | done)
    beats = b.cfg["samples"][0]["beats"]
    K1 = len(b.cfg["samples"][0]["outputs"])
    for d in range(4):
        task = b.send(beats[:-1], [False] * (b.B - 1))
        await b.ap_start()
        await task
        await b.idle(50)                      # the unpacker drains: the last beat goes at once
        before = await b.read("isr")
        await RisingEdge(b.clk)
        write = cocotb.start_soon(b.write("isr", done))
        if d:
            await ClockCycles(b.clk, d)
        await b.src.send([beats[-1]], [True], b.timeout * b.period)
        await write
        isr = await b.read("isr")
        assert isr == (before ^ done) | ready, \
            f"last beat {d} cycles into an ISR write: ISR {isr:#x}, expected " \
            f"{(before ^ done) | ready:#x} (the ap_ready event was lost)"
        await b.write("isr", ready)
        await b.sink.wait_beats((d + 1) * K1, b.timeout * b.period)
        b.check_outputs(d * K1, [0], f"offset {d}")


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
    for i in range(n - 1):
        await b.ap_start()
        await b.wait_irq(f"ap_ready of sample {i}")
        await b.write("isr", b.ier_bit("ready"))
        assert len(b.src.times) == (i + 1) * b.B, f"sample {i}: {len(b.src.times)} beats"
    await b.ap_start()
    await b.idle(b.timeout)                         # ample time for a start to happen
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
    b.seen["done"] = [b.cycle(t) for t in done]
    first_9th = b.src.times[(n - 1) * b.B]
    assert first_9th > done[0], "the 9th sample started before the first done"
    interval = await b.read64("interval")
    assert interval == b.cycle(done[-1]) - b.cycle(done[-2]), \
        f"interval register {interval}, done times {b.seen}"
    b.seen["latency"] = latency = await b.read64("latency")
    lo = b.cycle(done[-1]) - b.cycle(first_9th) + 1
    assert lo <= latency <= b.cycle(done[-1]) - b.cycle(done[0]), f"latency {latency}"
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
