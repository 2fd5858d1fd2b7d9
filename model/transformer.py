"""The spiking transformer that is Spikformer or SDMFormer depending on its config."""

from __future__ import annotations

import torch
from torch import nn

from .config import ModelConfig
from .layers import ConvUnit, EncoderBlock, SpikingPatchSplitting
from .mask import ChannelMask


class SpikingTransformer(nn.Module):
    """SPS → L encoder blocks → mean over tokens and time → linear head.

    Input: event-count frames ``[B, T, 2, H, W]``; output: logits ``[B, classes]``.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.patch_embed = SpikingPatchSplitting(cfg.in_channels, cfg.dim, cfg.img_size,
                                                 cfg.pos_embed)
        self.blocks = nn.ModuleList(
            EncoderBlock(cfg.dim, cfg.heads, cfg.mlp_ratio, cfg.attn_scale, cfg.attn_threshold,
                         cfg.masked, cfg.mask_init, cfg.mlp_residual)
            for _ in range(cfg.depth)
        )
        self.head = nn.Linear(cfg.dim, cfg.num_classes)
        nn.init.trunc_normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, T, 2, H, W]`` → token-averaged features ``[T, B, D]``."""
        if x.dim() != 5:
            raise ValueError(f"expected input [B, T, C, H, W], got shape {tuple(x.shape)}")
        x = self.patch_embed(x.transpose(0, 1).contiguous())
        for block in self.blocks:
            x = block(x)
        return x.mean(3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x).mean(0))

    def conv_units(self) -> dict[str, ConvUnit]:
        """Every 1×1 conv unit by qualified name (``blocks.0.attn.q`` …)."""
        return {name: m for name, m in self.named_modules() if isinstance(m, ConvUnit)}

    def masks(self) -> dict[str, ChannelMask]:
        """Every channel mask by the qualified name of its conv unit."""
        return {name: u.mask for name, u in self.conv_units().items() if u.mask is not None}
