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


def _report(measured: list[int], overlapped: int, interval: int) -> NetworkReport:
    layer = LayerCycles("sps.0", "conv_lif", analytic=1000, measured=measured,
                        overlapped=overlapped)
    return NetworkReport(project="p", samples=[], layers=[layer], compared_taps=[],
                         internal_taps=[], removed_taps=[], analytic_interval=1000,
                         pipelined_interval=interval, interval_checked=True,
                         build_seconds=0.0, sim_seconds=0.0, built=False)


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
