"""Golden-model throughput (img/s on this machine's CPU) for an IR or a named config.

    python benchmarks/golden_throughput.py --ir models/digits-dvs/sdmformer-1-128-int8.sdmfir
    python benchmarks/golden_throughput.py --model sdmformer-2-256 --img-size 128 -T 16

A named config is quantized with untrained weights (BN statistics and masks left at
their initial values unless --mask-keep is given); the input is random event counts.
This measures speed only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from untrained import untrained_ir

from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ir")
    p.add_argument("--model", default="sdmformer-2-256")
    p.add_argument("--img-size", type=int, default=128)
    p.add_argument("-T", type=int, default=16)
    p.add_argument("--mask-keep", type=float, default=1.0,
                   help="fraction of channels each mask keeps (random), for a named config")
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--iters", type=int, default=3)
    args = p.parse_args()
    if args.ir:
        ir = IntegerIR.load(args.ir)
    else:
        ir = untrained_ir(args.model, args.img_size, args.T, args.mask_keep)
    golden = GoldenModel(ir)
    T, C, H, W = ir.input_shape
    g = torch.Generator().manual_seed(0)
    x = torch.poisson(torch.full((args.batch_size, T, C, H, W), 0.3), generator=g)
    golden.run(x)  # warm-up
    start = time.perf_counter()
    for _ in range(args.iters):
        golden.run(x)
    seconds = time.perf_counter() - start
    print(json.dumps({"ir": args.ir, "model": ir.meta["model_config"]["arch"],
                      "input_shape": list(ir.input_shape), "batch_size": args.batch_size,
                      "img_per_s": args.batch_size * args.iters / seconds,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
