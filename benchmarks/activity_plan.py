"""A plan on activity, measured by the model on other samples (docs/event-driven.md).

    python benchmarks/activity_plan.py \
        --ir models/activity/sdmformer-2-256-128-t16-int8.sdmfir [--row-parallel]

Plans the IR with every conv event-driven on the golden tensors of the first
``--plan-samples`` training samples of its dataset (``--plan-activity``), then gives, on
the first ``--test-samples`` test samples: every compute layer's busy cycles (the kinds'
``sample_cycles``), the done cycles and intervals of a back-to-back pass (the token
recurrence, ``host_pass``), and the dense worst-case interval (``steady_interval``).
Writes no project; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import time
from itertools import pairwise

import numpy as np
import torch

from sdmf.cli.datasets import _build
from sdmf.hw.flow import build_graph, sample_busy
from sdmf.hw.timing import host_pass, steady_interval
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR


def golden_taps(ir: IntegerIR, split: str, n: int) -> list[dict[str, np.ndarray]]:
    """The golden tensors of the first ``n`` samples of ``split`` of the IR's dataset."""
    meta = ir.meta
    data = _build(meta["dataset"]["name"], split, meta["time_steps"],
                  meta["model_config"]["img_size"], None, None, progress=False)
    x = torch.stack([torch.as_tensor(data[i][0]) for i in range(n)])
    golden = GoldenModel(ir)
    taps = golden.run(golden.to_counts(x), taps=True).taps
    return [{k: v[i].numpy() for k, v in taps.items()} for i in range(n)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ir", required=True)
    p.add_argument("--plan-samples", type=int, default=4)
    p.add_argument("--test-samples", type=int, default=4)
    p.add_argument("--row-parallel", action="store_true")
    p.add_argument("--clock-mhz", type=float, default=250.0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    ir = IntegerIR.load(args.ir)
    t0 = time.time()
    plan, test = (golden_taps(ir, "train", args.plan_samples),
                  golden_taps(ir, "test", args.test_samples))
    t1 = time.time()
    g = build_graph(ir, row_parallel=args.row_parallel, event_driven=True, activity=plan,
                    interval=False)
    t2 = time.time()
    busy = [sample_busy(g, t) for t in test]
    layers = {}
    for lay in g.layers.values():
        if g.spec(lay).compute:
            layers[lay.name] = {"knobs": lay.parallel, "lanes": g.spec(lay).cost(lay, lay.parallel),
                                "dense": lay.cycles,
                                "test": [b.get(lay.name, lay.cycles) for b in busy]}
    _, done = host_pass(g, test, 0)
    intervals = [b - a for a, b in pairwise(done)]
    dense = steady_interval(g).interval
    hz = args.clock_mhz * 1e6
    out = {"ir": args.ir, "row_parallel": args.row_parallel,
           "lanes": g.info["parallelism"]["lanes"],
           "target": g.info["parallelism"]["target_cycles"], "layers": layers,
           "test_done": done, "test_intervals": intervals,
           "img_per_s_mean": hz * len(intervals) / (done[-1] - done[0]) if intervals else None,
           "img_per_s_slowest": hz / max(intervals) if intervals else None,
           "dense_interval": dense,
           "seconds": {"golden": t1 - t0, "plan": t2 - t1, "model": time.time() - t2}}
    if args.json:
        print(json.dumps(out, indent=1))
        return
    for name, lay in layers.items():
        print(f"{name:24s} {json.dumps(lay['knobs']):40s} lanes {lay['lanes']:5d} "
              f"dense {lay['dense']:>10,} test {min(lay['test']):>9,} … {max(lay['test']):>9,}")
    print(f"lanes {out['lanes']}, target {out['target']:,}; test dones {done}, intervals "
          f"{intervals}: {out['img_per_s_mean'] or 0:,.1f} img/s mean, "
          f"{out['img_per_s_slowest'] or 0:,.1f} slowest at {args.clock_mhz:g} MHz; "
          f"dense worst-case interval {dense:,}")


if __name__ == "__main__":
    main()
