"""Run a generated accelerator through the board host (``sdmf.host``).

``--board sim`` runs the host, unchanged, on the simulated board: the project's
``sdmf_ip`` in Verilator, with the PYNQ objects the host uses (overlay, registers, DMA
buffers and channels) modelled over its AXI ports (docs/host.md). ``--ir`` generates
the IR's project (with busy counters) first; ``--project`` runs a generated project.
``--board pynq_z2|kv260`` runs the real board (needs ``pynq`` and a bitstream:
``--bitfile``, or the project's ``vivado/<board>/sdmf.bit``).

N test samples of the IR's dataset (or ``--random`` counts, or ``--frames FILE.npy``)
go through the accelerator in one batch; the golden model runs here, in this process.
Prints the accuracy (against the labels), the agreement with the golden model (class
and logits equal), img/s and latency from the device's counters at the PL clock and
from the host's wall clock (on the simulated board that is the simulator's speed, not
the board's), and the host's time split. Exits 1 if a result differs from the golden
model, or (simulated board) the measured interval from the cycle model's.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from sdmf.io import workspace
from sdmf.quant.ir import IntegerIR, IRError

from .argtypes import existing_dir, existing_file, nonneg_int, out_dir, positive_float, positive_int
from .common import CliError, emit
from .datasets import add_data_args, dataset_for_ir
from .plan import add_plan_args, plan_from_args, plan_options_given

HELP = "run the accelerator through the board host: simulated board (Verilator) or PYNQ"
BOARDS = ("sim", "pynq_z2", "kv260")
DEFAULT_SAMPLES = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", choices=BOARDS, default="sim",
                        help="sim (the RTL in Verilator; default), pynq_z2 or kv260")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--ir", type=existing_file, help="IR file (sim: generate its project)")
    source.add_argument("--project", type=existing_dir, metavar="DIR",
                        help="a project from `sdmf hwgen`")
    parser.add_argument("--bitfile", type=existing_file,
                        help="board: the bitstream (.hwh and interface.json beside it; "
                             "default: the project's vivado/<board>/sdmf.bit)")
    parser.add_argument("--samples", type=positive_int, default=None,
                        help=f"samples to run (default {DEFAULT_SAMPLES}; with --frames all)")
    add_data_args(parser)
    parser.add_argument("--random", action="store_true",
                        help="random event counts instead of dataset samples")
    parser.add_argument("--frames", type=existing_file, metavar="FILE.npy",
                        help="event counts [N, T, C, H, W] to run instead (no labels)")
    parser.add_argument("--seed", type=nonneg_int, default=0, help="seed of --random")
    parser.add_argument("--clock-mhz", type=positive_float, default=None,
                        help="PL clock for the counter figures (default: the one the interface "
                             "records, which the project's Vivado scripts build for)")
    parser.add_argument("--timeout", type=positive_float, default=None, metavar="S",
                        help="DMA timeout in seconds (default: 10 on a board; on the "
                             "simulated board, a few inferences of simulated time)")
    parser.add_argument("--work", type=out_dir, default=None, metavar="DIR",
                        help="sim: keep the generated project and the run folder in DIR")
    add_plan_args(parser)
    parser.add_argument("--params", choices=["rom", "loaded"], default="rom",
                        help="sim with --ir: ROM parameters (default) or runtime-loaded ones, "
                             "which the host loads at open (docs/params.md)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


# ---------------------------------------------------------------------- inputs


def _ir(args: argparse.Namespace) -> tuple[IntegerIR, str]:
    from sdmf.hw.project import Project, ProjectError

    try:
        if args.project is None:
            return IntegerIR.load(args.ir), str(args.ir)
        given = plan_options_given(args) + (["--params"] if args.params != "rom" else [])
        if given:
            raise CliError(f"{', '.join(given)}: --project runs the "
                           "project as generated; planner options apply to --ir")
        manifest = Project.load(args.project)
        if manifest.ir is None:
            raise CliError(f"{args.project}: the project holds no IR (model.sdmfir) to "
                           "compare with")
        ir = IntegerIR.load(args.project / manifest.ir)
        if ir.content_hash() != manifest.ir_hash:
            raise CliError(f"{args.project / manifest.ir}: IR hash differs from the "
                           "project's ir_hash")
        return ir, str(args.project / manifest.ir)
    except (FileNotFoundError, IRError, ProjectError) as exc:
        raise CliError(str(exc)) from exc


def _frames(args: argparse.Namespace, ir: IntegerIR
            ) -> tuple[np.ndarray, list[int] | None, dict[str, Any]]:
    n = args.samples or DEFAULT_SAMPLES
    if args.frames is not None:
        if args.random:
            raise CliError("--frames and --random exclude each other")
        try:
            x = np.load(args.frames, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise CliError(f"{args.frames}: not a .npy array ({exc})") from exc
        x = x[:args.samples] if args.samples else x
        return x, None, {"name": "frames", "file": str(args.frames)}
    if args.random:
        rng = np.random.default_rng(args.seed)
        return rng.integers(0, 6, (n, *ir.input_shape)), None, {"name": "random",
                                                                "seed": args.seed}
    dataset, info = dataset_for_ir(args, ir.meta, "test")
    xs, ys = zip(*(dataset[i] for i in range(min(n, len(dataset)))))
    return np.stack([np.asarray(v) for v in xs]), [int(y) for y in ys], {**info,
                                                                         "split": "test"}



class _Bar:
    """A tqdm bar on stderr fed with the number of results so far."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled = total, enabled
        self.bar: Any = None

    def __call__(self, done: int) -> None:
        if self.bar is None:              # opened when the first report comes (after a build)
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, desc="sdmf run", unit="img", file=sys.stderr,
                            disable=not self.enabled, dynamic_ncols=True)
        self.bar.update(max(0, done - self.bar.n))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# ---------------------------------------------------------------------- boards


def _run_sim(args: argparse.Namespace, ir: IntegerIR, frames: np.ndarray, bar: _Bar
             ) -> tuple[dict[str, Any], dict[str, Any]]:
    from sdmf.host.accelerator import clock_of
    from sdmf.hw.flow import generate
    from sdmf.hw.graph import GraphError
    from sdmf.hw.project import ProjectError
    from sdmf.sim.board_run import Session, load, run_board
    from sdmf.sim.runner import SimFailure, SimToolError

    def say(msg: str) -> None:
        print(f"sdmf run: {msg}", file=sys.stderr, flush=True)

    try:
        with workspace(args.work, "sdmf-run-") as work:
            root = args.project
            if root is None:
                root = work / "project"
                say(f"generating the RTL project (with busy counters) in {root}")
                generate(ir, root, counters=True, params=args.params,
                         **plan_from_args(args, ir))
            _, manifest, iface = load(root)
            clock = clock_of(iface, args.clock_mhz)
            rep = run_board(root, [Session(runs=[frames])], work, clock_mhz=clock,
                            timeout_s=args.timeout, progress=bar, status=say)
    except (SimToolError, SimFailure, GraphError, ProjectError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    step = rep.run()
    if "error" in step:
        err = step["error"]
        raise CliError(f"the host failed on the simulated board: {err['type']}: "
                       f"{err['message']}")
    sim = {"build_s": rep.build_seconds, "built": rep.built, "simulator_s": rep.sim_seconds,
           "simulated_s": step["sim_s"], "dma_timeout_s": rep.timeout_s}
    return step["result"], {"model_interval_cycles": manifest.cycles.interval,
                            "simulation": sim}


def _run_pynq(args: argparse.Namespace, ir: IntegerIR, frames: np.ndarray, bar: _Bar
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    from sdmf.host import Accelerator, HostError

    interface = None
    bitfile = args.bitfile
    if args.project is not None:
        from sdmf.hw.project import Project

        manifest = Project.load(args.project)
        interface = args.project / str(manifest.interface)
        bitfile = bitfile or args.project / "vivado" / args.board / "sdmf.bit"
    if bitfile is None:
        raise CliError(f"--board {args.board} needs the bitstream: --bitfile FILE, or "
                       "--project DIR with vivado/<board>/sdmf.bit")
    try:
        with Accelerator(bitfile, interface, clock_mhz=args.clock_mhz,
                         timeout_s=args.timeout or 10.0) as acc:
            if acc.interface.ir_hash != ir.content_hash():
                raise CliError(f"the IR {ir.content_hash()[:8]}… is not the one the "
                               f"bitstream was generated from ({acc.interface.ir_hash[:8]}…)")
            res = acc.run(frames, progress=bar)
    except HostError as exc:
        raise CliError(str(exc)) from exc
    return res.to_dict(), {"model_interval_cycles": acc.interface.interval_cycles}


# ---------------------------------------------------------------------- report


def run(args: argparse.Namespace) -> int:
    import torch

    from sdmf.quant.golden import GoldenModel

    ir, ir_path = _ir(args)
    frames, labels, info = _frames(args, ir)
    try:
        g = GoldenModel(ir).run(torch.as_tensor(frames))
    except ValueError as exc:
        raise CliError(f"the golden model refuses the frames: {exc}") from exc
    bar = _Bar(len(frames), not args.no_progress)
    try:
        runner = _run_sim if args.board == "sim" else _run_pynq
        res, extra = runner(args, ir, frames, bar)
    finally:
        bar.close()
    out = _summary(args, ir, ir_path, info, res, extra, g.logits.numpy(), g.pred.numpy(),
                   labels)
    emit(out, args.json, _text(out))
    ok = out["matches_golden"] == out["samples"]
    if args.board == "sim":
        ok &= out["interval_equals_model"] is not False
    return 0 if ok else 1


def _summary(args: argparse.Namespace, ir: IntegerIR, ir_path: str, info: dict[str, Any],
             res: dict[str, Any], extra: dict[str, Any], g_logits: np.ndarray,
             g_pred: np.ndarray, labels: list[int] | None) -> dict[str, Any]:
    logits, classes = np.array(res["logits"], dtype=np.int64), np.array(res["classes"])
    equal = [bool(c == gc and np.array_equal(lo, gl))
             for c, gc, lo, gl in zip(classes, g_pred, logits, g_logits)]
    correct = None if labels is None else int(sum(int(c) == y for c, y in zip(classes, labels)))
    model = extra.get("model_interval_cycles")
    measured = res["interval_cycles"]
    return {
        "board": args.board, "ir": ir_path, "ir_hash": ir.content_hash(), "dataset": info,
        "samples": res["samples"], "matches_golden": sum(equal),
        "mismatched_samples": [i for i, e in enumerate(equal) if not e],
        "accuracy": None if correct is None else correct / len(classes),
        "labels_correct": correct, "img_per_s": res["img_per_s_counters"],
        "clock_mhz": res["clock_mhz"], "latency_cycles": res["latency_cycles"],
        "latency_s": res["latency_s_counters"], "interval_cycles": measured,
        "model_interval_cycles": model,
        "interval_equals_model": None if measured is None or model is None
        else measured == model,
        "img_per_s_wall": res["img_per_s_wall"], "timing": res["timing"],
        "saturated_counts": res["saturated"],
        "classes": classes.tolist(), "golden_classes": g_pred.tolist(), "labels": labels,
        **{k: v for k, v in extra.items() if k != "model_interval_cycles"},
    }


def _text(o: dict[str, Any]) -> str:
    n = o["samples"]
    acc = "n/a (no labels)" if o["accuracy"] is None else \
        f"{o['accuracy']:.1%} ({o['labels_correct']}/{n} labels)"
    interval = "n/a (one sample)" if o["interval_cycles"] is None else \
        f"{o['interval_cycles']:,} cycles"
    if o["interval_equals_model"] is not None:
        interval += (f" ({'equal to' if o['interval_equals_model'] else 'DIFFERS FROM'} the "
                     f"cycle model's {o['model_interval_cycles']:,})")
    t = o["timing"]
    wall_note = " — the simulator's speed, not the board's" if o["board"] == "sim" else ""
    lines = [
        f"board {o['board']}: {n} samples of {o['dataset'].get('name')}, IR "
        f"{o['ir_hash'][:8]}…",
        f"accuracy      {acc}",
        f"golden model  {o['matches_golden']}/{n} equal (class and logits)"
        + (f"; differ: {o['mismatched_samples']}" if o["mismatched_samples"] else ""),
        f"counters      {o['img_per_s']:,.1f} img/s at {o['clock_mhz']:g} MHz; interval "
        f"{interval}; latency {o['latency_cycles']:,} cycles = "
        f"{o['latency_s'] * 1e3:.3f} ms",
        f"wall clock    {o['img_per_s_wall']:,.2f} img/s{wall_note}: pack {t['pack_s']:.3f} s,"
        f" transfer {t['transfer_s']:.3f} s, unpack {t['unpack_s']:.3f} s, total "
        f"{t['wall_s']:.3f} s"]
    if o["saturated_counts"]:
        lines.append(f"saturated     {o['saturated_counts']:,} counts above the input width")
    if "simulation" in o:
        s = o["simulation"]
        lines.append(f"simulation    build {s['build_s']:.0f} s"
                     f"{'' if s['built'] else ' (cached)'}, simulator {s['simulator_s']:.0f} s "
                     f"for {s['simulated_s'] * 1e3:.3f} ms of simulated time")
    return "\n".join(lines)
