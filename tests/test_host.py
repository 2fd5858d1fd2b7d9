"""Unit tests of the board host (sdmf.host) with a scripted platform.

The scripted platform below only plays the *protocol* (registers hold fixed values, a
DMA channel finishes after a set number of polls, results are whatever the test
scripts): it checks the host's discovery, checks, input validation, packing order,
decoding, timeouts and error handling. Bit-exactness against the RTL is tested on the
simulated board (tests/hw/test_board_sim.py), never here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sdmf.device import DeviceInterface, output_beats, pack_input, regmap
from sdmf.device.blockdesign import DMA_INSTANCE, IP_INSTANCE
from sdmf.host import (
    DEFAULT_CLOCK_MHZ,
    Accelerator,
    DeviceMismatchError,
    DmaTimeoutError,
    HostError,
    InputError,
    PynqPlatform,
    RunResult,
)
from sdmf.host.accelerator import _chunks, clock_of, find_instance

ROOT = Path(__file__).resolve().parents[1]
IFACE = DeviceInterface(ir_hash="ab" * 32, input_shape=(2, 2, 4, 4), in_bits=8,
                        weight_bits=8, classes=3, counter_layers=("a", "b"), model="tiny",
                        interval_cycles=100, max_in_flight=8)
OTHER_HASH = "cd" * 32
IP_DICT = {"ps7_0": {"type": "xilinx.com:ip:processing_system7:5.5"},
           IP_INSTANCE: {"type": "xilinx.com:module_ref:sdmf_ip:1.0"},
           DMA_INSTANCE: {"type": "xilinx.com:ip:axi_dma:7.1"}}


class FakeBuffer(np.ndarray):
    physical_address = 0

    def flush(self) -> None:
        pass

    def invalidate(self) -> None:
        pass


class FakeChannel:
    """Finishes a transfer on its ``polls``-th poll (None: never); each poll costs 1 ms."""

    def __init__(self, board: FakeBoard, name: str, polls: int | None) -> None:
        self.board, self.name, self.polls = board, name, polls
        self.pending = None
        self.left: int | None = None
        self.sent: list[list[int]] = []
        self.err: str | None = None
        self.moved: int | None = None

    def transfer(self, buf) -> None:
        assert self.pending is None, "transfer on a busy channel"
        self.pending, self.left = buf, self.polls
        self.sent.append([int(v) for v in np.asarray(buf).reshape(-1)])

    @property
    def idle(self) -> bool:
        self.board.t += 1e-3
        if self.pending is None:
            return True
        if self.left is None:
            return False
        if self.left > 0:
            self.left -= 1
            if self.left == 0:
                self.board.finished(self)
        return self.left == 0

    def error(self) -> str | None:
        return self.err

    def complete(self) -> int:
        buf, self.pending = self.pending, None
        return buf.nbytes if self.moved is None else self.moved


class FakeBoard:
    """Registers (fixed values), two scripted channels, a clock, the results to return."""

    def __init__(self, iface: DeviceInterface = IFACE, results=None, send_polls=2,
                 recv_polls=3, ip_dict=None) -> None:
        self.t = 0.0
        self.ip_dict = IP_DICT if ip_dict is None else ip_dict
        self.results = list(results or [])
        self.regs = {regmap.ID.offset: iface.registers["id"],
                     regmap.IR_HASH.offset: iface.registers["hash"],
                     regmap.CONFIG0.offset: iface.registers["config0"],
                     regmap.CONFIG1.offset: iface.registers["config1"],
                     regmap.NUM_COUNTERS.offset: len(iface.counter_layers),
                     regmap.CONTROL.offset: regmap.CONTROL.bit("ap_idle"),
                     regmap.LATENCY_LO.offset: 1234, regmap.INTERVAL_LO.offset: 100}
        self.writes: list[tuple[int, int]] = []
        self.send = FakeChannel(self, "sendchannel (MM2S)", send_polls)
        self.recv = FakeChannel(self, "recvchannel (S2MM)", recv_polls)

    def finished(self, ch: FakeChannel) -> None:
        if ch is self.recv:
            logits, cls = self.results.pop(0)
            ch.pending[:] = output_beats(logits, cls)

    # the platform, overlay, MMIO and DMA protocols
    name = "fake"

    def overlay(self, bitfile):
        return self

    def mmio(self, name):
        assert name.endswith(IP_INSTANCE)
        return self

    def dma(self, name):
        return self

    @property
    def sendchannel(self):
        return self.send

    @property
    def recvchannel(self):
        return self.recv

    def read(self, offset: int) -> int:
        return self.regs.get(offset, 0)

    def write(self, offset: int, value: int) -> None:
        self.writes.append((offset, value))

    def allocate(self, shape, dtype):
        return np.zeros(shape, dtype).view(FakeBuffer)

    def now(self) -> float:
        return self.t


def _x(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 4, (n, *IFACE.input_shape))


def _results(n: int) -> list[tuple[list[int], int]]:
    return [([i, -(2**40) - i, 7], i % 3) for i in range(n)]


def _open(board: FakeBoard, **kw) -> Accelerator:
    return Accelerator("x/sdmf.bit", IFACE, platform=board, **kw)


# ---------------------------------------------------------------------- the run loop


def test_a_batch_is_packed_per_sample_started_and_decoded_in_order():
    board = FakeBoard(results=_results(5))
    seen = []
    with _open(board, clock_mhz=200) as acc:
        res = acc.run(_x(5), progress=seen.append)
    assert isinstance(res, RunResult) and res.samples == 5 and seen == [1, 2, 3, 4, 5]
    assert res.logits.dtype == np.int64 and res.classes.dtype == np.int64
    assert res.logits.tolist() == [r[0] for r in _results(5)]
    assert res.classes.tolist() == [r[1] for r in _results(5)]
    assert board.send.sent == [pack_input(s, IFACE.in_bits) for s in _x(5)]
    start = (regmap.CONTROL.offset, regmap.CONTROL.bit("ap_start"))
    assert board.writes == [start] * 5                      # one ap_start per sample
    assert (res.latency_cycles, res.interval_cycles) == (1234, 100)
    assert res.img_per_s_counters == pytest.approx(200e6 / 100)
    assert res.latency_s_counters == pytest.approx(1234 / 200e6)
    assert set(res.timing) == {"pack_s", "transfer_s", "unpack_s", "wall_s"}
    assert res.img_per_s_wall == pytest.approx(5 / res.timing["wall_s"])
    assert json.loads(json.dumps(res.to_dict()))["classes"] == res.classes.tolist()


def test_one_sample_has_no_interval_and_runs_back_to_back():
    board = FakeBoard(results=_results(3))
    acc = _open(board)
    one = acc.run(_x(1)[0])                                  # [T, C, H, W]
    assert one.samples == 1 and one.interval_cycles is None
    assert one.img_per_s_counters == pytest.approx(DEFAULT_CLOCK_MHZ * 1e6 / 1234)
    two = acc.run(_x(2))
    assert two.classes.tolist() == [1, 2] and two.interval_cycles == 100


def test_batches_larger_than_the_buffer_run_in_balanced_chunks(monkeypatch):
    monkeypatch.setattr("sdmf.host.accelerator.BUFFER_BYTES", 8 * 3 * 8)   # 3 samples
    board = FakeBoard(results=_results(7))
    res = _open(board).run(_x(7))
    assert res.classes.tolist() == [r[1] for r in _results(7)]
    assert _chunks(7, 3) == [(0, 2), (2, 5), (5, 7)] and _chunks(2, 5) == [(0, 2)]


def test_counts_above_the_input_width_saturate_and_are_counted():
    board = FakeBoard(results=_results(1))
    x = _x(1)
    x[0, 0, 0, 0, :3] = [255, 256, 10**6]
    res = _open(board).run(x)
    assert res.saturated == 2
    assert board.send.sent[0] == pack_input(np.minimum(x[0], 255), 8)


# ---------------------------------------------------------------------- inputs


@pytest.mark.parametrize(("frames", "match"), [
    (np.zeros((2, 2, 2, 4, 5)), r"shape \[N, 2, 2, 4, 4\].*got \(2, 2, 2, 4, 5\)"),
    (np.zeros((4, 4)), r"got \(4, 4\)"),
    (np.zeros((0, 2, 2, 4, 4)), "no sample"),
    (np.zeros((1, 2, 2, 4, 4), complex), "dtype complex128"),
    (np.full((1, 2, 2, 4, 4), "1"), "dtype <U1"),
    (-np.ones((1, 2, 2, 4, 4), np.int8), r"non-negative counts, found -1 at index \(0, 0"),
    (np.full((1, 2, 2, 4, 4), 0.5), "integer counts, found 0.5"),
    (np.full((1, 2, 2, 4, 4), np.nan), "integer counts, found nan"),
    ([[1, 2], [3]], "array"),
])
def test_bad_frames_are_refused_before_the_device_is_touched(frames, match):
    board = FakeBoard(results=_results(1))
    acc = _open(board)
    with pytest.raises(InputError, match=match):
        acc.run(frames)
    assert board.send.sent == [] and board.writes == []
    assert acc.run(_x(1)).samples == 1                       # still usable


def test_bool_and_integral_float_frames_are_counts():
    board = FakeBoard(results=_results(2))
    acc = _open(board)
    acc.run(_x(1) > 1)
    acc.run(_x(1).astype(np.float32))
    assert board.send.sent == [pack_input((_x(1) > 1)[0].astype(int), 8),
                               pack_input(_x(1)[0], 8)]


# ---------------------------------------------------------------------- faults


@pytest.mark.parametrize(("send", "recv", "channel"), [(None, 3, "sendchannel (MM2S)"),
                                                       (2, None, "recvchannel (S2MM)")])
def test_a_dma_that_never_completes_times_out_naming_the_channel(send, recv, channel):
    board = FakeBoard(results=_results(2), send_polls=send, recv_polls=recv)
    acc = _open(board, timeout_s=0.05)
    with pytest.raises(DmaTimeoutError, match=rf"DMA {re.escape(channel)}.*within 0.05 s"):
        acc.run(_x(2))
    assert board.t < 1.0                                     # gave up at the deadline
    with pytest.raises(HostError, match=r"unknown state.*load the overlay again"):
        acc.run(_x(1))


def test_tlast_error_dma_error_and_short_results_are_reported():
    board = FakeBoard(results=_results(1))
    board.regs[regmap.STATUS.offset] = regmap.STATUS.bit("tlast_error")
    with pytest.raises(HostError, match=r"TLAST error.*exactly 8 beats"):
        _open(board).run(_x(1))
    board = FakeBoard(results=_results(1))
    board.recv.err = "the AXI DMA reports an error"
    with pytest.raises(HostError, match=r"recvchannel \(S2MM\): the AXI DMA reports an error"):
        _open(board).run(_x(1))
    board = FakeBoard(results=_results(1))
    board.recv.moved = 16
    with pytest.raises(HostError, match=r"16 bytes, expected 32.*TLAST early"):
        _open(board).run(_x(1))
    board = FakeBoard(results=[([1, 2, 3], 0)])
    board.finished = lambda ch: ch.pending.__setitem__(slice(None), [1, 2, 3, 7]) \
        if ch is board.recv else None
    with pytest.raises(HostError, match="class beat 0x7"):
        _open(board).run(_x(1))


def test_a_busy_device_is_refused():
    board = FakeBoard(results=_results(1))
    acc = _open(board)
    board.regs[regmap.CONTROL.offset] = 0
    with pytest.raises(HostError, match="not idle before the batch"):
        acc.run(_x(1))


# ---------------------------------------------------------------------- opening


def test_a_bitstream_of_another_ir_is_refused_naming_both_hashes():
    other = DeviceInterface(**{**_fields(IFACE), "ir_hash": OTHER_HASH})
    board = FakeBoard(iface=other)
    with pytest.raises(DeviceMismatchError, match=r"generated from IR cdcdcdcd….*describes "
                                                  rf"IR abababab… \({IFACE.ir_hash}\)"):
        _open(board)


def _loaded(ir_hash: str, design_hash: str) -> tuple[DeviceInterface, FakeBoard]:
    """A design with runtime-loaded parameters (already valid on the board) and the board
    whose registers are those of ``design_hash``'s bitstream."""
    from sdmf.device.params import ParamMemory, ParamSet

    ps = ParamSet((ParamMemory(0, "a", "weight", 2, 8),), 0x1234ABCD)
    iface = DeviceInterface(**{**_fields(IFACE), "ir_hash": ir_hash, "params": ps,
                               "design_hash": design_hash})
    board = FakeBoard(iface=iface)
    board.regs[regmap.PARAM.offset] = (regmap.PARAM.bit("loadable")
                                       | regmap.PARAM.bit("valid"))
    board.regs[regmap.PARAM_CRC.offset] = ps.crc32
    return iface, board


def test_a_loaded_bitstream_serves_another_ir_of_its_design():
    design = "12" * 32
    _, board = _loaded(IFACE.ir_hash, design)
    other_ir, _ = _loaded(OTHER_HASH, design)          # same design, other weights
    acc = Accelerator("x/sdmf.bit", other_ir, platform=board)
    assert acc.interface.ir_hash == OTHER_HASH and acc.params_loaded()


def test_a_loaded_bitstream_of_another_design_is_refused_naming_both_hashes():
    _, board = _loaded(IFACE.ir_hash, "34" * 32)
    mine, _ = _loaded(IFACE.ir_hash, "12" * 32)         # even with the same IR
    with pytest.raises(DeviceMismatchError, match=r"is design 34343434…, but the given "
                       r"interface describes design 12121212… \(1212.*--params-for"):
        Accelerator("x/sdmf.bit", mine, platform=board)
    # a loaded bitstream whose hash register held the IR hash is not this design either
    _, board = _loaded(IFACE.ir_hash, "12" * 32)
    board.regs[regmap.IR_HASH.offset] = regmap.hash_word(IFACE.ir_hash)
    with pytest.raises(DeviceMismatchError, match=r"is design abababab…"):
        Accelerator("x/sdmf.bit", mine, platform=board)


def test_id_version_configuration_and_counters_are_checked():
    board = FakeBoard()
    board.regs[regmap.ID.offset] = 0x12345678
    with pytest.raises(DeviceMismatchError, match="not an SDMFormer accelerator"):
        _open(board)
    board.regs[regmap.ID.offset] = regmap.ID.pack({"magic": regmap.ID_MAGIC, "version": 9})
    with pytest.raises(DeviceMismatchError, match="interface version 9"):
        _open(board)
    board = FakeBoard(iface=DeviceInterface(**{**_fields(IFACE), "classes": 4}))
    with pytest.raises(DeviceMismatchError, match="register config0"):
        _open(board)
    board = FakeBoard()
    board.regs[regmap.NUM_COUNTERS.offset] = 0
    with pytest.raises(DeviceMismatchError, match=r"0 busy counters.*lists 2"):
        _open(board)


def test_an_overlay_without_the_ip_or_the_dma_is_refused_saying_what_it_holds():
    for drop, what in ((IP_INSTANCE, "SDMFormer accelerator"), (DMA_INSTANCE, "AXI DMA")):
        ip_dict = {k: v for k, v in IP_DICT.items() if k != drop}
        with pytest.raises(HostError, match=rf"no unique {what}.*holds ps7_0 "
                                            r"\(xilinx.com:ip:processing_system7"):
            _open(FakeBoard(ip_dict=ip_dict))
    hier = {"hier/" + k: v for k, v in IP_DICT.items()}
    assert find_instance(hier, IP_INSTANCE, "sdmf_ip", "ip", Path("b")) == "hier/sdmf"
    typed = {"accel": IP_DICT[IP_INSTANCE], "dma_0": IP_DICT[DMA_INSTANCE]}
    assert find_instance(typed, DMA_INSTANCE, "axi_dma", "dma", Path("b")) == "dma_0"
    two = {"a": IP_DICT[DMA_INSTANCE], "b": IP_DICT[DMA_INSTANCE]}
    with pytest.raises(HostError, match=r"several candidates \(a, b\)"):
        find_instance(two, DMA_INSTANCE, "axi_dma", "AXI DMA", Path("b"))


def test_the_interface_defaults_to_the_file_beside_the_bitstream(tmp_path):
    IFACE.write(tmp_path / "interface.json")
    acc = Accelerator(tmp_path / "sdmf.bit", platform=FakeBoard())
    assert acc.interface == IFACE and acc.interface_source == str(tmp_path / "interface.json")
    with pytest.raises(HostError, match=r"device interface: .*nowhere.*cannot read"):
        Accelerator(tmp_path / "nowhere" / "sdmf.bit", platform=FakeBoard())


def test_clock_and_timeout():
    assert clock_of(IFACE) == DEFAULT_CLOCK_MHZ
    assert clock_of(IFACE, 250) == 250.0
    with pytest.raises(HostError, match="timeout_s must be > 0"):
        _open(FakeBoard(), timeout_s=0)


def test_the_real_platform_without_pynq_says_what_is_needed(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynq", None)           # import pynq fails
    with pytest.raises(HostError, match="pynq is needed: run on a PYNQ board image"):
        PynqPlatform()
    with pytest.raises(HostError, match="pynq is needed"):
        Accelerator("x/sdmf.bit", IFACE)


def test_no_host_module_imports_pynq_at_import_time():
    code = """
import importlib, json, pkgutil, sys
class Spy:
    hits = []
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "pynq":
            Spy.hits.append(name)
        return None
sys.meta_path.insert(0, Spy())
import sdmf.host
mods = ["sdmf.host", *(m.name for m in pkgutil.walk_packages(sdmf.host.__path__, "sdmf.host."))]
for m in mods:
    importlib.import_module(m)
print(json.dumps({"mods": mods, "pynq": Spy.hits}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"sdmf.host.accelerator", "sdmf.host.platform", "sdmf.host.errors"} <= set(out["mods"])
    assert out["pynq"] == []


def _fields(iface: DeviceInterface) -> dict:
    return {"ir_hash": iface.ir_hash, "input_shape": iface.input_shape,
            "in_bits": iface.in_bits, "weight_bits": iface.weight_bits,
            "classes": iface.classes, "counter_layers": iface.counter_layers,
            "model": iface.model, "interval_cycles": iface.interval_cycles,
            "max_in_flight": iface.max_in_flight}
