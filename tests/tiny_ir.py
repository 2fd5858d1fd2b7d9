"""A hand-built integer IR that exercises every op type (shared by the gate and CLI tests).

Input [T=2, C=2, 4×4] → conv2d + LIF → maxpool → flatten (4 tokens, D = 4) → q/k/v
conv1d + LIF (q with a per-token bias, v pruned to 3 channels) → attention (2 heads) +
attention LIF → proj conv1d + LIF → residual add into stream channels 0, 2, 3 → head
(3 classes). Built from NumPy arrays in milliseconds, no float model involved.
``save_unchecked`` writes an IR archive without validation (to test the loader).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from sdmf.quant.ir import IR_FORMAT, IR_VERSION, IntegerIR
from sdmf.quant.opdefs import Op

T, C, H, W = 2, 2, 4, 4
F = 4


def parts(seed: int = 0) -> dict[str, Any]:
    """``IntegerIR`` keyword arguments (fresh copies: corrupt them freely)."""
    g = np.random.default_rng(seed)

    def w(*shape: int) -> np.ndarray:
        return g.integers(-5, 6, shape).astype(np.int64)

    def lif(name: str, src: str, bias: np.ndarray, theta: int = 20) -> tuple[Op, dict]:
        return (Op(name, "lif", (src,), {"frac_bits": F}),
                {f"{name}.bias": bias, f"{name}.theta": np.full(len(bias), theta)})

    ops = [Op("input", "input", attrs={"bits": 8}), Op("sps.0.conv", "conv2d", ("input",))]
    params: dict[str, np.ndarray] = {"sps.0.conv.weight": w(4, 2, 3, 3)}
    op, p = lif("sps.0.lif", "sps.0.conv", g.integers(-40, 40, 4))
    ops += [op, Op("sps.0.pool", "maxpool", ("sps.0.lif",)),
            Op("sps.flatten", "flatten", ("sps.0.pool",))]
    params.update(p)
    a = "blocks.0.attn"
    for name, cout, bias in (("q", 4, g.integers(-40, 40, (4, 4))), ("k", 4, g.integers(0, 9, 4)),
                             ("v", 3, g.integers(0, 9, 3))):
        ops.append(Op(f"{a}.{name}.conv", "conv1d", ("sps.flatten",)))
        params[f"{a}.{name}.conv.weight"] = w(cout, 4)
        op, p = lif(f"{a}.{name}.lif", f"{a}.{name}.conv", bias)
        ops.append(op)
        params.update(p)
    ops.append(Op(f"{a}.attention", "attention", (f"{a}.q.lif", f"{a}.k.lif", f"{a}.v.lif")))
    params[f"{a}.attention.head_qk"] = np.array([0, 0, 1, 1])
    params[f"{a}.attention.head_v"] = np.array([0, 1, 1])
    op, p = lif(f"{a}.attn_lif", f"{a}.attention", np.zeros(3, np.int64), 1 << (F + 1))
    ops += [op, Op(f"{a}.proj.conv", "conv1d", (f"{a}.attn_lif",))]
    params.update(p)
    params[f"{a}.proj.conv.weight"] = w(3, 3)
    op, p = lif(f"{a}.proj.lif", f"{a}.proj.conv", g.integers(-20, 20, 3))
    ops += [op, Op(f"{a}.add", "residual_add", ("sps.flatten", f"{a}.proj.lif")),
            Op("head", "head", (f"{a}.add",), {"shift": 1})]
    params.update(p)
    params[f"{a}.add.channels"] = np.array([0, 2, 3])
    params["head.weight"] = w(3, 4)
    params["head.bias"] = g.integers(-50, 50, 3)
    meta = {"quant_spec": {"weight_bits": 8, "in_bits": 8, "frac_bits": F, "lpe_bits": 8},
            "time_steps": T,
            "model_config": {"arch": "sdmformer", "depth": 1, "dim": 4, "img_size": H},
            "dataset": {"name": "digits-dvs", "root": None, "T": T, "img_size": H}}
    return {"ops": ops, "params": params, "input_shape": (T, C, H, W), "meta": meta}


def tiny_ir(seed: int = 0, **changes: Any) -> IntegerIR:
    """The tiny IR, with keyword arguments of ``IntegerIR`` replaced by ``changes``."""
    return IntegerIR(**{**parts(seed), **changes})


def op_index(ir_parts: dict[str, Any], name: str) -> int:
    """Position of op ``name`` in ``ir_parts["ops"]``."""
    return next(i for i, op in enumerate(ir_parts["ops"]) if op.name == name)


def save_unchecked(p: dict[str, Any], path: Path) -> Path:
    """Write ``p`` as an IR archive exactly as given (no validation, placeholder hash)."""
    params = {k: np.asarray(v) for k, v in p["params"].items()}
    header = {"format": IR_FORMAT, "version": IR_VERSION,
              "input_shape": [v if isinstance(v, float) else int(v) for v in p["input_shape"]],
              "meta": p["meta"], "ops": [op.to_dict() for op in p["ops"]], "tensors": {},
              "params": {k: {"dtype": str(a.dtype), "shape": list(a.shape),
                             "file": f"params/{k}.npy"} for k, a in params.items()},
              "hash": "0" * 64}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("ir.json", json.dumps(header))
        for k, a in params.items():
            buf = io.BytesIO()
            np.save(buf, a, allow_pickle=False)
            z.writestr(f"params/{k}.npy", buf.getvalue())
    return path


def member_data_span(path: Path, name: str) -> tuple[int, int]:
    """Byte range of member ``name``'s compressed data inside the archive."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(name)
    raw, off = path.read_bytes(), info.header_offset
    name_len = int.from_bytes(raw[off + 26:off + 28], "little")     # local file header
    extra_len = int.from_bytes(raw[off + 28:off + 30], "little")
    start = off + 30 + name_len + extra_len
    return start, start + info.compress_size
