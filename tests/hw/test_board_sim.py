"""The board host (sdmf.host, unchanged) on the simulated board: the tiny network's
``sdmf_ip`` (tests/ip_bench.py, the build the control tests share) in Verilator, driven
through the PYNQ models of sdmf.sim.board.

One simulator run plays every session below in order (sdmf.sim.board_run); each test
checks its part against the golden model, the project's cycle model or the expected
error. Sessions: batches of 1, 3 and 9 samples (more than the 8 in flight) back to back
on one Accelerator, then bad frames on it; an interface of another IR; a DMA whose MM2S
never sends (then a run on the broken accelerator); one whose S2MM never receives; an
overlay without the DMA; a fresh overlay after the faults.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from tiny_models import make_ir

from sdmf.device import DeviceInterface
from sdmf.quant.golden import GoldenModel

pytestmark = pytest.mark.rtl
BATCHES = (1, 3, 9)


@pytest.fixture(scope="module")
def board(ip_bench, tmp_path_factory):
    from sdmf.sim.board_run import Session, run_board

    work = tmp_path_factory.mktemp("board")
    x = ip_bench.x
    iface = DeviceInterface.read(ip_bench.project / "interface.json")
    other = dataclasses.replace(iface, ir_hash=make_ir(img=16, seed=1).content_hash())
    other_path = other.write(work / "other_interface.json")
    bad = [x[:2, :, :, :8], x[:1].astype(np.float32) + 0.5, -x[:1]]
    sessions = [Session(runs=[x[:n] for n in BATCHES] + bad + [x[3:5]]),
                Session(runs=[x[:1]], interface=other_path),
                Session(runs=[x[:2], x[:1]], faults=("mm2s_stall",)),
                Session(runs=[x[:2]], faults=("s2mm_stall",)),
                Session(runs=[x[:1]], omit=("dma",)),
                Session(runs=[x[:2]])]
    report = run_board(ip_bench.project, sessions, work)
    g = GoldenModel(ip_bench.ir).run(torch.from_numpy(x))
    return report, g.logits.numpy(), g.pred.numpy(), iface, other


def _result(step):
    assert "error" not in step, step["error"]
    return step["result"]


def _exact(res, logits, pred, rows):
    return (np.array_equal(np.array(res["logits"], dtype=np.int64), logits[rows])
            and np.array_equal(np.array(res["classes"]), pred[rows]))


def test_batches_of_one_three_and_nine_are_bit_exact_back_to_back(board, ip_bench):
    report, logits, pred, _, _ = board
    s = report.sessions[0]
    assert s["open_error"] is None
    for i, n in enumerate(BATCHES):
        res = _result(s["runs"][i])
        assert res["samples"] == n
        assert _exact(res, logits, pred, slice(0, n)), f"batch of {n} differs from golden"
    assert _exact(_result(s["runs"][-1]), logits, pred, slice(3, 5))   # after bad frames


def test_the_interval_register_equals_the_cycle_model(board, ip_bench):
    report, *_ = board
    model = ip_bench.report["info"]["cycles"]["interval"]
    runs = report.sessions[0]["runs"]
    assert _result(runs[0])["interval_cycles"] is None                # one sample
    for i in (1, 2):                                                  # 3 and 9 samples
        res = _result(runs[i])
        assert res["interval_cycles"] == model
        assert res["img_per_s_counters"] == pytest.approx(res["clock_mhz"] * 1e6 / model)


def test_bad_frames_are_refused_by_the_host(board):
    report, *_ = board
    errors = [step["error"] for step in report.sessions[0]["runs"][3:6]]
    assert [e["type"] for e in errors] == ["InputError"] * 3
    assert "got (2, 2, 2, 8, 16)" in errors[0]["message"]
    assert "integer counts, found " in errors[1]["message"] and "(float32)" in errors[1]["message"]
    assert "non-negative counts" in errors[2]["message"]


def test_an_interface_of_another_ir_is_refused_naming_both_hashes(board):
    report, _, _, iface, other = board
    err = report.sessions[1]["open_error"]
    assert err["type"] == "DeviceMismatchError"
    assert iface.ir_hash[:8] in err["message"] and other.ir_hash in err["message"]


def test_a_dma_that_never_completes_times_out_naming_the_channel(board):
    report, *_ = board
    stalled_send, broken = report.sessions[2]["runs"]
    assert stalled_send["error"]["type"] == "DmaTimeoutError"
    assert "sendchannel (MM2S)" in stalled_send["error"]["message"]
    assert stalled_send["sim_s"] >= report.timeout_s                  # waited, then gave up
    assert "unknown state" in broken["error"]["message"]
    (stalled_recv,) = report.sessions[3]["runs"]
    assert stalled_recv["error"]["type"] == "DmaTimeoutError"
    assert "recvchannel (S2MM)" in stalled_recv["error"]["message"]


def test_an_overlay_without_the_dma_and_a_fresh_overlay_after_the_faults(board):
    report, logits, pred, _, _ = board
    err = report.sessions[4]["open_error"]
    assert err["type"] == "HostError" and "no unique AXI DMA" in err["message"]
    assert _exact(_result(report.sessions[5]["runs"][0]), logits, pred, slice(0, 2))


def test_sdmf_run_on_the_simulated_board(ip_bench, capsys):
    """The command line: the project as generated, random counts, JSON out."""
    import json

    from sdmf.cli.main import main

    rc = main(["run", "--board", "sim", "--project", str(ip_bench.project), "--random",
               "--samples", "3", "--seed", "4", "--json", "--no-progress"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["samples"] == out["matches_golden"] == 3 and out["accuracy"] is None
    assert out["interval_cycles"] == out["model_interval_cycles"] \
        == ip_bench.report["info"]["cycles"]["interval"]
    assert out["img_per_s"] == pytest.approx(out["clock_mhz"] * 1e6 / out["interval_cycles"])
    assert set(out["timing"]) == {"pack_s", "transfer_s", "unpack_s", "wall_s"}
