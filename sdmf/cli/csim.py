"""C-simulate the HLS C++ of an IR (g++, no Vitis) against the golden model.

``--ir`` generates the IR's HLS project (``sdmf hwgen --backend hls --trace``) into
``--keep-build DIR`` (or a temporary folder) first; ``--project`` simulates a project
from ``sdmf hwgen --backend hls --trace`` as it is. Streams the test split of the IR's
dataset (``--samples N``, default all of it, or ``--random`` counts) through the
generated top as AXI4-Stream beats and compares, per sample, every layer tap at every
time step, the logits and the class exactly with the golden model (the registers are
the RTL control shell's, not the C++ core's: docs/hls.md). Exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from sdmf.quant.ir import IntegerIR, IRError

from .argtypes import existing_dir, existing_file, nonneg_int, out_dir, positive_int
from .common import CliError, emit, format_table
from .datasets import add_data_args, dataset_for_ir

HELP = "bit-exact C simulation of an IR's generated HLS C++ (g++; no Vitis needed)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--ir", type=existing_file,
                        help="IR file from `sdmf quantize`: generate its HLS project, simulate it")
    source.add_argument("--project", type=existing_dir, metavar="DIR",
                        help="project from `sdmf hwgen --backend hls --trace`")
    parser.add_argument("--samples", type=positive_int, default=None,
                        help="test samples to run (default: the whole test split)")
    add_data_args(parser)
    parser.add_argument("--random", action="store_true",
                        help="random event counts instead of dataset samples (needs --samples)")
    parser.add_argument("--seed", type=nonneg_int, default=0, help="seed of --random")
    parser.add_argument("--keep-build", type=out_dir, default=None, metavar="DIR",
                        help="keep the generated project and the run folder (traces) in DIR")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def _inputs(args: argparse.Namespace, ir: IntegerIR
            ) -> tuple[torch.Tensor, list[int] | None, dict[str, Any]]:
    if args.random:
        if args.samples is None:
            raise CliError("--random needs --samples")
        g = torch.Generator().manual_seed(args.seed)
        return torch.randint(0, 6, (args.samples, *ir.input_shape), generator=g), None, \
            {"name": "random"}
    dataset, info = dataset_for_ir(args, ir.meta, "test")
    n = len(dataset) if args.samples is None else min(args.samples, len(dataset))
    xs, ys = zip(*(dataset[i] for i in range(n)))
    return torch.stack([torch.as_tensor(v) for v in xs]), [int(y) for y in ys], info


def _project(args: argparse.Namespace, work: Path, say: Any) -> tuple[Path, IntegerIR]:
    from sdmf.hw.flow import generate
    from sdmf.hw.graph import GraphError
    from sdmf.hw.project import ProjectError
    from sdmf.sim.csim import load_hls_project

    try:
        if args.project is not None:
            return args.project, load_hls_project(args.project)[1]
        ir = IntegerIR.load(args.ir)
        project = work / "project"
        say(f"generating the HLS project in {project}")
        generate(ir, project, backend="hls", trace=True)
        return project, ir
    except (FileNotFoundError, IRError, ProjectError, GraphError, ValueError) as exc:
        raise CliError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    from sdmf.sim.csim import CsimToolError, csim_project
    from sdmf.sim.network import NetworkMismatchError

    def say(msg: str) -> None:
        print(f"sdmf csim: {msg}", file=sys.stderr, flush=True)

    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sdmf_csim_") as tmp:
        work = args.keep_build or Path(tmp)
        project, ir = _project(args, work, say)
        x, labels, info = _inputs(args, ir)
        try:
            rep = csim_project(project, x, labels,
                               work_dir=work / "run" if args.keep_build else None, status=say)
        except CsimToolError as exc:
            raise CliError(str(exc)) from exc
        except NetworkMismatchError as exc:
            print(f"sdmf csim: {exc}")
            return 1
    wall = time.monotonic() - start
    emit({"ir": str(args.ir or project), "dataset": info, "wall_seconds": wall,
          **rep.to_dict()}, args.json, _text(rep, wall))
    return 0 if rep.bit_exact else 1


def _text(rep: Any, wall: float) -> str:
    rows = [[s.index, "" if s.label is None else s.label, s.golden_class,
             "-" if s.rtl_class is None else s.rtl_class, s.bit_exact,
             ", ".join(s.mismatched_taps) or ""] for s in rep.samples]
    table = format_table(["sample", "label", "golden", "C++", "bit-exact", "mismatched taps"],
                         rows)
    exact = sum(s.bit_exact for s in rep.samples)
    correct = sum(s.label == s.rtl_class for s in rep.samples if s.label is not None)
    labelled = sum(s.label is not None for s in rep.samples)
    acc = f"; accuracy {correct}/{labelled}" if labelled else ""
    return (f"{table}\n\n{exact}/{len(rep.samples)} samples bit-exact (class, logits and "
            f"{len(rep.compared_taps)} taps at every time step: "
            f"{', '.join(rep.compared_taps)}){acc}; "
            f"build {rep.build_seconds:.1f} s{'' if rep.built else ' (cached)'}, "
            f"C simulation {rep.run_seconds:.1f} s, wall {wall:.1f} s")
