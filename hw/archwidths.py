"""Architecture widths (``--widths architecture``, docs/params.md): the IR intervals that
every weight set of one architecture stays within, so that the datapath widths derived
from them (accumulator, current, logit) are the same for every such weight set.

The architecture is the IR without its parameter values: the op program, the shapes
(kept channels), the declared weight width ``meta.quant_spec.weight_bits``, the attention
head tags and the fixed constants of the attention LIF. The intervals come from
:func:`sdmf.quant.bounds.analyze` itself, run on extreme parameter sets:

* weights: every weight at the top (``2^(b−1) − 1``), then every weight at the bottom
  (``−2^(b−1)``) of the declared range. The inputs of every weighted op are unsigned
  and do not depend on the weights (checked: LIF outputs are spikes), so the union of
  the two runs is the exact worst case of ``Σ w·x`` over all weights in range.
* biases of the convolution LIFs and of the head: within ``±R``, where ``R`` is the
  largest magnitude the layer's current (logits) reaches with the weights alone
  (``max |acc|·2^F``, the first pair of runs), at least ``2^(b−1)·2^F`` (one full-scale
  weight: a layer without inputs, ``CIN = 0``, still has a bias range; the head: its
  shift for ``F``); thresholds within ``1 … R``. The second pair of runs adds ``+R`` /
  ``−R``.

An IR whose biases or thresholds lie outside these ranges is refused (naming the
parameter), so the golden model's integers never leave the widths: bit-exact by
construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sdmf.quant.bounds import TensorSpec, analyze
from sdmf.quant.ir import IntegerIR
from sdmf.quant.opdefs import Op
from sdmf.quant.validate import WEIGHTED, declared_weight_bits

WIDTH_MODES = ("weights", "architecture")


@dataclass(frozen=True)
class ArchBounds:
    """Worst-case tensor intervals and parameter ranges of an IR's architecture."""

    specs: dict[str, TensorSpec]                  # like IntegerIR.tensors
    ranges: dict[str, tuple[int, int]]            # params key -> (lo, hi)


def _free_biases(ir: IntegerIR) -> dict[str, Op]:
    """The ops whose bias (and, for a LIF, threshold) a weight set chooses: the LIFs of
    convolutions and the head, by name."""
    types = {op.name: op.type for op in ir.ops}
    return {op.name: op for op in ir.ops
            if op.type == "head" or (op.type == "lif" and types[op.inputs[0]] != "attention")}


def _extreme(ir: IntegerIR, w: int, mags: dict[str, int], sign: int) -> dict[str, np.ndarray]:
    """``ir.params`` with every weight ``w`` and every free bias ``sign·mags[op]``."""
    params = dict(ir.params)
    for op in ir.ops:
        if op.type in WEIGHTED:
            key = op.param_key("weight")
            params[key] = np.full(params[key].shape, w, dtype=np.int64)
    for name, op in _free_biases(ir).items():
        key = op.param_key("bias")
        params[key] = np.full(params[key].shape, sign * mags[name], dtype=np.int64)
    return params


def _magnitude(spec: TensorSpec) -> int:
    return max(abs(spec.lo), abs(spec.hi))


def _pair(ir: IntegerIR, lo: int, hi: int, mags: dict[str, int]
          ) -> tuple[dict[str, TensorSpec], dict[str, TensorSpec]]:
    shape = tuple(int(v) for v in ir.input_shape)
    return (analyze(ir.ops, _extreme(ir, hi, mags, 1), shape),
            analyze(ir.ops, _extreme(ir, lo, mags, -1), shape))


def _scale_bits(op: Op) -> int:
    """The left shift between the accumulator and the current (LIF: ``F``; head: its
    shift)."""
    return int(op.attrs["shift"] if op.type == "head" else op.attrs["frac_bits"])


def _current(op: Op) -> str:
    """The tensor whose interval a free bias adds to: the LIF's current, the logits."""
    return op.name if op.type == "head" else f"{op.name}.current"


def architecture_bounds(ir: IntegerIR) -> ArchBounds:
    """The worst-case intervals and parameter ranges of ``ir``'s architecture
    (``ValueError`` naming the field when the IR does not fit them)."""
    bits = declared_weight_bits(ir.meta)
    if bits is None:
        raise ValueError("IR field meta.quant_spec.weight_bits: --widths architecture needs "
                         "the declared weight width")
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    free = _free_biases(ir)
    up, down = _pair(ir, lo, hi, dict.fromkeys(free, 0))
    mags = {n: max(_magnitude(up[_current(op)]), _magnitude(down[_current(op)]),
                   (hi + 1) << _scale_bits(op)) for n, op in free.items()}
    up, down = _pair(ir, lo, hi, mags)
    for op in ir.ops:
        if op.type in WEIGHTED and (up[op.inputs[0]] != down[op.inputs[0]]
                                    or up[op.inputs[0]].lo < 0):
            raise ValueError(f"op {op.name!r}: its input {op.inputs[0]!r} depends on the "
                             "weights or is signed; --widths architecture cannot bound it")
    specs = {n: TensorSpec(s.shape, min(s.lo, down[n].lo), max(s.hi, down[n].hi))
             for n, s in up.items()}
    ranges = {op.param_key("weight"): (lo, hi) for op in ir.ops if op.type in WEIGHTED}
    for name, op in free.items():
        ranges[op.param_key("bias")] = (-mags[name], mags[name])
        if op.type == "lif":
            ranges[op.param_key("theta")] = (1, max(1, mags[name]))
    _check_fits(ir, specs, ranges)
    return ArchBounds(specs, ranges)


def _check_fits(ir: IntegerIR, specs: dict[str, TensorSpec],
                ranges: dict[str, tuple[int, int]]) -> None:
    """Every parameter of ``ir`` within its range, every interval within the worst case."""
    for key, (lo, hi) in ranges.items():
        a = ir.params[key]
        if a.size and (int(a.min()) < lo or int(a.max()) > hi):
            raise ValueError(f"IR field params.{key}: holds {int(a.min())}..{int(a.max())}, "
                             f"beyond {lo}..{hi}, the range --widths architecture sizes "
                             "the datapath for (docs/params.md)")
    for name, spec in ir.tensors.items():
        worst = specs[name]
        if spec.lo < worst.lo or spec.hi > worst.hi:
            raise ValueError(f"IR field tensors.{name}: {spec.lo}..{spec.hi} exceeds the "
                             f"architecture's worst case {worst.lo}..{worst.hi}")
