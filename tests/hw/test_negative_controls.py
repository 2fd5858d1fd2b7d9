"""Negative controls: injected faults that the bit-exact comparisons must catch.

A verification that cannot fail proves nothing. Each test injects one fault and shows
that the comparison reports it:

* a flipped weight bit and a threshold off by one, written into a generated ROM image
  (``.mem``) after generation — ``$readmemh`` reads the images at simulation start, so
  the Verilator build of the whole-network testbench is reused (it is the build of
  tests/hw/test_generator.py's whole-network test: same IR, same options). The fault is
  chosen so that the golden model of the correspondingly modified IR provably differs;
  ``sdmf.sim.network`` must then report exactly the taps where it differs — the RTL
  computes what the faulty ROM says, bit for bit — and its ``check`` must fail naming
  the faulted layer's tap;
* a dropped and a duplicated input beat on the control bench's ``sdmf_ip``
  (tests/ip_bench.py): the TLAST error bit and a timeout are reported (no hang), and a
  duplicated beat's output differs from the golden one.

Fault locations follow the ROM layouts of docs/hardware.md ("sdmf_conv_lif").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from tiny_models import counts, make_ir

from sdmf.device.stream import unpack_input
from sdmf.hw.flow import generate
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR

pytestmark = pytest.mark.rtl

WEIGHT_LAYER = "sps.1"        # a 3×3 conv with PO = 8 lanes per ROM word
THETA_LAYERS = ("sps.0", "sps.1", "sps.2")


@pytest.fixture(scope="module")
def net(tmp_path_factory) -> dict[str, Any]:
    """The IR of the whole-network test, one sample, its golden taps, the project report."""
    from sdmf.sim import runner

    runner.verilator_root()
    ir = make_ir()
    report = generate(ir, tmp_path_factory.mktemp("plan") / "p", trace=True, counters=True)
    x = counts(1, seed=7)
    return {"ir": ir, "report": report, "x": x,
            "golden": GoldenModel(ir).run(x, taps=True)}


# ------------------------------------------------------------------ ROM images (hand layout)


def _layer(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(lay for lay in report["layers"] if lay["name"] == name)


def _mem(report: dict[str, Any], layer: str, role: str) -> str:
    return next(m["file"] for m in _layer(report, layer)["memories"] if m["name"] == role)


def _edit_lane(path: Path, line: int, lo: int, bits: int, fn: Callable[[int], int]) -> None:
    """Replace lane ``[lo +: bits]`` of word ``line`` of a $readmemh image by ``fn(lane)``."""
    lines = path.read_text().split()
    word = int(lines[line], 16)
    lane = (word >> lo) & ((1 << bits) - 1)
    new = (fn(lane) & ((1 << bits) - 1))
    assert new != lane
    lines[line] = f"{word ^ ((lane ^ new) << lo):0{len(lines[line])}x}"
    path.write_text("".join(f"{v}\n" for v in lines))


def _weight_site(lay: dict[str, Any], c: int, f: int) -> tuple[int, int]:
    """(line, lane bit) of weight W[c][f] (fan-in f = (ky·K + kx)·CIN + i): word og·J + j,
    lane (ky', o, u) at ((ky'·PO + o)·PI + u)·W_BITS, f = ky'·(K·K·CIN/PK) + j·PI + u."""
    a, p = lay["attrs"], lay["parallel"]
    po, pi, pk = p["PO"], p["PI"], p.get("PK", 1)
    row_fan = a["K"] * a["K"] * a["CIN"] // pk
    J = row_fan // pi
    ky, rem = divmod(f, row_fan)
    j, u = divmod(rem, pi)
    og, o = divmod(c, po)
    return og * J + j, ((ky * po + o) * pi + u) * lay["widths"]["W_BITS"]


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >> (bits - 1) else v


# ------------------------------------------------------------------ observable faults


def _modified(ir: IntegerIR, key: str, index: tuple[int, ...], value: int) -> IntegerIR:
    params = {k: v.astype(np.int64) for k, v in ir.params.items()}
    params[key][index] = value
    return IntegerIR(ir.ops, params, ir.input_shape, ir.meta)     # bounds recomputed


def _differing_taps(net: dict[str, Any], faulty: IntegerIR) -> list[str]:
    g = GoldenModel(faulty).run(net["x"], taps=True)
    return sorted(t for t in net["report"]["trace"]["taps"]
                  if not torch.equal(g.taps[t], net["golden"].taps[t]))


def _fits(ir: IntegerIR, layer: str, widths: dict[str, int]) -> bool:
    """The faulty IR's accumulator and current still fit the generated widths."""
    for tensor, w in ((f"{layer}.conv", widths["ACC_BITS"]),
                      (f"{layer}.lif.current", widths["CUR_BITS"])):
        spec = ir.tensors[tensor]
        if spec.lo < -(1 << (w - 1)) or spec.hi >= 1 << (w - 1):
            return False
    return True


def _weight_candidates(net: dict[str, Any]) -> Iterator[tuple[tuple[int, ...], int, int]]:
    """(IR index, fan-in f, bit) in a fixed order: high bits first (big changes)."""
    w = net["ir"].params[f"{WEIGHT_LAYER}.conv.weight"]      # [COUT, CIN, K, K]
    cout, cin, k, _ = w.shape
    for bit in (6, 5, 4):
        for c in range(cout):
            for ky, kx in ((1, 1), (0, 1), (1, 0)):
                for i in range(cin):
                    yield (c, i, ky, kx), (ky * k + kx) * cin + i, bit


def _weight_fault(net: dict[str, Any]) -> dict[str, Any]:
    lay = _layer(net["report"], WEIGHT_LAYER)
    wb = lay["widths"]["W_BITS"]
    key = f"{WEIGHT_LAYER}.conv.weight"
    for n, (index, f, bit) in enumerate(_weight_candidates(net)):
        assert n < 40, "no observable weight-bit fault among the first 40 candidates"
        value = _signed((int(net["ir"].params[key][index]) & ((1 << wb) - 1)) ^ (1 << bit), wb)
        faulty = _modified(net["ir"], key, index, value)
        if not _fits(faulty, WEIGHT_LAYER, lay["widths"]):
            continue
        taps = _differing_taps(net, faulty)
        if f"{WEIGHT_LAYER}.lif" in taps:
            line, lo = _weight_site(lay, index[0], f)
            return {"taps": taps, "faulty": faulty, "file": _mem(net["report"], WEIGHT_LAYER,
                                                                 "weight"),
                    "edit": (line, lo + bit, 1, lambda v: v ^ 1), "what": (index, bit)}
    raise AssertionError("unreachable")


def _theta_fault(net: dict[str, Any]) -> dict[str, Any]:
    """θ − 1 of one channel, where some membrane equals θ − 1 (a new spike)."""
    for layer in THETA_LAYERS:
        lay = _layer(net["report"], layer)
        cur, po = lay["widths"]["CUR_BITS"], lay["parallel"]["PO"]
        theta = net["ir"].params[f"{layer}.lif.theta"]
        for c in range(len(theta)):
            if int(theta[c]) < 2 or int(theta[c]) >= 1 << (cur - 1):   # clamped in the ROM
                continue
            faulty = _modified(net["ir"], f"{layer}.lif.theta", (c,), int(theta[c]) - 1)
            taps = _differing_taps(net, faulty)
            if f"{layer}.lif" in taps:
                og, o = divmod(c, po)
                return {"taps": taps, "faulty": faulty, "file": _mem(net["report"], layer,
                                                                     "theta"),
                        "edit": (og, o * cur, cur, lambda v: v - 1), "what": (layer, c),
                        "theta": int(theta[c])}
    raise AssertionError("no threshold whose decrement changes a spike of the sample")


def _simulate_with(net: dict[str, Any], fault: dict[str, Any], work: Path, monkeypatch):
    """sdmf.sim.network.simulate with the fault written into the generated ROM image."""
    from sdmf.sim import network

    real, edited = network.generate, []

    def generate_then_corrupt(*args: Any, **kw: Any) -> dict[str, Any]:
        report = real(*args, **kw)
        out = Path(kw.get("out", args[1] if len(args) > 1 else ""))
        _edit_lane(out / "mem" / fault["file"], *fault["edit"])
        edited.append(out)
        return report

    monkeypatch.setattr(network, "generate", generate_then_corrupt)
    rep = network.simulate(net["ir"], net["x"], work_dir=work, overlap=False)
    assert edited, "the fault was not injected"
    return rep


def _assert_caught(net: dict[str, Any], fault: dict[str, Any], rep: Any, tap: str) -> None:
    from sdmf.sim.network import NetworkMismatchError, check

    (s,) = rep.samples
    assert not s.bit_exact
    assert sorted(s.mismatched_taps) == fault["taps"], (s.mismatched_taps, fault["taps"])
    want = GoldenModel(fault["faulty"]).run(net["x"])
    assert s.rtl_logits == [int(v) for v in want.logits[0]]    # what the faulty ROM computes
    with pytest.raises(NetworkMismatchError, match=tap.replace(".", r"\.")):
        check(rep)


def test_flipped_weight_bit_is_caught_at_its_tap(net, tmp_path, monkeypatch):
    fault = _weight_fault(net)
    rep = _simulate_with(net, fault, tmp_path, monkeypatch)
    upstream = {"input", "sps.0.lif", "sps.0.pool"}
    assert not upstream & set(rep.samples[0].mismatched_taps)
    _assert_caught(net, fault, rep, f"{WEIGHT_LAYER}.lif")


def test_threshold_off_by_one_is_caught_at_its_tap(net, tmp_path, monkeypatch):
    fault = _theta_fault(net)
    rep = _simulate_with(net, fault, tmp_path, monkeypatch)
    _assert_caught(net, fault, rep, f"{fault['what'][0]}.lif")


# ------------------------------------------------------------------ input stream faults


def _beat_fault(ip_bench, kind: str, j: int) -> dict[str, Any]:
    beats = ip_bench.config()["samples"][0]["beats"]
    faulty = beats[:j] + beats[j + 1:] if kind == "dropped" else beats[:j + 1] + beats[j:]
    return {"beats": faulty, "lasts": [i == len(faulty) - 1 for i in range(len(faulty))]}


def test_dropped_beat_reports_tlast_error_and_times_out(ip_bench, tmp_path):
    B = ip_bench.beats
    seen = ip_bench.run("dropped_beat", tmp_path,
                        {"dropped": _beat_fault(ip_bench, "dropped", B // 2)})
    regs = ip_bench.regs
    assert seen["taken"] == B - 1 and seen["sent"]
    assert seen["status_error"], "the early TLAST was not flagged"
    assert seen["timed_out"] and "0 of 1 beats" in seen["timeout"]    # reported, no hang
    assert not seen["control"] >> regs.control_bits["ap_idle"] & 1     # still in flight
    assert seen["tready"] == 1                                         # waiting for a beat
    assert seen["recovered"], "reset must clear the error; the next sample is exact"


def test_duplicated_beat_reports_tlast_error_and_wrong_output(ip_bench, tmp_path):
    B = ip_bench.beats
    clean = ip_bench.outputs[0]
    for j in range(0, B, 16):                      # a beat whose duplication changes logits
        fault = _beat_fault(ip_bench, "duplicated", j)
        seen_by_ip = unpack_input(fault["beats"][:B], ip_bench.x[0].shape, ip_bench.in_bits)
        expected = ip_bench.golden_outputs(seen_by_ip[None])[0]
        if expected != clean:
            break
    else:
        raise AssertionError("no duplicated beat changes the golden output")
    seen = ip_bench.run("duplicated_beat", tmp_path, {"duplicated": fault})
    assert seen["taken"] == B and seen["source_waiting"]     # the surplus beat is refused
    assert seen["status_error"], "the missing TLAST (on beat B − 1) was not flagged"
    assert seen["outputs"] != clean                           # the comparison catches it
    assert seen["outputs"] == expected                        # …and it is the shifted input
