"""Firing-rate probes: forward hooks that accumulate per-channel activity.

A :class:`Probe` watches the input or the output of one module. Every forward
pass adds the per-channel sum of the watched tensor and the number of elements
per channel, so after any number of batches the firing rate of a channel is
``sum / count`` — the mean over time steps, samples and positions. For binary
spike tensors that is the fraction of ones; for the residual stream (values 0,
1, 2, …) it is the mean value, i.e. the average number of accumulate
operations one element triggers in the next layer (docs/energy.md).

Inputs that carry SDMFormer's learnable position embedding (``x = spikes + P``)
are probed as ``x − P``: ``W·P`` is input-independent and folds into a
per-token bias, so only the integer part costs accumulates.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn
from tqdm import tqdm

from ..transformer import SpikingTransformer

Where = Literal["input", "output"]


@dataclass
class Probe:
    """What to watch: ``module``'s ``where`` tensor, channels on ``channel_dim``.

    ``offset`` is subtracted first (broadcast against the tensor). With
    ``sample_dim`` set, per-sample channel means are kept too (``[samples, C]``).
    """

    module: nn.Module
    where: Where = "input"
    channel_dim: int = 1
    offset: torch.Tensor | None = None
    sample_dim: int | None = None


@dataclass
class RateStats:
    """Accumulated activity of one probe."""

    channel_sum: torch.Tensor  # float64 [C]: sum of the probed values per channel
    count: int = 0  # elements per channel seen so far
    max: float = float("-inf")
    min: float = float("inf")
    per_sample: list[torch.Tensor] = field(default_factory=list)  # [B, C] channel means

    @property
    def channels(self) -> int:
        return self.channel_sum.numel()

    def channel_rates(self) -> torch.Tensor:
        """Firing rate (mean value) of every channel, ``[C]``."""
        return self.channel_sum / max(self.count, 1)

    @property
    def rate(self) -> float:
        """Mean over every channel, element, time step and sample."""
        return float(self.channel_rates().mean()) if self.channels else 0.0

    def rate_over(self, channels: tuple[int, ...] | list[int] | None) -> float:
        """Mean over the given channels only (all channels when ``None``; 0 when empty)."""
        if channels is None:
            return self.rate
        if len(channels) == 0:
            return 0.0
        return float(self.channel_rates()[list(channels)].mean())

    def sample_channel_rates(self) -> torch.Tensor:
        """Per-sample channel rates ``[samples, C]`` (needs a probe with ``sample_dim``)."""
        if not self.per_sample:
            return torch.zeros(0, self.channels, dtype=torch.float64)
        return torch.cat(self.per_sample)


def _update(stats: dict[str, RateStats], name: str, probe: Probe, x: torch.Tensor) -> None:
    x = x.detach()
    if probe.offset is not None:
        x = x - probe.offset.detach().to(x.device, x.dtype)
    cdim = probe.channel_dim % x.dim()
    dims = [d for d in range(x.dim()) if d != cdim]
    channel_sum = x.sum(dim=dims, dtype=torch.float64).cpu()
    st = stats.get(name)
    if st is None:
        st = stats[name] = RateStats(torch.zeros_like(channel_sum))
    st.channel_sum += channel_sum
    st.count += x.numel() // x.shape[cdim]
    st.max = max(st.max, float(x.max()))
    st.min = min(st.min, float(x.min()))
    if probe.sample_dim is not None:
        sdim = probe.sample_dim % x.dim()
        rest = [d for d in range(x.dim()) if d not in (cdim, sdim)]
        per = x.mean(dim=rest, dtype=torch.float64) if rest else x.to(torch.float64)
        if sdim > cdim:  # remaining dims are (channel, sample) in that order
            per = per.transpose(0, 1)
        st.per_sample.append(per.cpu())


@contextlib.contextmanager
def record_rates(probes: dict[str, Probe]) -> Iterator[dict[str, RateStats]]:
    """Attach ``probes`` for the duration of the ``with`` block; yields the live stats dict."""
    stats: dict[str, RateStats] = {}
    handles = []
    for name, probe in probes.items():
        if probe.where == "input":
            def pre_hook(_m, args, name=name, probe=probe):
                _update(stats, name, probe, args[0])
            handles.append(probe.module.register_forward_pre_hook(pre_hook))
        else:
            def hook(_m, _args, out, name=name, probe=probe):
                _update(stats, name, probe, out)
            handles.append(probe.module.register_forward_hook(hook))
    try:
        yield stats
    finally:
        for h in handles:
            h.remove()


def _stream_offsets(model: SpikingTransformer) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """The LPE as seen by a folded conv input ``[1, D, N]`` and by the head ``[1, D]``."""
    lpe = model.patch_embed.lpe
    if lpe is None:
        return None, None
    return lpe[0], lpe.mean(dim=-1)[0]


def input_probes(model: SpikingTransformer) -> dict[str, Probe]:
    """One probe on the input of every synaptic layer, keyed by energy-layer name.

    ``sps.i`` (stage convs), ``rpe`` (Spikformer), ``blocks.i.attn.{q,k,v,proj}``,
    ``blocks.i.mlp.{fc1,fc2}`` and ``head``. Conv inputs are ``[T·B, C, …]``.
    """
    conv_off, head_off = _stream_offsets(model)
    probes: dict[str, Probe] = {}
    pe = model.patch_embed
    for i, stage in enumerate(pe.stages):
        probes[f"sps.{i}"] = Probe(stage.conv)
    if pe.rpe is not None:
        probes["rpe"] = Probe(pe.rpe.conv)
    for i, block in enumerate(model.blocks):
        attn, mlp = block.attn, block.mlp
        for part in ("q", "k", "v"):
            probes[f"blocks.{i}.attn.{part}"] = Probe(getattr(attn, part).conv, offset=conv_off)
        probes[f"blocks.{i}.attn.proj"] = Probe(attn.proj.conv)
        probes[f"blocks.{i}.mlp.fc1"] = Probe(mlp.fc1.conv, offset=conv_off)
        fc2_off = conv_off if mlp.residual == "each" else None
        probes[f"blocks.{i}.mlp.fc2"] = Probe(mlp.fc2.conv, offset=fc2_off)
    probes["head"] = Probe(model.head, offset=head_off)
    return probes


def output_probes(model: SpikingTransformer, per_sample: tuple[str, ...] = ()) -> dict[str, Probe]:
    """Probes on the spike outputs ``[T, B, C, N]`` of every conv unit and attention LIF.

    Keys are module names (``blocks.0.attn.q``, ``blocks.0.attn.attn_lif`` …);
    names listed in ``per_sample`` also keep per-sample channel rates.
    """
    probes: dict[str, Probe] = {}
    for i, block in enumerate(model.blocks):
        mods = {"attn.q": block.attn.q, "attn.k": block.attn.k, "attn.v": block.attn.v,
                "attn.attn_lif": block.attn.attn_lif, "attn.proj": block.attn.proj,
                "mlp.fc1": block.mlp.fc1, "mlp.fc2": block.mlp.fc2}
        for part, mod in mods.items():
            name = f"blocks.{i}.{part}"
            probes[name] = Probe(mod, "output", channel_dim=2,
                                 sample_dim=1 if name in per_sample else None)
    return probes


@dataclass
class RunInfo:
    """What one measurement run saw."""

    samples: int = 0
    T: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.samples if self.samples else 0.0


@torch.no_grad()
def collect(model: SpikingTransformer, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
            probes: dict[str, Probe], desc: str = "forward", progress: bool = True,
            total: int | None = None) -> tuple[dict[str, RateStats], RunInfo]:
    """Run ``model`` (eval mode, no grad) over ``batches`` with ``probes`` attached."""
    model.eval()
    device = next(model.parameters()).device
    info = RunInfo()
    with record_rates(probes) as stats:
        for frames, labels in tqdm(batches, desc=desc, total=total, disable=not progress,
                                   unit="batch", leave=False):
            logits = model(frames.to(device))
            info.samples += frames.shape[0]
            info.T = frames.shape[1]
            info.correct += int((logits.argmax(-1).cpu() == labels).sum())
    return stats, info
