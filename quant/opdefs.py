"""The op vocabulary of the integer IR: op records and what each op type takes.

Torch-free (standard library only), so reading, validating and hashing an IR needs
NumPy alone; the executor of an op list is :func:`sdmf.quant.program.execute`.

Op types (inputs → output):

``input``        counts ``[B,T,C,H,W]`` → saturated counts (attr ``bits``)
``conv2d``       x → acc, param ``weight [Co, Ci, 3, 3]``
``conv1d``       x ``[B,T,Ci,N]`` → acc ``[B,T,Co,N]``, param ``weight [Co, Ci]``
``lif``          acc → spikes, params ``bias [C]`` or ``[C, N]``, ``theta [C]``; attr ``frac_bits``
``maxpool``      spikes → spikes (3×3, stride 2, pad 1, OR)
``flatten``      ``[B,T,C,H,W]`` → ``[B,T,C,H·W]``
``attention``    q, k, v → A ``[B,T,Cv,N]``, params ``head_qk``, ``head_v``
``residual_add`` stream, spikes → stream, param ``channels`` (where the spikes go)
``head``         stream → logits ``[B, K]``, params ``weight [K, D]``, ``bias [K]``; attr ``shift``
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["INPUT_COUNT", "OP_TYPES", "PARAM_NAMES", "REQUIRED_ATTRS", "Op"]

OP_TYPES = ("input", "conv2d", "conv1d", "lif", "maxpool", "flatten", "attention",
            "residual_add", "head")
PARAM_NAMES = {
    "input": (), "conv2d": ("weight",), "conv1d": ("weight",), "lif": ("bias", "theta"),
    "maxpool": (), "flatten": (), "attention": ("head_qk", "head_v"),
    "residual_add": ("channels",), "head": ("weight", "bias"),
}
INPUT_COUNT = {"input": 0, "attention": 3, "residual_add": 2}
REQUIRED_ATTRS = {"input": ("bits",), "lif": ("frac_bits",), "head": ("shift",)}


@dataclass(frozen=True)
class Op:
    """One operation: its output tensor is named after the op."""

    name: str
    type: str
    inputs: tuple[str, ...] = ()
    attrs: dict[str, Any] = field(default_factory=dict)

    def param_key(self, param: str) -> str:
        """Key of one of this op's parameter tensors in the parameter store."""
        return f"{self.name}.{param}"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "inputs": list(self.inputs),
                "attrs": dict(self.attrs)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Op:
        return cls(name=d["name"], type=d["type"], inputs=tuple(d["inputs"]),
                   attrs=dict(d.get("attrs", {})))
