"""Integer IRs of named configurations with untrained weights, for speed and size studies.

    python benchmarks/untrained.py --model sdmformer-2-256 --img-size 128 -T 16 \\
        --out build/scale/sdmformer-2-256.sdmfir
    sdmf hwgen --ir build/scale/sdmformer-2-256.sdmfir --out build/scale/proj \\
        --synth xc7 --synth xcup --synth-mode units

Nothing here is trained: shapes, widths, cycles and resources are meaningful, accuracy
is not. The other benchmark scripts import :func:`untrained_ir`.
"""

from __future__ import annotations

import argparse
import json

import torch

from sdmf.model import create_model
from sdmf.quant.build import QuantSpec
from sdmf.quant.export import export_ir
from sdmf.quant.ir import IntegerIR
from sdmf.quant.qat import QuantizedModel


def untrained_ir(model: str, img_size: int, time_steps: int, mask_keep: float = 1.0,
                 classes: int = 10, seed: int = 0) -> IntegerIR:
    """The IR of ``model`` at ``img_size``, T = ``time_steps``, BN at its initial
    statistics; each mask keeps a random ``mask_keep`` fraction of its channels (1.0:
    every channel, the unpruned network)."""
    if not 0.0 < mask_keep <= 1.0:
        raise ValueError(f"mask_keep must be in (0, 1], got {mask_keep}")
    torch.manual_seed(seed)
    net = create_model(model, img_size=img_size, num_classes=classes).eval()
    with torch.no_grad():
        for mask in net.masks().values():
            mask.weight.copy_(torch.rand_like(mask.weight) - (1 - mask_keep))
    return export_ir(QuantizedModel(net, QuantSpec(), time_steps=time_steps))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="sdmformer-2-256")
    p.add_argument("--img-size", type=int, default=128)
    p.add_argument("-T", type=int, default=16)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--mask-keep", type=float, default=1.0,
                   help="fraction of channels each mask keeps, at random (default 1: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="IR file to write (.sdmfir)")
    args = p.parse_args()
    ir = untrained_ir(args.model, args.img_size, args.T, args.mask_keep, args.classes,
                      args.seed)
    path = ir.save(args.out)
    print(json.dumps({"ir": str(path), "model": args.model, "input_shape": list(ir.input_shape),
                      "mask_keep": args.mask_keep, "hash": ir.content_hash()[:16]}))


if __name__ == "__main__":
    main()
