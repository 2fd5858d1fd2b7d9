"""cocotb test of the whole generated network (``sdmf_tb_network`` around ``sdmf_top``).

Driven by :mod:`sdmf.sim.network`, which writes the inputs and a JSON config
(``SDMF_NETWORK_CONFIG``: samples, the project's ``interface.json`` — expected register
values, counter addresses —, gaps, timeout, overlap) and compares the outputs
afterwards. Register offsets and bits come from :mod:`sdmf.device.regmap`. Per sample this test
only: pulses ``load`` (the SV source streams the preloaded beats), writes
``ap_start`` over AXI4-Lite, waits for the done interrupt, checks and clears
``ap_done``/ISR and reads the cycle counter, status and busy counters — no Python
runs per clock during an inference. With ``overlap`` every sample runs again, each
started at its predecessor's ap_ready interrupt, and the pipelined interval
register is read at the end. A design with runtime-loaded parameters (config
``params``) first gets its load image (docs/params.md): the expected CRC-32, ``load`` = 1,
the image streamed (``pload``), ``load`` = 0; the parameter register and checksum are
recorded. If they are not valid, the test checks that ``ap_start`` is refused (cleared,
``refused`` set, nothing started) and ends without running a sample.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout

from sdmf.device import DeviceInterface
from sdmf.device.regmap import (
    CONFIG0,
    CONFIG1,
    CONTROL,
    COUNTER_HI,
    GIE,
    ID,
    IER,
    INTERVAL_HI,
    INTERVAL_LO,
    IR_HASH,
    ISR,
    LATENCY_HI,
    LATENCY_LO,
    PARAM,
    PARAM_CRC,
    STATUS,
)
from sdmf.sim.axi import AxiLiteMaster

# identification registers by the names DeviceInterface.registers uses
IDENT = {"id": ID, "hash": IR_HASH, "config0": CONFIG0, "config1": CONFIG1}


@cocotb.test()
async def network(dut: Any) -> None:
    cfg = json.loads(Path(os.environ["SDMF_NETWORK_CONFIG"]).read_text())
    iface = DeviceInterface.read(cfg["interface"])
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst_n.value = 0
    dut.load.value = 0
    dut.pload.value = 0
    dut.plen.value = (cfg.get("params") or {}).get("beats", 1)
    dut.sample.value = 0
    dut.in_gap.value = cfg.get("in_gap", 0)
    dut.out_gap.value = cfg.get("out_gap", 0)
    axi = AxiLiteMaster(dut)
    await ClockCycles(dut.clk, 5)
    dut.rst_n.value = 1
    await ClockCycles(dut.clk, 2)

    regs = {name: await axi.read(reg.offset) for name, reg in IDENT.items()}
    bad = iface.register_mismatches(regs)
    assert not bad, "; ".join(bad)
    regs["ctrl"] = await axi.read(CONTROL.offset)
    assert regs["ctrl"] & CONTROL.bit("ap_idle"), \
        f"ap_idle must be set after reset (ctrl={regs['ctrl']:#x})"

    params = await _load_params(dut, axi, cfg) if cfg.get("params") else None
    if params is not None and not params["status"] & PARAM.bit("valid"):
        params["refusal"] = await _refused_start(dut, axi)
        Path(cfg["results"]).write_text(json.dumps({"registers": regs, "samples": [],
                                                    "pipelined": None, "params": params}))
        return
    await axi.write(GIE.offset, GIE.bit("enable"))
    await axi.write(IER.offset, IER.bit("done"))
    results = []
    for i in range(cfg["samples"]):
        dut.sample.value = i
        dut.load.value = 1
        await RisingEdge(dut.clk)
        dut.load.value = 0
        await axi.write(CONTROL.offset, CONTROL.bit("ap_start"))
        await with_timeout(RisingEdge(dut.interrupt), cfg["timeout_cycles"] * 10, "ns")
        isr = await axi.read(ISR.offset)
        assert isr & ISR.bit("done"), f"sample {i}: ISR done bit not set ({isr:#x})"
        await axi.write(ISR.offset, isr)                      # toggle-on-write clears
        ctrl = await axi.read(CONTROL.offset)
        assert ctrl & CONTROL.bit("ap_done"), \
            f"sample {i}: ap_done not set after the interrupt ({ctrl:#x})"
        again = await axi.read(CONTROL.offset)
        assert not again & CONTROL.bit("ap_done"), \
            f"sample {i}: ap_done not cleared on read ({again:#x})"
        assert again & CONTROL.bit("ap_idle"), \
            f"sample {i}: ap_idle not set after done ({again:#x})"
        assert not int(dut.interrupt.value), f"sample {i}: interrupt still high after ISR clear"
        cycles = await axi.read64(LATENCY_LO.offset, LATENCY_HI.offset)
        status = await axi.read(STATUS.offset)
        assert status == 0, f"sample {i}: status register {status:#x} (TLAST error: " \
            f"{STATUS.bit('tlast_error'):#x})"
        counters = {}
        for name, addr in iface.counters.items():
            counters[name] = await axi.read64(addr, addr + COUNTER_HI)
        results.append({"sample": i, "cycles": cycles, "status": status,
                        "counters": counters})
    pipelined = await _overlapped(dut, axi, cfg) if cfg.get("overlap") else None
    await ClockCycles(dut.clk, 4)
    out = Path(cfg["results"])
    out.write_text(json.dumps({"registers": regs, "samples": results,
                               "pipelined": pipelined, "params": params}, indent=1))


async def _load_params(dut: Any, axi: AxiLiteMaster, cfg: dict[str, Any]) -> dict[str, Any]:
    """Send the load image; returns the parameter register and checksum read after it."""
    await axi.write(PARAM_CRC.offset, cfg["params"]["expect"])
    await axi.write(PARAM.offset, PARAM.bit("load"))
    dut.pload.value = 1
    await RisingEdge(dut.clk)
    dut.pload.value = 0
    await RisingEdge(dut.clk)
    waited = 0
    while int(dut.src_active.value):
        await ClockCycles(dut.clk, 16)
        waited += 16
        assert waited < cfg["timeout_cycles"], "parameter load: the image was not taken"
    await axi.write(PARAM.offset, 0)
    return {"status": await axi.read(PARAM.offset), "crc": await axi.read(PARAM_CRC.offset)}


async def _refused_start(dut: Any, axi: AxiLiteMaster) -> dict[str, int]:
    """Write ap_start on invalid parameters: what the control and parameter registers
    read afterwards, and how many results came out."""
    await axi.write(CONTROL.offset, CONTROL.bit("ap_start"))
    await ClockCycles(dut.clk, 200)
    return {"control": await axi.read(CONTROL.offset), "param": await axi.read(PARAM.offset),
            "frames_out": int(dut.frames_out.value)}


async def _overlapped(dut: Any, axi: AxiLiteMaster, cfg: dict[str, Any]) -> dict[str, Any]:
    """Run every sample again, each started at ap_ready (its predecessor's input done)."""
    n = cfg["samples"]
    first = int(dut.frames_out.value)
    await axi.write(IER.offset, IER.bit("ready"))             # interrupt on ap_ready
    for i in range(n):
        dut.sample.value = i
        dut.load.value = 1
        await RisingEdge(dut.clk)
        dut.load.value = 0
        await axi.write(CONTROL.offset, CONTROL.bit("ap_start"))
        await with_timeout(RisingEdge(dut.interrupt), cfg["timeout_cycles"] * 10, "ns")
        isr = await axi.read(ISR.offset)
        assert isr & ISR.bit("ready"), f"overlapped sample {i}: ISR ready bit not set ({isr:#x})"
        await axi.write(ISR.offset, isr)
    waited = 0
    while int(dut.frames_out.value) < first + n:
        await ClockCycles(dut.clk, 1000)
        waited += 1000
        assert waited < cfg["timeout_cycles"] * n, "overlapped run: outputs missing"
    interval = await axi.read64(INTERVAL_LO.offset, INTERVAL_HI.offset)
    latency = await axi.read64(LATENCY_LO.offset, LATENCY_HI.offset)
    ctrl = await axi.read(CONTROL.offset)
    assert ctrl & CONTROL.bit("ap_idle"), f"overlapped run: ap_idle not set at the end ({ctrl:#x})"
    return {"interval": interval, "last_latency": latency}
