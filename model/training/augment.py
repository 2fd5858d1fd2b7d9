"""Event-frame augmentation applied to whole ``[T, C, H, W]`` samples.

Spikformer's DVS policy: a random horizontal flip (p = 0.5), then one operation
drawn uniformly from identity, shear-x (±0.3), translate (±5 px in x and in y),
rotate (±30°) and cutout (random erasing of an area fraction in [0.001, 0.11],
aspect ratio log-uniform in [0.3, 3.3]). Every time step and polarity channel of a
sample gets the same transform. Geometric operations use nearest-neighbour
sampling with zero fill (``affine_grid``/``grid_sample``), so event counts stay
integers. All random draws come from a ``numpy`` generator, a fixed number per
sample, so results depend only on the generator's seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

OPS = ("identity", "shear_x", "translate", "rotate", "cutout")


@dataclass(frozen=True)
class AugmentParams:
    """Ranges of the random operations."""

    flip_prob: float = 0.5
    shear: float = 0.3
    translate: float = 5.0
    rotate: float = 30.0
    erase_scale: tuple[float, float] = (0.001, 0.11)
    erase_ratio: tuple[float, float] = (0.3, 3.3)


def _affine_thetas(op: np.ndarray, shear: np.ndarray, shift: np.ndarray, angle: np.ndarray,
                   height: int, width: int) -> np.ndarray:
    """Per-sample ``[B, 2, 3]`` thetas for ``affine_grid`` (output → input mapping)."""
    B = op.shape[0]
    M = np.tile(np.eye(2), (B, 1, 1))
    t = np.zeros((B, 2))
    is_shear, is_shift, is_rot = op == 1, op == 2, op == 3
    M[is_shear, 0, 1] = shear[is_shear]
    t[is_shift] = -shift[is_shift]
    rad = np.deg2rad(angle[is_rot])
    M[is_rot] = np.stack([np.stack([np.cos(rad), np.sin(rad)], -1),
                          np.stack([-np.sin(rad), np.cos(rad)], -1)], -2)
    # Pixel coordinates centred on the image → normalised [-1, 1] (align_corners=False).
    S = np.diag([width / 2.0, height / 2.0])
    S_inv = np.diag([2.0 / width, 2.0 / height])
    theta = np.zeros((B, 2, 3))
    theta[:, :, :2] = S_inv @ M @ S
    theta[:, :, 2] = t @ S_inv.T
    return theta


def _erase_boxes(rng: np.random.Generator, size: tuple[int, int, int],
                 p: AugmentParams) -> np.ndarray:
    """``[B, 4]`` boxes ``(top, left, h, w)`` for cutout; ``size`` is ``(B, H, W)``."""
    B, H, W = size
    area = rng.uniform(*p.erase_scale, size=B) * H * W
    ratio = np.exp(rng.uniform(math.log(p.erase_ratio[0]), math.log(p.erase_ratio[1]), size=B))
    h = np.clip(np.rint(np.sqrt(area * ratio)), 1, H).astype(np.int64)
    w = np.clip(np.rint(np.sqrt(area / ratio)), 1, W).astype(np.int64)
    top = np.floor(rng.random(B) * (H - h + 1)).astype(np.int64)
    left = np.floor(rng.random(B) * (W - w + 1)).astype(np.int64)
    return np.stack([top, left, h, w], -1)


def augment_batch(x: torch.Tensor, rng: np.random.Generator,
                  params: AugmentParams | None = None) -> torch.Tensor:
    """Augment every sample of ``x`` ``[B, T, C, H, W]`` independently (returns a new tensor)."""
    p = params or AugmentParams()
    B, T, C, H, W = x.shape
    flip = rng.random(B) < p.flip_prob
    op = rng.integers(0, len(OPS), size=B)
    shear = rng.uniform(-p.shear, p.shear, size=B)
    shift = rng.uniform(-p.translate, p.translate, size=(B, 2))
    angle = rng.uniform(-p.rotate, p.rotate, size=B)
    boxes = _erase_boxes(rng, (B, H, W), p)

    flip_t = torch.from_numpy(flip).to(x.device).view(B, 1, 1, 1, 1)
    x = torch.where(flip_t, x.flip(-1), x)

    geo = np.flatnonzero((op >= 1) & (op <= 3))
    if geo.size:
        theta = torch.from_numpy(_affine_thetas(op[geo], shear[geo], shift[geo], angle[geo], H, W))
        theta = theta.to(device=x.device, dtype=torch.float32)
        idx = torch.from_numpy(geo).to(x.device)
        src = x[idx].reshape(len(geo), T * C, H, W)
        grid = F.affine_grid(theta, [len(geo), T * C, H, W], align_corners=False)
        out = F.grid_sample(src.float(), grid, mode="nearest", padding_mode="zeros",
                            align_corners=False).to(x.dtype)
        x = x.index_copy(0, idx, out.view(len(geo), T, C, H, W))

    cut = op == 4
    if cut.any():
        b = torch.from_numpy(boxes).to(x.device)
        rows = torch.arange(H, device=x.device).view(1, H, 1)
        cols = torch.arange(W, device=x.device).view(1, 1, W)
        inside = ((rows >= b[:, 0, None, None]) & (rows < (b[:, 0] + b[:, 2])[:, None, None])
                  & (cols >= b[:, 1, None, None]) & (cols < (b[:, 1] + b[:, 3])[:, None, None]))
        inside &= torch.from_numpy(cut).to(x.device).view(B, 1, 1)
        x = x.masked_fill(inside.view(B, 1, 1, H, W), 0)
    return x


class DVSAugment:
    """Callable per-sample transform ``[T, C, H, W] → [T, C, H, W]`` (dataset-side use)."""

    def __init__(self, seed: int | None = None, params: AugmentParams | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.params = params

    def __call__(self, frames: torch.Tensor) -> torch.Tensor:
        return augment_batch(frames.unsqueeze(0), self.rng, self.params)[0]
