"""The adversarial networks of sdmf.sim.adversarial (their activity is asserted by
tests/hw/test_adversarial.py) through the HLS backend: generated, compiled, C-simulated,
every tap, logit and class bit-exact. The default suite runs the cases that stress the
kernels' corners and widths; all of CASES passed when this was written (docs/hls.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdmf.hw.flow import generate
from sdmf.sim.adversarial import CASES, build_case
from sdmf.sim.csim import csim_project

SUBSET = ("one_token_T1", "sample_below_one_beat", "pruning_corners", "all_v_pruned",
          "narrow_in1_w2_f0", "wide_in16_w16_f8", "extreme_values")
SPECS = [spec for spec, _ in CASES if spec.name in SUBSET]


def test_subset_names_exist() -> None:
    assert sorted(s.name for s in SPECS) == sorted(SUBSET)


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_case_is_bit_exact_in_c_simulation(spec, tmp_path: Path) -> None:
    ir, x = build_case(spec)
    generate(ir, tmp_path / "project", backend="hls", trace=True)
    rep = csim_project(tmp_path / "project", x, work_dir=tmp_path / "run")
    bad = [(s.index, s.mismatched_taps, s.logits_equal) for s in rep.samples if not s.bit_exact]
    assert rep.bit_exact and not bad, bad
    assert len(rep.samples) == len(x)
