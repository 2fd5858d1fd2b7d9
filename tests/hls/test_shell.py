"""The HLS IP's register map: the generated ``sdmf_ip`` of an HLS project (its control shell
around the core) in Verilator, driven by the control testbench of the RTL IP
(sim/tests/tb_control.py, through tests/ip_bench.py).

No Vitis HLS here, so the core (``sdmf_core``, in Vivado the instance of the exported
``sdmf_top``) is tests/hls/hls_core_model.sv: the ports
csynth gives the generated top and a checksum instead of the network. What is under test
is the shell, i.e. what the host sees: the ID, IR hash, configuration words and parameter
register (ROMs only: ``valid``) read at the offsets of docs/hardware.md right after reset
(before any inference), control, interrupts, status (TLAST), the latency and interval
counters and the in-flight limit. The expected
results are the model's checksum, computed here independently.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from ip_bench import IMG, SAMPLES, IpBench, ir_config_values, rom_param_word
from regmap_doc import config_value, parse
from tiny_models import counts, make_ir

from sdmf.device import DeviceInterface
from sdmf.device.blockdesign import DEFAULT_CLOCK_MHZ
from sdmf.device.stream import pack_input
from sdmf.hw.flow import generate

MODEL = Path(__file__).resolve().parent / "hls_core_model.sv"
STEP = 0x9E37_79B9_7F4A_7C15
MASK64 = (1 << 64) - 1
BUILD_ARGS = ["--output-split", "0"]


def checksum_outputs(beats: list[int], k1: int) -> list[int]:
    """The model's result: beat k < k1 − 1 = (sum of the input beats + k·STEP) mod 2^64,
    the class beat = that sum mod (k1 − 1)."""
    total = sum(beats) & MASK64
    return [(total + k * STEP) & MASK64 for k in range(k1 - 1)] + [total % (k1 - 1)]


def core_model(folder: Path, beats: int, k1: int) -> Path:
    """The model with the design's beats per sample and result beats as defaults (the
    Verilator top is sdmf_ip, whose parameters cannot reach the core)."""
    text = MODEL.read_text()
    for name, value in (("BEATS", beats), ("K1", k1)):
        text, n = re.subn(rf"parameter int {name} = \d+", f"parameter int {name} = {value}", text)
        assert n == 1, name
    out = folder / "sdmf_core_model.sv"
    out.write_text(text)
    return out


class ShellBench(IpBench):
    """An :class:`IpBench` of an HLS project: no busy counters."""

    def expect(self) -> dict:
        values = ir_config_values(self.ir)
        return {"ir_hash": int(self.ir.content_hash()[:self.regs.hash_digits], 16),
                "config": [[off, config_value(fields, values)] for off, fields in
                           self.regs.config],
                "counters": 0, "param": rom_param_word(self.regs), "counter_checks": []}


@pytest.fixture(scope="module")
def shell_bench(tmp_path_factory) -> ShellBench:
    from sdmf.sim import runner

    runner.verilator_root()                 # a missing tool fails, never skips
    root = tmp_path_factory.mktemp("hls_shell")
    ir = make_ir(img=IMG)
    project = root / "project"
    report = generate(ir, project, backend="hls")
    iface = DeviceInterface.read(project / "interface.json")
    x = np.concatenate([counts(1, IMG, seed=40 + i).numpy() for i in range(SAMPLES)])
    in_bits = int(ir.ops[0].attrs["bits"])
    outputs = [checksum_outputs(pack_input(s, in_bits), iface.output_beats) for s in x]
    assert len({tuple(o) for o in outputs}) == SAMPLES, "distinct results (order is checked)"
    build_dir, _ = runner.build(ip_sources(project, report, root), "sdmf_ip",
                                build_args=BUILD_ARGS)
    return ShellBench(ir, project, {**report, "memories": []}, build_dir, parse(), x, outputs)


def ip_sources(project: Path, report: dict, folder: Path) -> list[Path]:
    """The HLS project's rtl/ files with the stand-in core before the wrapper."""
    iface = DeviceInterface.read(project / "interface.json")
    rtl = [project / s for s in report["sources"] if s.startswith("rtl/")]
    model = core_model(folder, iface.beats_per_sample, iface.output_beats)
    return [*rtl[:-1], model, rtl[-1]]


def test_the_hls_project_carries_the_shell(tmp_path: Path) -> None:
    """The core is data-driven with two AXI4-Streams and no AXI4-Lite; the project's IP
    top is the shell's wrapper, its control block has ROM parameters (no loader, PARAM
    reads valid); interface.json: no busy counters, the shell's in-flight limit, no
    analytic interval, the project's PL clock (its block design sets it); the shell
    instantiates the core under the name of its Vivado IP instance."""
    ir = make_ir(img=IMG)
    report = generate(ir, tmp_path / "p", backend="hls")
    top = (tmp_path / "p" / "hls" / "sdmf_top.cpp").read_text()
    assert "mode=ap_ctrl_none port=return" in top and "s_axilite" not in top
    assert top.count("mode=axis port=") == 2
    assert report["ip_top"] == "sdmf_ip"
    assert [s for s in report["sources"] if s.startswith("rtl/")] == [
        "rtl/sdmf_regmap_pkg.sv", "rtl/sdmf_axilite_ctrl.sv", "rtl/sdmf_shell.sv",
        "rtl/sdmf_ip.v"]
    shell = (tmp_path / "p" / "rtl" / "sdmf_shell.sv").read_text()
    assert "sdmf_core u_core" in shell and "sdmf_axilite_ctrl" in shell
    iface = DeviceInterface.read(tmp_path / "p" / "interface.json")
    regs = iface.registers
    block = re.search(r"sdmf_axilite_ctrl #\((.*?)\) u_control", shell, re.S)
    assert block is not None
    params = {m[1]: int(m[2], 16) for m in re.finditer(r"\.(\w+)\(32'h([0-9a-fA-F]+)\)",
                                                       block[1])}
    assert params == {"IR_HASH": regs["hash"], "CONFIG0": regs["config0"],
                      "CONFIG1": regs["config1"]}
    assert ".NUM_COUNTERS(0)" in block[1] and "LOADABLE" not in block[1]   # ROM parameters
    assert ".params_valid(1'b1)" in shell and "sdmf_param_loader" not in shell
    assert iface.counter_layers == () and iface.interval_cycles is None
    assert iface.max_in_flight == 8 and iface.params is None
    assert iface.clock_mhz == DEFAULT_CLOCK_MHZ == 250.0


@pytest.mark.rtl
@pytest.mark.parametrize("case", ["registers_after_reset", "start_done_and_clear_on_read",
                                  "interrupt_gating", "tlast_errors", "inflight_limit"])
def test_shell_registers_and_control(shell_bench: ShellBench, case: str,
                                     tmp_path: Path) -> None:
    """The RTL IP's control tests on the HLS IP: ID/hash/configuration from reset at the
    documented offsets, read-only; start/done, clear-on-read, ISR toggle; latency within
    the measured cycles and interval = the done-time difference; TLAST status sticky
    until reset; at most 8 inferences in flight, results in order."""
    shell_bench.run(case, tmp_path)


@pytest.mark.rtl
def test_the_host_drives_the_hls_ip_unchanged(shell_bench: ShellBench, tmp_path: Path) -> None:
    """sdmf.host's Accelerator on the simulated board with the HLS IP: it opens (ID, hash,
    configuration and counter count checked before any inference), runs batches of 1 and
    3, decodes the stand-in's results and reads latency and interval; an interface of
    another IR is refused at open as a mismatched pair."""
    import dataclasses

    from sdmf.sim.board_run import Session, run_board

    x = shell_bench.x
    iface = DeviceInterface.read(shell_bench.project / "interface.json")
    other = dataclasses.replace(iface, ir_hash=make_ir(img=IMG, seed=1).content_hash())
    other_path = other.write(tmp_path / "other_interface.json")
    sessions = [Session(runs=[x[:1], x[:3]]), Session(runs=[x[:1]], interface=other_path)]
    report = run_board(shell_bench.project, sessions, tmp_path,
                       sources=ip_sources(shell_bench.project, shell_bench.report, tmp_path))
    s = report.sessions[0]
    assert s["open_error"] is None
    K = iface.classes
    for step, n in zip(s["runs"], (1, 3)):
        assert "error" not in step, step["error"]
        res = step["result"]
        want = shell_bench.outputs[:n]
        logits = [[v - (1 << 64) if v >> 63 else v for v in o[:K]] for o in want]
        assert res["logits"] == logits and res["classes"] == [o[K] for o in want]
        assert isinstance(res["latency_cycles"], int) and res["latency_cycles"] > 0
    assert s["runs"][0]["result"]["interval_cycles"] is None          # one sample
    assert s["runs"][1]["result"]["interval_cycles"] > 0
    err = report.sessions[1]["open_error"]
    assert err is not None and "mismatched bitstream/model pair" in err["message"]
