"""The op program: the deployed network as an ordered list of integer operations.

The same program is executed by the golden model (int64 tensors read from the
IR) and by the QAT model (differentiable float tensors holding the same
integers). Every op's arithmetic is in :mod:`sdmf.quant.ops`; this module only
wires ops to their inputs and parameters.

The op records and the table of op types are in :mod:`sdmf.quant.opdefs`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch

from . import ops
from .opdefs import PARAM_NAMES, Op

Checker = Callable[[str, torch.Tensor], None]


def execute(program: list[Op], params: Mapping[str, torch.Tensor], x: torch.Tensor,
            check: Checker | None = None, keep: bool = True) -> dict[str, torch.Tensor]:
    """Run ``program`` on counts ``x``; returns every op's output by op name.

    ``check(name, tensor)`` is called on every op output and on every LIF's
    membrane input (``<op>.current``). With ``keep=False`` only the last op's
    output is kept (intermediate tensors are freed as soon as possible).
    """
    values: dict[str, torch.Tensor] = {}
    last_use = {src: i for i, op in enumerate(program) for src in op.inputs}
    for i, op in enumerate(program):
        args = [values[src] for src in op.inputs]
        p = {name: params[op.param_key(name)] for name in PARAM_NAMES[op.type]}
        out = _dispatch(op, args, p, x, check)
        if check is not None:
            check(op.name, out)
        values[op.name] = out
        if not keep:
            for src in op.inputs:
                if last_use[src] == i:
                    del values[src]
    return values


def _dispatch(op: Op, args: list[torch.Tensor], p: dict[str, torch.Tensor], x: torch.Tensor,
              check: Checker | None) -> torch.Tensor:
    t = op.type
    if t == "input":
        return ops.saturate_counts(x, op.attrs["bits"])
    if t == "conv2d":
        return ops.conv2d_acc(args[0], p["weight"])
    if t == "conv1d":
        return ops.conv1d_acc(args[0], p["weight"])
    if t == "lif":
        current = ops.membrane_input(args[0], p["bias"], op.attrs["frac_bits"])
        if check is not None:
            check(f"{op.name}.current", current)
        return ops.lif(current, p["theta"])
    if t == "maxpool":
        return ops.maxpool_or(args[0])
    if t == "flatten":
        return args[0].flatten(3)
    if t == "attention":
        return ops.attention(*args, p["head_qk"], p["head_v"])
    if t == "residual_add":
        return ops.residual_add(args[0], args[1], p["channels"])
    if t == "head":
        return ops.head_logits(args[0], p["weight"], p["bias"], op.attrs["shift"])
    raise ValueError(f"unknown op type {t!r} (op {op.name!r})")
