"""Build the op program of a (pruned) Spikformer/SDMFormer from its config and prune plan.

Op names double as tap names in golden dumps and hardware traces:
``sps.{i}.conv|lif|pool``, ``sps.flatten``, ``sps.rpe.*``,
``blocks.{i}.attn.{q,k,v,proj}.{conv,lif}``, ``blocks.{i}.attn.attention``,
``blocks.{i}.attn.attn_lif``, ``blocks.{i}.attn.add``,
``blocks.{i}.mlp.{fc1,fc2}.{conv,lif}``, ``blocks.{i}.mlp.add`` and ``head``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sdmf.model.config import ModelConfig
from sdmf.model.pruning import UnitPlan

from .limits import FRAC_BITS, IN_BITS, WEIGHT_BITS
from .opdefs import Op


@dataclass(frozen=True)
class QuantSpec:
    """Precision choices of the integer network (all recorded in the IR)."""

    weight_bits: int = 8
    in_bits: int = 8
    frac_bits: int = 4
    lpe_bits: int = 8

    def __post_init__(self) -> None:
        for name, (lo, hi) in (("weight_bits", WEIGHT_BITS), ("in_bits", IN_BITS),
                               ("frac_bits", FRAC_BITS)):
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise ValueError(f"{name} must be in {lo}..{hi}, got {value}")


def build_program(cfg: ModelConfig, plan: dict[str, UnitPlan], spec: QuantSpec,
                  head_shift: int = 0) -> list[Op]:
    """The ordered op list; parameter values are supplied separately.

    ``plan`` is accepted for symmetry with the parameter builder (op structure
    does not depend on which channels survive; tensor shapes do).
    """
    prog: list[Op] = [Op("input", "input", attrs={"bits": spec.in_bits})]
    lif_attrs = {"frac_bits": spec.frac_bits}
    x = "input"
    for i in range(4):
        prog += [Op(f"sps.{i}.conv", "conv2d", (x,)),
                 Op(f"sps.{i}.lif", "lif", (f"sps.{i}.conv",), dict(lif_attrs)),
                 Op(f"sps.{i}.pool", "maxpool", (f"sps.{i}.lif",))]
        x = f"sps.{i}.pool"
    prog.append(Op("sps.flatten", "flatten", (x,)))
    stream = "sps.flatten"
    if cfg.pos_embed == "rpe":
        prog += [Op("sps.rpe.conv", "conv2d", (x,)),
                 Op("sps.rpe.lif", "lif", ("sps.rpe.conv",), dict(lif_attrs)),
                 Op("sps.rpe.flatten", "flatten", ("sps.rpe.lif",)),
                 Op("sps.rpe.add", "residual_add", (stream, "sps.rpe.flatten"))]
        stream = "sps.rpe.add"

    def unit(name: str, src: str) -> str:
        prog.extend([Op(f"{name}.conv", "conv1d", (src,)),
                     Op(f"{name}.lif", "lif", (f"{name}.conv",), dict(lif_attrs))])
        return f"{name}.lif"

    for b in range(cfg.depth):
        a = f"blocks.{b}.attn"
        q, k, v = (unit(f"{a}.{n}", stream) for n in ("q", "k", "v"))
        prog += [Op(f"{a}.attention", "attention", (q, k, v)),
                 Op(f"{a}.attn_lif", "lif", (f"{a}.attention",), dict(lif_attrs))]
        proj = unit(f"{a}.proj", f"{a}.attn_lif")
        prog.append(Op(f"{a}.add", "residual_add", (stream, proj)))
        stream = f"{a}.add"
        m = f"blocks.{b}.mlp"
        fc1 = unit(f"{m}.fc1", stream)
        if cfg.mlp_residual == "each":
            prog.append(Op(f"{m}.fc1.add", "residual_add", (stream, fc1)))
            stream = f"{m}.fc1.add"
            fc2 = unit(f"{m}.fc2", stream)
        else:
            fc2 = unit(f"{m}.fc2", fc1)
        prog.append(Op(f"{m}.add", "residual_add", (stream, fc2)))
        stream = f"{m}.add"
    prog.append(Op("head", "head", (stream,), {"shift": head_shift}))
    return prog
