"""``sdmf analyze``: run the model (and its Spikformer baseline) once, write plots and JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from sdmf.io import write_json

from ..pruning import prune_plan
from ..transformer import SpikingTransformer
from . import plots
from .figures import (
    INACTIVE_LAYER,
    component_rates,
    inactive_summary,
    layer_rate_table,
    masking_ratios,
)
from .hooks import Probe, RateStats, RunInfo, collect, input_probes, output_probes
from .inputs import batches


def analysis_probes(model: SpikingTransformer) -> dict[str, Probe]:
    """Inputs of every synaptic layer (``in:``) and every unit's spikes (``out:``)."""
    probes = {f"in:{k}": p for k, p in input_probes(model).items()}
    outs = output_probes(model, per_sample=(INACTIVE_LAYER,))
    return probes | {f"out:{k}": p for k, p in outs.items()}


def _measure(model: SpikingTransformer, dataset: Dataset, batch_size: int, desc: str,
             progress: bool) -> tuple[dict[str, RateStats], RunInfo]:
    total = -(-len(dataset) // batch_size)
    return collect(model, batches(dataset, batch_size), analysis_probes(model), desc, progress,
                   total)


def run_analysis(model: SpikingTransformer, baseline: SpikingTransformer, baseline_source: str,
                 dataset: Dataset, batch_size: int, out_dir: str | Path, progress: bool = True,
                 meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Measure, plot into ``out_dir`` and write ``out_dir/analysis.json``; returns the JSON dict.

    ``baseline_source`` is ``"checkpoint"``, ``"untrained"`` or ``"self"`` (see
    :func:`sdmf.cli.energy.load_baseline`); Fig. 1 uses the baseline only when it
    is a trained checkpoint, otherwise ``model``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan = prune_plan(model)
    stats, info = _measure(model, dataset, batch_size, model.cfg.name, progress)
    if baseline is model:
        b_stats, b_info = stats, info
    else:
        b_stats, b_info = _measure(baseline, dataset, batch_size, f"baseline {baseline.cfg.name}",
                                   progress)
    m_label = model.cfg.name
    b_label = f"{baseline.cfg.name} ({baseline_source})"
    result: dict[str, Any] = {
        **(meta or {}),
        "model": model.cfg.name, "baseline_model": baseline.cfg.name,
        "baseline_source": baseline_source, "samples": info.samples, "T": info.T,
        "accuracy": {"model": info.accuracy, "baseline": b_info.accuracy},
        "plots": {},
    }

    # Fig. 5 — masking ratios
    masking = masking_ratios(model, plan)
    result["masking_ratios"] = masking
    values = [v for blk in masking.values() for v in blk.values()]
    result["masking_ratio_mean"] = sum(values) / len(values)
    result["plots"]["masking_ratios"] = plots.plot_masking_ratios(
        masking, out / "masking_ratios.png", f"Masked channel ratio — {m_label}").name

    # Fig. 6 — channel-averaged firing rates at the Q, K, V and MLP outputs
    rates = {"model": component_rates(model, stats, plan=plan)}
    legend = {m_label: rates["model"]}
    if baseline is not model:
        rates["baseline"] = component_rates(baseline, b_stats)
        legend = {b_label: rates["baseline"], **legend}
    result["firing_rates"] = rates
    result["plots"]["firing_rates"] = plots.plot_component_rates(
        legend, out / "firing_rates.png", "Channel-averaged firing rate at unit outputs").name

    # Fig. 1 — inactive channels after one SSA block
    fig1_is_baseline = baseline_source == "checkpoint"
    f_model, f_stats = (baseline, b_stats) if fig1_is_baseline else (model, stats)
    inactive = inactive_summary(f_stats[f"out:{INACTIVE_LAYER}"].sample_channel_rates())
    inactive |= {"model": "baseline" if fig1_is_baseline else "model",
                 "model_name": f_model.cfg.name, "layer": INACTIVE_LAYER}
    path, has_kde = plots.plot_inactive_distribution(
        inactive["per_sample"], inactive["channels"], out / "inactive_channels.png",
        f"Inactive-channel ratio after one SSA block — {f_model.cfg.name}")
    inactive["kde"] = has_kde
    result["inactive_channels"] = inactive
    result["plots"]["inactive_channels"] = path.name
    rep = inactive["representative_sample"]
    result["plots"]["channel_rates"] = plots.plot_channel_rates(
        inactive["representative_channel_rates"], out / "channel_rates.png",
        f"Per-channel firing rate after one SSA block, sample {rep} — {f_model.cfg.name}").name

    # per-layer firing rates
    result["layer_rates"] = {"model": layer_rate_table(stats)}
    layer_inputs = {m_label: result["layer_rates"]["model"]["inputs"]}
    if baseline is not model:
        result["layer_rates"]["baseline"] = layer_rate_table(b_stats)
        layer_inputs[b_label] = result["layer_rates"]["baseline"]["inputs"]
    result["plots"]["layer_rates"] = plots.plot_layer_rates(
        layer_inputs, out / "layer_rates.png", "Input firing rate per layer").name

    write_json(out / "analysis.json", result)
    return result
