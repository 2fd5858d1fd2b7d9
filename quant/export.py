"""Export a :class:`QuantizedModel` to the integer IR."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sdmf

from .ir import IntegerIR
from .qat import QuantizedModel


def count_ir_params(ir: IntegerIR) -> int:
    """Stored integer parameters of the deployed network (weights, biases, thresholds, LPE terms).

    Index tensors (head tags, residual channel lists) are structure, not parameters.
    """
    skip = ("head_qk", "head_v", "channels")
    return int(sum(a.size for k, a in ir.params.items() if not k.endswith(skip)))


def export_ir(qmodel: QuantizedModel, meta: dict[str, Any] | None = None) -> IntegerIR:
    """The IR of ``qmodel`` in eval mode; ``meta`` is merged into the recorded metadata."""
    qmodel.eval()
    cfg = qmodel.cfg
    params = qmodel.export_params()
    info = {
        "created_by": f"sdmf {sdmf.__version__}",
        "model_config": cfg.to_dict(),
        "quant_spec": asdict(qmodel.spec),
        "time_steps": qmodel.time_steps,
        "logit_scale": qmodel.logit_scale,
        "lpe_shift": qmodel.lpe_shift,
        "kept_channels": qmodel.kept,
        **(meta or {}),
    }
    ir = IntegerIR(ops=list(qmodel.program), params=params,
                   input_shape=(qmodel.time_steps, cfg.in_channels, cfg.img_size, cfg.img_size),
                   meta=info)
    ir.meta["params_deployed"] = count_ir_params(ir)
    return ir
