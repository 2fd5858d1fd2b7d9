"""The adversarial suite (sdmf.sim.adversarial.CASES) simulated bit-exact in Verilator.

Each case is a hand-built network that stresses one corner — pruning (no q·k channel
in a head, a head without v, every v pruned, a conv with no input, a branch with no
output), shapes (one token, a sample smaller than one input beat, non-square images,
6 to 16 tokens), widths (1- and 16-bit inputs, 2- and 16-bit weights, 0 and 8
fractional bits), extreme values and saturated or sparse inputs, and planner knobs
(row-parallel convs, pinned parallelism, a budget, designs bound by the k/v convs or
by the attention). Every case must be bit-exact on every tap and the logits, every
layer's busy cycles must equal the model per sample, and the pipelined interval must
equal the model's. The deeper layers must fire, so a silent network cannot pass.
"""

from __future__ import annotations

import pytest

from sdmf.hw.flow import build_graph
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR
from sdmf.sim.adversarial import CASES, active_taps, build_case, firing_rates

IDS = [s.name for s, _ in CASES]
# the costliest RTL cases (50-400 s each on CI's 2 cores; together ~6 min of the suite's
# wall time), run by `make test-slow` and, with 24 inputs each, by `make regress`; the
# other cases cover the same units, pruning corners and planner knobs in `make test`
SLOW_RTL = ("depth2_each_T5_sparse", "narrow_in1_w2_f0", "extreme_values",
            "saturated_inputs", "nonsquare_T3_6_tokens")
RTL_CASES = [pytest.param(spec, silent, id=spec.name,
                          marks=[pytest.mark.slow] if spec.name in SLOW_RTL else [])
             for spec, silent in CASES]
assert set(SLOW_RTL) <= set(IDS), f"unknown slow cases {set(SLOW_RTL) - set(IDS)}"


def _active_case(spec, silent) -> tuple[IntegerIR, object]:
    """The case's IR and inputs, after checking that its deeper layers fire."""
    ir, x = build_case(spec)
    golden = GoldenModel(ir).run(x, taps=True)
    rates = firing_rates(ir, golden.taps)
    for tap in active_taps(spec, silent):
        assert 0.005 <= rates[tap] <= 0.995, f"{spec.name}: {tap} fires at {rates[tap]:.3f}"
    assert len({tuple(v) for v in golden.logits.tolist()}) > 1, "the inputs must matter"
    return ir, x


@pytest.mark.parametrize(("spec", "silent"), CASES, ids=IDS)
def test_case_is_active_and_generates(spec, silent, tmp_path):
    """CPU only: the IR survives a save/load round trip, its layers fire, and the
    generator plans it under the case's planner options."""
    ir, _ = _active_case(spec, silent)
    again = IntegerIR.load(ir.save(tmp_path / "case.sdmfir"))
    assert again.content_hash() == ir.content_hash()
    graph = build_graph(again, **spec.plan)
    assert graph.info["cycles"]["interval"] > 0


@pytest.mark.rtl
@pytest.mark.parametrize(("spec", "silent"), RTL_CASES)
def test_case_is_bit_and_cycle_exact(spec, silent, tmp_path):
    from sdmf.sim.network import check, simulate

    ir, x = _active_case(spec, silent)
    rep = simulate(ir, x, work_dir=tmp_path, **spec.plan)
    check(rep)          # taps, logits, class; busy cycles per sample; interval
    assert rep.bit_exact and rep.cycles_ok and rep.interval_checked
    assert rep.pipelined_interval == rep.design_interval


EV_CASES = ("sample_below_one_beat", "pruning_corners", "wide_in16_w16_f8")


@pytest.mark.rtl
@pytest.mark.parametrize(("spec", "silent"), [c for c in CASES if c[0].name in EV_CASES],
                         ids=list(EV_CASES))
def test_case_event_driven_interval_equals_the_recurrence(spec, silent, tmp_path):
    """Every conv event-driven: bit-exact, busy cycles per sample, and every done cycle of
    the overlapped pass (so the interval) equal to the token recurrence on the samples'
    golden tensors (sub-beat samples, pruned convs with CIN = 0, inputs wider than a beat)."""
    from sdmf.sim.network import check, simulate

    ir, x = _active_case(spec, silent)
    rep = simulate(ir, x, work_dir=tmp_path, event_driven=True, **spec.plan)
    check(rep)
    assert rep.bit_exact and rep.cycles_ok and rep.interval_checked and rep.data_dependent
    assert rep.done_measured == rep.done_model and len(rep.done_model) == len(x)
    assert rep.pipelined_interval == rep.model_interval
