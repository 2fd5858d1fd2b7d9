"""CPU-only checks of the verdicts `sdmf sim` and `make test` give: no tolerance on cycles,
no success without tests."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sdmf.sim.network import LayerCycles, NetworkMismatchError, NetworkReport, check

ROOT = Path(__file__).resolve().parents[1]


def _report(measured: list[int], overlapped: int, interval: int,
            done_model: tuple[int, int] = (5000, 6000)) -> NetworkReport:
    """Two samples; the overlapped pass's dones measured at 5000 and 5000 + interval."""
    layer = LayerCycles("sps.0", "conv_lif", analytic=1000, measured=measured,
                        overlapped=overlapped)
    return NetworkReport(project="p", samples=[], layers=[layer], compared_taps=[],
                         internal_taps=[], removed_taps=[], design_interval=1000,
                         pipelined_interval=interval, interval_checked=True,
                         build_seconds=0.0, sim_seconds=0.0, built=False,
                         done_measured=[5000, 5000 + interval], done_model=list(done_model))


def test_exact_cycles_pass():
    rep = _report([1000, 1000], 2000, 1000)
    assert rep.cycles_ok and rep.interval_ok
    check(rep)


@pytest.mark.parametrize(("measured", "overlapped", "interval", "what"), [
    ([1000, 1001], 2001, 1000, "busy cycles"),     # one sample off by one cycle
    ([1000, 1000], 2001, 1000, "busy cycles"),     # the overlapped pass off by one
    ([1000, 1000], 2000, 1001, "interval"),        # the pipelined interval off by one
])
def test_one_cycle_off_fails(measured, overlapped, interval, what):
    rep = _report(measured, overlapped, interval)
    assert not rep.cycles_ok
    with pytest.raises(NetworkMismatchError, match=what):
        check(rep)


def test_every_done_cycle_must_equal_the_recurrence():
    """The same interval but the first done one cycle later than the token recurrence's:
    the overlapped pass is not what the model says."""
    rep = _report([1000, 1000], 2000, 1000, done_model=(5001, 6001))
    assert rep.model_interval == 1000 and not rep.interval_ok
    with pytest.raises(NetworkMismatchError, match="token recurrence"):
        check(rep)


@pytest.mark.parametrize(("interval", "ok"), [(800, True), (801, False), (1000, False)])
def test_data_dependent_interval_follows_the_recurrence(interval, ok):
    """With a data-dependent layer the interval is the recurrence's (here 800), not the
    analytic worst case (1000)."""
    layer = LayerCycles("sps.0", "conv_lif", analytic=1000, measured=[700, 800],
                        overlapped=1500, expected=[700, 800])
    rep = NetworkReport(project="p", samples=[], layers=[layer], compared_taps=[],
                        internal_taps=[], removed_taps=[], design_interval=1000,
                        pipelined_interval=interval, interval_checked=True,
                        build_seconds=0.0, sim_seconds=0.0, built=False,
                        data_dependent=["sps.0"], done_measured=[5000, 5000 + interval],
                        done_model=[5000, 5800])
    assert rep.interval_ok is ok and rep.cycles_ok is ok


def test_throughput_is_the_overlapped_pass_mean_and_slowest():
    """img/s from the measured done cycles: mean = (last − first) / (S − 1), slowest = the
    largest done-to-done gap, at the design's clock; none without a clock or a pass."""
    rep = _report([1000, 1000], 2000, 1000)
    rep.done_measured = [5000, 5600, 6600]               # intervals 600 and 1000
    assert rep.throughput is None                         # no clock known
    rep.clock_mhz = 250.0
    tp = rep.throughput
    assert rep.overlapped_intervals == [600, 1000]
    assert tp["mean_interval"] == 800 and tp["slowest_interval"] == 1000
    assert tp["mean_img_s"] == 250e6 / 800 and tp["slowest_img_s"] == 250e6 / 1000
    assert rep.to_dict()["throughput"] == tp
    rep.done_measured = [5000]
    assert rep.throughput is None


def test_unchecked_interval_is_said_so():
    rep = _report([1000], 1000, 5000)
    rep.interval_checked = False          # one sample, or random gaps
    assert rep.interval_ok and rep.cycles_ok


def test_make_test_fails_when_no_test_is_collected():
    """`make test` must not turn pytest's exit 5 (nothing collected) into success."""
    with tempfile.NamedTemporaryFile(dir=ROOT / "build" if (ROOT / "build").is_dir() else None,
                                     suffix=".stamp") as stamp:
        os.utime(stamp.name)               # newer than pyproject.toml: no venv bootstrap
        proc = subprocess.run(
            ["make", "-s", "test", f"STAMP={stamp.name}", f"PY={sys.executable}",
             "PYTEST_ARGS=-q -p no:cacheprovider -k no_such_test_anywhere tests/test_params.py"],
            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "no tests ran" in proc.stdout or "deselected" in proc.stdout, proc.stdout
    assert proc.returncode != 0, proc.stdout + proc.stderr
