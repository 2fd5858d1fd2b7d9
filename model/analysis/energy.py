"""The paper's operation-level energy model (Table 2), with measured firing rates.

Per layer and inference::

    first SPS conv (real-valued event counts):  E = E_MAC · F · T
    every other synaptic layer:                 E = E_AC  · F_M · T · S_in

``E_MAC = 4.6 pJ``, ``E_AC = 0.9 pJ`` (45 nm), ``F``/``F_M`` from
:mod:`.flops`, ``T`` the time steps, ``S_in`` the firing rate of the layer's
input measured by :mod:`.hooks` — averaged over the input channels that
survive pruning, so that ``F_M·T·S_in`` is exactly the number of accumulates
the pruned layer performs. ``mode="paper"`` counts the layers of Table 2;
``mode="full"`` adds the attention products and the head. See docs/energy.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch

from ..transformer import SpikingTransformer
from .flops import AttnOrder, LayerSpec, layer_specs
from .hooks import Probe, RateStats, collect, input_probes, output_probes

E_MAC_PJ = 4.6
E_AC_PJ = 0.9
Mode = Literal["paper", "full"]


@dataclass(frozen=True)
class LayerEnergy:
    """One row of the energy table."""

    name: str
    group: str
    kind: str
    op: str
    flops: int
    flops_masked: int
    input_rate: float  # S_in over the surviving input channels (1 for the MAC layer)
    input_rate_all: float  # mean over every input channel (pruned ones included)
    energy_pJ: float  # noqa: N815

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def energy_probes(model: SpikingTransformer, mode: Mode = "paper") -> dict[str, Probe]:
    """The probes :func:`estimate_energy` needs (``in:…`` inputs, ``out:…`` q/k/v spikes)."""
    probes = {f"in:{k}": p for k, p in input_probes(model).items()}
    if mode == "full":
        probes |= {f"out:{k}": p for k, p in output_probes(model).items()
                   if k.rsplit(".", 1)[-1] in ("q", "k", "v")}
    return probes


def layer_energy(spec: LayerSpec, stats: dict[str, RateStats],
                 T: int) -> LayerEnergy:
    """Energy of one layer from its spec and the measured rates."""
    st = stats.get(spec.probe)
    if st is None:
        raise KeyError(f"no firing-rate statistic {spec.probe!r} for layer {spec.name}")
    rate_all = st.rate
    if spec.op == "MAC":
        rate, energy = 1.0, E_MAC_PJ * spec.flops_masked * T
    else:
        rate = st.rate_over(spec.rate_channels)
        energy = E_AC_PJ * spec.flops_masked * T * rate
    return LayerEnergy(spec.name, spec.group, spec.kind, spec.op, spec.flops, spec.flops_masked,
                       rate, rate_all, energy)


def estimate_energy(model: SpikingTransformer, stats: dict[str, RateStats],
                    T: int,
                    mode: Mode = "paper", attn_order: AttnOrder = "qk_v") -> dict[str, Any]:
    """The energy report for ``model`` given measured ``stats`` (from :func:`energy_probes`)."""
    if mode not in ("paper", "full"):
        raise ValueError(f"mode must be 'paper' or 'full', got {mode!r}")
    rows = [layer_energy(s, stats, T) for s in layer_specs(model, mode == "full", attn_order)]
    total_pj = sum(r.energy_pJ for r in rows)
    by_group: dict[str, float] = {}
    for r in rows:
        by_group[r.group] = by_group.get(r.group, 0.0) + r.energy_pJ * 1e-9
    return {
        "model": model.cfg.name,
        "mode": mode,
        "attn_order": attn_order if mode == "full" else None,
        "T": T,
        "E_MAC_pJ": E_MAC_PJ,
        "E_AC_pJ": E_AC_PJ,
        "flops": sum(r.flops for r in rows),
        "flops_masked": sum(r.flops_masked for r in rows),
        "total_energy_mJ": total_pj * 1e-9,
        "energy_by_group_mJ": by_group,
        "layers": [r.to_dict() for r in rows],
    }


def measure_energy(model: SpikingTransformer,
                   batches: Iterable[tuple[torch.Tensor, torch.Tensor]], mode: Mode = "paper",
                   attn_order: AttnOrder = "qk_v", desc: str = "energy", progress: bool = True,
                   total: int | None = None) -> dict[str, Any]:
    """Measure firing rates over ``batches`` and return :func:`estimate_energy`'s report."""
    stats, info = collect(model, batches, energy_probes(model, mode), desc, progress, total)
    if info.samples == 0:
        raise ValueError("no samples to measure firing rates on")
    report = estimate_energy(model, stats, info.T, mode, attn_order)
    report["samples"] = info.samples
    report["accuracy"] = info.accuracy
    # > 1 where the residual stream carries counts (several spikes added up)
    report["max_block_input"] = max(st.max for k, st in stats.items()
                                    if k.startswith("in:blocks"))
    return report
