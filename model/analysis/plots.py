"""PNG plots of the analyses (matplotlib, Agg backend, no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from .figures import COMPONENTS, RATE_COMPONENTS


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _grouped_bars(ax: Any, groups: list[str], series: dict[str, list[float]],
                  hatches: dict[str, str] | None = None) -> None:
    n = max(len(series), 1)
    width = 0.8 / n
    x = np.arange(len(groups))
    for j, (label, values) in enumerate(series.items()):
        ax.bar(x + (j - (n - 1) / 2) * width, values, width, label=label,
               hatch=(hatches or {}).get(label))
    ax.set_xticks(x, groups)


def plot_masking_ratios(ratios: dict[str, dict[str, float]], path: Path, title: str) -> Path:
    """Fig. 5: masked-channel ratio of every component, one bar per block."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    comps = list(COMPONENTS)
    _grouped_bars(ax, comps, {blk: [r[c] for c in comps] for blk, r in ratios.items()})
    ax.set_ylim(0, 1)
    ax.set_ylabel("masked channel ratio")
    ax.set_title(title)
    ax.legend()
    return _save(fig, path)


def plot_component_rates(rates: dict[str, dict[str, dict[str, dict[str, Any]]]], path: Path,
                         title: str) -> Path:
    """Fig. 6: channel-averaged output firing rates, models side by side per component.

    ``rates``: legend label → :func:`~.figures.component_rates` result; bars
    use the ``active`` value, and the model's all-channel value is drawn
    hatched when it differs.
    """
    first = next(iter(rates.values()))
    groups = [f"{blk} {c}" if len(first) > 1 else c for blk in first for c in RATE_COMPONENTS]
    series: dict[str, list[float]] = {}
    hatches: dict[str, str] = {}
    for label, per_block in rates.items():
        active = [per_block[b][c]["active"] for b in per_block for c in RATE_COMPONENTS]
        every = [per_block[b][c]["all"] for b in per_block for c in RATE_COMPONENTS]
        series[label] = active
        if not np.allclose(active, every):
            series[f"{label} (all channels)"] = every
            hatches[f"{label} (all channels)"] = "//"
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(groups)), 3.6))
    _grouped_bars(ax, groups, series, hatches)
    ax.set_ylabel("firing rate S_Conv")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return _save(fig, path)


def _kde(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Gaussian KDE on a grid, or None (constant data, < 2 samples, or no scipy)."""
    if values.size < 2 or float(np.var(values)) <= 0:
        return None
    try:
        from scipy.stats import gaussian_kde
    except ImportError:
        return None
    try:
        kde = gaussian_kde(values)
    except (np.linalg.LinAlgError, ValueError):
        return None
    pad = 3 * float(np.std(values))
    grid = np.linspace(max(0.0, values.min() - pad), min(1.0, values.max() + pad), 200)
    return grid, kde(grid)


def plot_inactive_distribution(ratios: list[float], channels: int, path: Path,
                               title: str) -> tuple[Path, bool]:
    """Fig. 1a: histogram and KDE of the per-sample inactive-channel ratio; ``(path, kde?)``.

    The ratio is a multiple of ``1/channels``; bins are at least that wide.
    """
    values = np.asarray(ratios, dtype=float)
    step = 1.0 / channels
    width = max(step, step * np.ceil((values.max() - values.min()) / (30 * step)))
    edges = np.arange(values.min() - width / 2, values.max() + width, width)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.hist(values, bins=edges, density=True, alpha=0.4, label="samples")
    curve = _kde(values)
    if curve is not None:
        ax.plot(*curve, label="KDE")
    mean, median = float(values.mean()), float(np.median(values))
    ax.axvline(mean, color="C3", linestyle="--", label=f"mean {mean:.3f}")
    ax.axvline(median, color="C2", linestyle=":", label=f"median {median:.3f}")
    ax.set_xlabel("inactive-channel ratio")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return _save(fig, path), curve is not None


def plot_channel_rates(rates: list[float], path: Path, title: str) -> Path:
    """Fig. 1b: firing rate of every channel for one sample; inactive channels marked."""
    values = np.asarray(rates, dtype=float)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.bar(np.arange(values.size), values, width=1.0)
    dead = np.flatnonzero(values == 0)
    if dead.size:
        ax.plot(dead, np.zeros(dead.size), "|", color="C3", markersize=8,
                label=f"{dead.size} inactive channels")
        ax.legend(fontsize="small")
    ax.set_xlim(-0.5, values.size - 0.5)
    ax.set_xlabel("channel")
    ax.set_ylabel("firing rate")
    ax.set_title(title)
    return _save(fig, path)


def plot_layer_rates(rates: dict[str, dict[str, float]], path: Path, title: str) -> Path:
    """Input firing rate (mean value) of every synaptic layer, models side by side."""
    names: list[str] = []
    for per_model in rates.values():  # merge, keeping each model's forward order
        pos = 0
        for n in per_model:
            if n in names:
                pos = names.index(n) + 1
            else:
                names.insert(pos, n)
                pos += 1
    series = {label: [per_model.get(n, np.nan) for n in names]
              for label, per_model in rates.items()}
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(names) + 1.5))
    n, height = len(series), 0.8 / max(len(series), 1)
    y = np.arange(len(names))
    for j, (label, values) in enumerate(series.items()):
        ax.barh(y + (j - (n - 1) / 2) * height, values, height, label=label)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel("input firing rate (mean value per element)")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return _save(fig, path)


def plot_rate_comparison(layers: list[str], series: dict[str, list[float | None]], path: Path,
                         title: str) -> Path:
    """Per-layer firing rates of several networks as grouped bars (None: no such layer)."""
    fig, ax = plt.subplots(figsize=(max(6.0, 0.5 * len(layers)), 4))
    clean = {k: [np.nan if v is None else v for v in vs] for k, vs in series.items()}
    _grouped_bars(ax, layers, clean)
    ax.set_ylabel("firing rate")
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=60)
    ax.legend()
    return _save(fig, Path(path))
