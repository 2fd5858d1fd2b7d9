"""cocotb test of the whole generated network (``sdmf_tb_network`` around ``sdmf_top``).

Driven by :mod:`sdmf.sim.network`, which writes the inputs and a JSON config
(``SDMF_NETWORK_CONFIG``: samples, expected register values, counter addresses,
gaps, timeout, overlap) and compares the outputs afterwards. Per sample this test
only: pulses ``load`` (the SV source streams the preloaded beats), writes
``ap_start`` over AXI4-Lite, waits for the done interrupt, checks and clears
``ap_done``/ISR and reads the cycle counter, status and busy counters — no Python
runs per clock during an inference. With ``overlap`` every sample runs again, each
started at its predecessor's ap_ready interrupt, and the pipelined interval
register (0x30) is read at the end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout

from sdmf.sim.axi import AxiLiteMaster

REG_CTRL, REG_GIE, REG_IER, REG_ISR = 0x00, 0x04, 0x08, 0x0C
REG_ID, REG_HASH, REG_CYC_LO, REG_CYC_HI = 0x10, 0x14, 0x18, 0x1C
REG_CFG0, REG_CFG1, REG_STATUS = 0x20, 0x24, 0x28
REG_INTERVAL_LO, REG_INTERVAL_HI = 0x30, 0x34


@cocotb.test()
async def network(dut: Any) -> None:
    cfg = json.loads(Path(os.environ["SDMF_NETWORK_CONFIG"]).read_text())
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst_n.value = 0
    dut.load.value = 0
    dut.sample.value = 0
    dut.in_gap.value = cfg.get("in_gap", 0)
    dut.out_gap.value = cfg.get("out_gap", 0)
    axi = AxiLiteMaster(dut)
    await ClockCycles(dut.clk, 5)
    dut.rst_n.value = 1
    await ClockCycles(dut.clk, 2)

    regs = {name: await axi.read(addr) for name, addr in
            (("id", REG_ID), ("hash", REG_HASH), ("config0", REG_CFG0), ("config1", REG_CFG1),
             ("ctrl", REG_CTRL))}
    for name, want in cfg["expect_regs"].items():
        assert regs[name] == want, f"register {name}: read {regs[name]:#x}, expected {want:#x}"
    assert regs["ctrl"] & 0x4, f"ap_idle must be set after reset (ctrl={regs['ctrl']:#x})"

    await axi.write(REG_GIE, 1)
    await axi.write(REG_IER, 1)
    results = []
    for i in range(cfg["samples"]):
        dut.sample.value = i
        dut.load.value = 1
        await RisingEdge(dut.clk)
        dut.load.value = 0
        await axi.write(REG_CTRL, 1)                          # ap_start
        await with_timeout(RisingEdge(dut.interrupt), cfg["timeout_cycles"] * 10, "ns")
        isr = await axi.read(REG_ISR)
        assert isr & 1, f"sample {i}: ISR bit 0 not set ({isr:#x})"
        await axi.write(REG_ISR, isr)                         # toggle-on-write clears
        ctrl = await axi.read(REG_CTRL)
        assert ctrl & 0x2, f"sample {i}: ap_done not set after the interrupt ({ctrl:#x})"
        again = await axi.read(REG_CTRL)
        assert not again & 0x2, f"sample {i}: ap_done not cleared on read ({again:#x})"
        assert again & 0x4, f"sample {i}: ap_idle not set after done ({again:#x})"
        assert not int(dut.interrupt.value), f"sample {i}: interrupt still high after ISR clear"
        cycles = await axi.read(REG_CYC_LO) | (await axi.read(REG_CYC_HI) << 32)
        status = await axi.read(REG_STATUS)
        assert status == 0, f"sample {i}: status register {status:#x} (bit 0: TLAST error)"
        counters = {}
        for name, addr in cfg.get("counters", {}).items():
            counters[name] = await axi.read(addr) | (await axi.read(addr + 4) << 32)
        results.append({"sample": i, "cycles": cycles, "status": status,
                        "counters": counters})
    pipelined = await _overlapped(dut, axi, cfg) if cfg.get("overlap") else None
    await ClockCycles(dut.clk, 4)
    out = Path(cfg["results"])
    out.write_text(json.dumps({"registers": regs, "samples": results,
                               "pipelined": pipelined}, indent=1))


async def _overlapped(dut: Any, axi: AxiLiteMaster, cfg: dict[str, Any]) -> dict[str, Any]:
    """Run every sample again, each started at ap_ready (its predecessor's input done)."""
    n = cfg["samples"]
    first = int(dut.frames_out.value)
    await axi.write(REG_IER, 2)                                # interrupt on ap_ready
    for i in range(n):
        dut.sample.value = i
        dut.load.value = 1
        await RisingEdge(dut.clk)
        dut.load.value = 0
        await axi.write(REG_CTRL, 1)
        await with_timeout(RisingEdge(dut.interrupt), cfg["timeout_cycles"] * 10, "ns")
        isr = await axi.read(REG_ISR)
        assert isr & 2, f"overlapped sample {i}: ISR bit 1 (ap_ready) not set ({isr:#x})"
        await axi.write(REG_ISR, isr)
    waited = 0
    while int(dut.frames_out.value) < first + n:
        await ClockCycles(dut.clk, 1000)
        waited += 1000
        assert waited < cfg["timeout_cycles"] * n, "overlapped run: outputs missing"
    interval = await axi.read(REG_INTERVAL_LO) | (await axi.read(REG_INTERVAL_HI) << 32)
    latency = await axi.read(REG_CYC_LO) | (await axi.read(REG_CYC_HI) << 32)
    ctrl = await axi.read(REG_CTRL)
    assert ctrl & 0x4, f"overlapped run: ap_idle not set at the end ({ctrl:#x})"
    return {"interval": interval, "last_latency": latency}
