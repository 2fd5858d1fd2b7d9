"""Energy estimate per layer (the paper's Table 2) and the ratio to Spikformer (Table 3).

Firing rates are measured with forward hooks while the model runs on real
samples (--dataset, default: the dataset recorded in the checkpoint, else
digits-dvs; `--dataset synthetic` needs no files). The first SPS conv costs
E_MAC·F·T, every other layer E_AC·F_M·T·S_in; --full adds the attention
products and the head. The Spikformer baseline needs its own rates: give a
trained one with --baseline-checkpoint, otherwise an untrained same-size
Spikformer is measured on the same samples (reported as baseline_source
"untrained"). See docs/energy.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import torch
from torch.utils.data import Dataset

from sdmf.model.analysis.calibrate import calibrate_bn
from sdmf.model.analysis.energy import measure_energy
from sdmf.model.analysis.inputs import DataSpec, batches, load_samples
from sdmf.model.checkpoint import load_model
from sdmf.model.transformer import SpikingTransformer

from . import datasets
from .argtypes import as_text, existing_file, nonneg_int, positive_int
from .common import CliError, add_model_args, emit, format_table, model_from_args

HELP = "energy estimate per layer from measured firing rates, and the ratio to Spikformer"


def add_data_args(parser: argparse.ArgumentParser) -> None:
    """The shared ``--dataset/--data-dir/--cache-dir`` plus what the measurements need."""
    datasets.add_data_args(parser)
    g = parser.add_argument_group("samples the firing rates are measured on")
    g.add_argument("--split", default="test", help="dataset split (default test)")
    g.add_argument("-T", "--time-steps", dest="time_steps", type=positive_int, default=None,
                   help="time steps per sample (default: recorded in the checkpoint, else 16)")
    g.add_argument("--samples", type=positive_int, default=100,
                   help="samples to run, a seeded random subset of the split (default 100)")
    g.add_argument("--batch-size", type=positive_int, default=16,
                   help="batch size (default 16)")
    g.add_argument("--seed", type=nonneg_int, default=0,
                   help="seed of the subset, synthetic data and an untrained baseline")
    g.add_argument("--device", choices=["cpu", "cuda", "auto"], default="auto",
                   help="where to run the forward passes (default auto)")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")


def data_spec(args: argparse.Namespace, ckpt: dict[str, Any], img_size: int) -> DataSpec:
    """Name, root and T from the command line, else the checkpoint's record, else the defaults.

    ``--dataset synthetic`` selects seeded random event counts (no files).
    """
    rec = ckpt.get("dataset") or {}
    info = datasets.resolve(args, rec, args.time_steps or rec.get("T") or 16, img_size)
    return DataSpec(name=info["name"], split=args.split, root=info["root"], T=info["T"],
                    img_size=img_size, samples=args.samples, seed=args.seed,
                    cache_dir=args.cache_dir)


def add_baseline_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--baseline-checkpoint", type=as_text(existing_file), default=None,
                        help="trained Spikformer of the same size (default: an untrained one)")
    parser.add_argument("--no-bn-calibration", action="store_true",
                        help="measure untrained models with their initial BN statistics "
                        "(default: calibrate them on the samples first; docs/energy.md)")


def resolve_device(name: str | None) -> torch.device:
    """``--device`` as a torch device (see :func:`sdmf.model.device.pick_device`)."""
    from sdmf.model.device import pick_device

    try:
        return pick_device(name)
    except (ValueError, RuntimeError) as exc:
        raise CliError(f"--device: {exc}") from exc


@dataclass
class Setup:
    """What the analysis commands run on: the model, its checkpoint dict and the samples."""

    model: SpikingTransformer
    ckpt: dict[str, Any]
    spec: DataSpec
    dataset: Dataset
    batch_size: int
    progress: bool
    notes: list[str] = field(default_factory=list)

    def batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return batches(self.dataset, self.batch_size)

    @property
    def n_batches(self) -> int:
        return -(-len(self.dataset) // self.batch_size)

    def calibrate(self, model: SpikingTransformer) -> int:
        """BN calibration of an untrained model on these samples (see docs/energy.md)."""
        return calibrate_bn(model, self.batches(), self.progress, self.n_batches)


def load_setup(args: argparse.Namespace) -> Setup:
    """The model (on its device, BN-calibrated when untrained) and the samples to run."""
    model, ckpt = model_from_args(args)
    if ckpt and args.img_size and args.img_size != model.cfg.img_size:
        raise CliError(f"--img-size {args.img_size} differs from the checkpoint's "
                       f"{model.cfg.img_size} (the position embedding fixes it)")
    if args.batch_size < 1:
        raise CliError("--batch-size must be >= 1")
    spec = data_spec(args, ckpt, model.cfg.img_size)
    try:
        dataset = load_samples(spec, model.cfg.num_classes, progress=not args.no_progress)
    except ImportError as exc:
        raise CliError(f"dataset {spec.name!r} needs sdmf.model.data ({exc}); "
                       "use --dataset synthetic to run without data") from exc
    except (FileNotFoundError, ValueError, KeyError, RuntimeError, OSError) as exc:
        raise CliError(f"dataset {spec.name!r}: {exc}") from exc
    setup = Setup(model.to(resolve_device(args.device)), ckpt, spec, dataset, args.batch_size,
                  not args.no_progress)
    if not ckpt:
        note = f"the model is an UNTRAINED {model.cfg.name} (no --checkpoint)"
        if not args.no_bn_calibration:
            note += f"; BN statistics calibrated on {setup.calibrate(model)} samples"
        setup.notes.append(note)
    return setup


def load_baseline(args: argparse.Namespace, setup: Setup) -> tuple[SpikingTransformer, str]:
    """The Spikformer to compare with: ``(model, source)``; notes go to ``setup.notes``.

    ``source`` is ``"checkpoint"`` (--baseline-checkpoint), ``"self"`` (the model
    is itself a Spikformer) or ``"untrained"`` (a seeded random same-size
    Spikformer whose BN statistics are calibrated on the samples).
    """
    model, notes = setup.model, setup.notes
    device = next(model.parameters()).device
    if args.baseline_checkpoint:
        try:
            base, _ = load_model(args.baseline_checkpoint)
        except (FileNotFoundError, ValueError) as exc:
            raise CliError(str(exc)) from exc
        if base.cfg.img_size != model.cfg.img_size:
            raise CliError(f"baseline img_size {base.cfg.img_size} differs from the model's "
                           f"{model.cfg.img_size}")
        if base.cfg.arch != "spikformer":
            notes.append(f"baseline checkpoint is a {base.cfg.arch}, not a Spikformer")
        if (base.cfg.depth, base.cfg.dim) != (model.cfg.depth, model.cfg.dim):
            notes.append(f"baseline {base.cfg.name} is not the same size as {model.cfg.name}")
        return base.to(device), "checkpoint"
    if model.cfg.arch == "spikformer":
        notes.append("the model is a Spikformer: it is its own baseline")
        return model, "self"
    torch.manual_seed(args.seed)
    base = SpikingTransformer(model.cfg.baseline()).to(device).eval()
    note = (f"baseline is an UNTRAINED {base.cfg.name} (random init, seed {args.seed}")
    if not args.no_bn_calibration:
        note += f", BN statistics calibrated on {setup.calibrate(base)} samples"
    notes.append(note + "); its firing rates are not those of a trained Spikformer — give "
                 "--baseline-checkpoint for the paper's comparison")
    return base, "untrained"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_args(parser, default_model="sdmformer-2-256")
    add_baseline_args(parser)
    add_data_args(parser)
    parser.add_argument("--full", action="store_true",
                        help="also count the attention products and the head (not in Table 2)")
    parser.add_argument("--attn-order", choices=["qk_v", "q_kv"], default="qk_v",
                        help="with --full: count (q·kᵀ)·v (default, N²·D each) or q·(kᵀ·v) "
                        "(N·d·D each)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def energy_report(args: argparse.Namespace) -> dict[str, Any]:
    """Everything `sdmf energy` prints, as a dict."""
    setup = load_setup(args)
    model = setup.model
    mode = "full" if args.full else "paper"
    run = partial(measure_energy, mode=mode, attn_order=args.attn_order,
                  progress=setup.progress, total=setup.n_batches)
    report = run(model, setup.batches(), desc=model.cfg.name)
    report["checkpoint"] = args.checkpoint
    report["trained"] = bool(setup.ckpt)
    report["dataset"] = setup.spec.to_dict()
    base, source = load_baseline(args, setup)
    if source == "self":
        base_report = {k: v for k, v in report.items() if k != "layers"}
    else:
        base_report = run(base, setup.batches(), desc=f"baseline {base.cfg.name}")
    report["baseline"] = base_report
    report["baseline_model"] = base.cfg.name
    report["baseline_source"] = source
    report["baseline_checkpoint"] = args.baseline_checkpoint
    report["baseline_total_energy_mJ"] = base_report["total_energy_mJ"]
    report["ratio"] = report["total_energy_mJ"] / base_report["total_energy_mJ"]
    report["notes"] = setup.notes
    return report


def _text(r: dict[str, Any]) -> str:
    ds = r["dataset"]
    origin = f"checkpoint {r['checkpoint']}" if r["checkpoint"] else "UNTRAINED"
    lines = [f"{r['model']} ({origin}) on {ds['name']}/{ds['split']}: {r['samples']} samples, "
             f"T = {r['T']}, mode {r['mode']}"
             + (f" (attention {r['attn_order']})" if r["mode"] == "full" else ""), ""]
    rows = [[x["name"], x["op"], x["flops"], x["flops_masked"],
             "-" if x["op"] == "MAC" else x["input_rate"], x["energy_pJ"] * 1e-6]
            for x in r["layers"]]
    lines.append(format_table(["layer", "op", "FLOPs", "F_M", "input rate", "energy µJ"], rows))
    lines += ["", f"total                {r['total_energy_mJ']:.4f} mJ per sample "
              f"(E_MAC {r['E_MAC_pJ']} pJ, E_AC {r['E_AC_pJ']} pJ)"]
    lines.append(f"baseline {r['baseline_model']:<11} {r['baseline_total_energy_mJ']:.4f} mJ "
                 f"[{r['baseline_source']}]")
    lines.append(f"ratio                {100 * r['ratio']:.2f}%")
    lines += [f"note: {n}" for n in r["notes"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    report = energy_report(args)
    emit(report, args.json, _text(report))
    return 0
