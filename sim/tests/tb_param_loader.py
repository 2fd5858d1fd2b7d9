"""cocotb testbench of ``sdmf_param_loader`` (docs/params.md).

The case file (``$SDMF_TB_CASE``, JSON) lists ``loads``: each a list of beats sent while
``load`` is 1 (with random idle cycles, probability ``idle``), the ``expect`` CRC written
before the load ends. After each load the testbench records every write the loader
made (``[id, addr, data]``), and the ``crc``, ``valid`` and ``error`` outputs; the result
(``$SDMF_TB_RESULT``) holds one record per load. Checks live in the pytest test.
"""

from __future__ import annotations

import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge

TIMEOUT = 100_000      # cycles per load


async def _watch_writes(dut, out: list) -> None:
    while True:
        await RisingEdge(dut.clk)
        await ReadOnly()
        if int(dut.prm_we.value):
            out.append([int(dut.prm_id.value), int(dut.prm_addr.value),
                        int(dut.prm_data.value)])


async def _send(dut, beats: list[int], idle: float, rng: random.Random) -> None:
    """Offer the beats with random gaps; ``s_ready`` depends on registered state only."""
    sent, cycles = 0, 0
    while sent < len(beats):
        cycles += 1
        if cycles > TIMEOUT:
            raise TimeoutError(f"loader took {sent} of {len(beats)} beats in {TIMEOUT} cycles")
        await FallingEdge(dut.clk)
        valid = rng.random() >= idle
        dut.s_valid.value = int(valid)
        dut.s_data.value = beats[sent] if valid else 0
        ready = int(dut.s_ready.value)
        await RisingEdge(dut.clk)
        if valid and ready:
            sent += 1
    await FallingEdge(dut.clk)
    dut.s_valid.value = 0


@cocotb.test()
async def run_case(dut):
    with open(os.environ["SDMF_TB_CASE"]) as f:
        case = json.load(f)
    rng = random.Random(int(case.get("seed", 0)))
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.load.value = 0
    dut.s_valid.value = 0
    dut.s_data.value = 0
    dut.expect_crc.value = 0
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 3)
    dut.rst_n.value = 1
    writes: list = []
    cocotb.start_soon(_watch_writes(dut, writes))
    results = []
    for load in case["loads"]:
        writes.clear()
        dut.load.value = 1
        dut.expect_crc.value = int(load["expect"])
        await _send(dut, [int(b) for b in load["beats"]], float(case.get("idle", 0.0)), rng)
        await ClockCycles(dut.clk, 2)
        dut.load.value = 0
        await ClockCycles(dut.clk, 3)
        await ReadOnly()
        results.append({"writes": list(writes), "crc": int(dut.crc.value),
                        "valid": int(dut.valid.value), "error": int(dut.error.value)})
        await RisingEdge(dut.clk)
    with open(os.environ["SDMF_TB_RESULT"], "w") as f:
        json.dump({"loads": results}, f)
