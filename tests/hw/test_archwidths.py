"""``--widths architecture`` (sdmf.hw.archwidths): widths every weight set of one
architecture fits, bit-exact by construction.

Oracles: the golden model's own integers on extreme weight sets (every weight at the top
or the bottom of the declared 8-bit range, the largest input counts), recorded through
the program's width-check hook, must fit the widths the architecture plan gives; the
first convolution's worst case is written out by hand (weight × fan-in × input count)
and must be reached exactly, so the width is tight, not just large.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_ir import C, H, T, W, parts, tiny_ir

from sdmf.hw.archwidths import architecture_bounds
from sdmf.hw.flow import build_graph
from sdmf.quant.ir import IntegerIR
from sdmf.quant.program import execute

WMAX, WMIN = 127, -128                     # the tiny IR declares 8-bit weights
INPUT_MAX = 255                            # its input op has 8-bit counts


def extreme(w: int) -> IntegerIR:
    """The tiny IR with every convolution and head weight ``w``."""
    p = parts()
    for key, a in p["params"].items():
        if key.endswith(".weight"):
            p["params"][key] = np.full(a.shape, w, dtype=np.int64)
    return IntegerIR(**p)


def observed(ir: IntegerIR, x: np.ndarray) -> dict[str, tuple[int, int]]:
    """(min, max) of every tensor the golden program checks (op outputs, LIF currents)."""
    seen: dict[str, tuple[int, int]] = {}

    def record(name: str, value: torch.Tensor) -> None:
        if value.numel():
            lo, hi = int(value.min()), int(value.max())
            old = seen.get(name, (lo, hi))
            seen[name] = (min(old[0], lo), max(old[1], hi))

    params = {k: torch.from_numpy(v.astype(np.int64)) for k, v in ir.params.items()}
    execute(ir.ops, params, torch.as_tensor(x, dtype=torch.int64), check=record, keep=False)
    return seen


def fits_signed(lo: int, hi: int, bits: int) -> bool:
    return -(1 << (bits - 1)) <= lo and hi < 1 << (bits - 1)


def test_extreme_weight_sets_reach_but_never_exceed_the_architecture_widths():
    graph = build_graph(tiny_ir(), widths="architecture")
    rng = np.random.default_rng(0)
    inputs = np.concatenate([np.full((1, T, C, H, W), INPUT_MAX),
                             rng.integers(0, INPUT_MAX + 1, (6, T, C, H, W))])
    fan_in = C * 9                                  # sps.0: 3×3 over C input channels
    for w in (WMAX, WMIN):
        ir = extreme(w)
        seen = observed(ir, inputs)
        other = build_graph(ir, widths="architecture")
        for lay in graph.layers.values():
            assert lay.widths == other.layers[lay.name].widths, lay.name   # same RTL
            if lay.kind == "conv_lif":
                conv, lif = lay.ops
                assert fits_signed(*seen[conv], lay.widths["ACC_BITS"]), (w, conv)
                assert fits_signed(*seen[f"{lif}.current"], lay.widths["CUR_BITS"]), (w, lif)
            elif lay.kind == "head":
                assert fits_signed(*seen["head"], lay.widths["LOGIT_BITS"]), w
        # the first convolution reaches its worst case (centre positions, all counts 255)
        reach = w * fan_in * INPUT_MAX
        lo, hi = seen["sps.0.conv"]
        assert (hi if w > 0 else lo) == reach
        acc = graph.layers["sps.0"].widths["ACC_BITS"]
        assert fits_signed(reach, reach, acc) and not fits_signed(reach, reach, acc - 1)


def test_the_weight_plan_would_overflow_on_the_extreme_set():
    """Negative control: the default (weight-derived) widths of the tiny IR do not hold
    the extreme weight set, which is why another weight set needs the architecture's."""
    default = build_graph(tiny_ir()).layers["sps.0"].widths["ACC_BITS"]
    seen = observed(extreme(WMAX), np.full((1, T, C, H, W), INPUT_MAX))
    assert not fits_signed(*seen["sps.0.conv"], default)


def test_biases_and_thresholds_beyond_the_architecture_range_are_refused():
    ranges = architecture_bounds(tiny_ir()).ranges
    assert ranges["sps.0.conv.weight"] == (WMIN, WMAX)
    lo, hi = ranges["head.bias"]
    assert lo == -hi and hi > 0
    p = parts()
    p["params"]["head.bias"] = np.array([hi, 0, lo])
    build_graph(IntegerIR(**p), widths="architecture")          # at the bounds: accepted
    p["params"]["head.bias"] = np.array([hi + 1, 0, 0])
    with pytest.raises(ValueError, match=r"IR field params\.head\.bias: holds 0\.\.\d+, "
                                         r"beyond -\d+\.\.\d+"):
        build_graph(IntegerIR(**p), widths="architecture")
    p = parts()
    assert ranges["sps.0.lif.theta"][0] == 1
    thi = ranges["sps.0.lif.theta"][1]
    p["params"]["sps.0.lif.theta"] = np.full(4, thi + 1)
    with pytest.raises(ValueError, match=r"params\.sps\.0\.lif\.theta"):
        build_graph(IntegerIR(**p), widths="architecture")


def test_a_conv_without_inputs_keeps_a_bias_range():
    """fc2 of the pruned model has CIN = 0 (its LIF integrates the bias alone): its bias
    range is one full-scale weight at the current's scale, ±128·2^F, not 0."""
    from tiny_models import make_ir

    ir = make_ir(seed=3, off={"blocks.0.attn.proj": slice(None),
                              "blocks.0.mlp.fc1": slice(None)})
    fc2 = build_graph(ir, widths="architecture").layers["blocks.0.mlp.fc2"]
    assert fc2.attrs["CIN"] == 0
    lif = next(op for op in ir.ops if op.name == "blocks.0.mlp.fc2.lif")
    bound = 128 << lif.attrs["frac_bits"]
    assert fc2.ranges["bias"] == (-bound, bound)
    assert fits_signed(-bound, bound, fc2.widths["CUR_BITS"])


def test_architecture_widths_need_the_declared_weight_width():
    p = parts()
    del p["meta"]["quant_spec"]["weight_bits"]
    with pytest.raises(ValueError, match=r"meta\.quant_spec\.weight_bits"):
        build_graph(IntegerIR(**p), widths="architecture")
