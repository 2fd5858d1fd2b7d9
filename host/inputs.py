"""Checks of the frames a host is given, before anything reaches the device."""

from __future__ import annotations

from typing import Any

import numpy as np

from sdmf.device import DeviceInterface

from .errors import InputError


def as_batch(frames: Any, iface: DeviceInterface) -> np.ndarray:
    """``frames`` as ``[N, T, C, H, W]`` (one sample ``[T, C, H, W]`` gets N = 1).

    Accepted: integer and bool arrays, and float arrays whose values are integers
    (dataset frames); :class:`InputError` names the expected and the given shape or
    dtype, or the first bad value. Counts are not changed here (see :func:`count_saturated`).
    """
    T, C, H, W = iface.input_shape
    want = f"[N, {T}, {C}, {H}, {W}] (or one sample [{T}, {C}, {H}, {W}])"
    try:
        a = np.asarray(frames)
    except (TypeError, ValueError) as e:
        raise InputError(f"frames must be an array {want} of event counts: {e}") from None
    if a.ndim == 4:
        a = a[None]
    if a.ndim != 5 or tuple(a.shape[1:]) != tuple(iface.input_shape):
        raise InputError(f"frames must have shape {want}, got {tuple(a.shape)}")
    if a.shape[0] == 0:
        raise InputError(f"frames hold no sample (shape {tuple(a.shape)})")
    kind = a.dtype.kind
    if kind not in "biuf":
        raise InputError(f"frames must hold integer event counts (an integer, bool or "
                         f"integral float dtype), got dtype {a.dtype}")
    if kind in "iu" and a.min() < 0:
        raise InputError(f"frames must be non-negative counts, found {a.min()} at index "
                         f"{_where(a < 0)}")
    if kind == "f":
        bad = ~np.isfinite(a) | (a < 0) | (a != np.floor(a))
        if bad.any():
            raise InputError(f"frames must be non-negative integer counts, found "
                             f"{a[bad][0]} ({a.dtype}) at index {_where(bad)}")
    return a


def count_saturated(batch: np.ndarray, in_bits: int) -> int:
    """Counts above ``2^in_bits − 1``: the device takes them saturated, as the IR's
    ``input`` op does (docs/integer-semantics.md)."""
    if batch.dtype.kind == "b":
        return 0
    return int(np.count_nonzero(batch > (1 << in_bits) - 1))


def _where(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


__all__ = ["as_batch", "count_saturated"]
