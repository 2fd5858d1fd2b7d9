"""Per-layer resource chart of a per-unit synthesis (``reports/synth_<family>.png``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

PANELS = (("LUTs (logic + memory)", ("LUT", "LUT_MEM")), ("FF", ("FF",)),
          ("BRAM18", ("BRAM18",)), ("DSP", ("DSP",)))


def plot_units(result: dict[str, Any], path: str | Path) -> Path:
    """One horizontal bar per instance (and the glue) in four panels; written atomically."""
    rows = [*result["units"], {"layer": "(glue)", **result["glue"]}]
    rows = [r for r in rows if any(r.get(k, 0) for _, keys in PANELS for k in keys)]
    labels = [r["layer"] for r in rows]
    y = np.arange(len(rows))
    fig, axes = plt.subplots(1, len(PANELS), sharey=True,
                             figsize=(3.2 * len(PANELS), 0.28 * len(rows) + 1.4))
    for ax, (title, keys) in zip(axes, PANELS):
        left = np.zeros(len(rows))
        for k in keys:
            vals = np.array([r.get(k, 0) for r in rows], dtype=float)
            ax.barh(y, vals, left=left, label=k if len(keys) > 1 else None)
            left += vals
        ax.set_title(f"{title}: {int(left.sum()):,}", fontsize=9)
        ax.tick_params(labelsize=7)
        if len(keys) > 1:
            ax.legend(fontsize=7)
    axes[0].set_yticks(y, labels)
    axes[0].invert_yaxis()
    fig.suptitle(f"Yosys synth_xilinx {result['family']}, per unit out of context", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
