"""Event streams → count frames, and event-coordinate rescaling.

Events are numpy structured arrays with (at least) the fields ``x``, ``y``, ``t`` and
``p``, as tonic produces them. ``EVENT_DTYPE`` is tonic's ``DVSGesture.dtype``, the
format the embedded digits-dvs dataset stores its streams in.

Framing rule (SpikingJelly's ``split_by='number'``): with N events and T slices,
slice ``j`` covers events ``[j*(N//T), (j+1)*(N//T))`` for ``j < T-1`` and the last
slice covers ``[(T-1)*(N//T), N)``, i.e. it also takes the ``N % T`` remainder (and,
when ``N < T``, every event). Each slice is integrated into a ``[2, H, W]`` count
frame: channel 0 counts OFF events (``p`` false/0/negative), channel 1 ON events
(``p`` > 0).
"""

from __future__ import annotations

import numpy as np

# Bump whenever a change alters the frames produced from the same events (invalidates caches).
FRAMING_VERSION = 1

EVENT_DTYPE = np.dtype([("x", np.int16), ("y", np.int16), ("p", bool), ("t", np.int64)])

_FIELDS = ("x", "y", "t", "p")


def _check_events(events: np.ndarray) -> None:
    names = events.dtype.names or ()
    missing = [f for f in _FIELDS if f not in names]
    if events.ndim != 1 or missing:
        raise ValueError(f"events must be a 1-D structured array with fields x, y, t, p "
                         f"(got shape {events.shape}, fields {names})")


def slice_bounds(n: int, T: int) -> list[tuple[int, int]]:
    """``[(start, stop)]`` of the T equal-count slices of ``n`` events (last takes the rest)."""
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    step = n // T
    return [(j * step, (j + 1) * step if j < T - 1 else n) for j in range(T)]


def events_to_frames(events: np.ndarray, sensor_size: tuple[int, ...], T: int) -> np.ndarray:
    """Integrate ``events`` into ``[T, 2, H, W]`` int32 count frames.

    ``sensor_size`` is tonic's ``(W, H[, P])``. Events are taken in time order (a
    stable sort by ``t`` is applied only when the stream is not already sorted);
    events outside ``0 <= x < W``, ``0 <= y < H`` are dropped *before* slicing, so
    the frames sum to the number of in-range events. See the module docstring for
    the slicing rule.
    """
    _check_events(events)
    W, H = int(sensor_size[0]), int(sensor_size[1])
    if T < 1 or W < 1 or H < 1:
        raise ValueError(f"need T, W, H >= 1, got T={T}, sensor_size={tuple(sensor_size)}")
    t = events["t"]
    if t.size > 1 and np.any(t[1:] < t[:-1]):
        events = events[np.argsort(t, kind="stable")]
    x = events["x"].astype(np.int64)
    y = events["y"].astype(np.int64)
    keep = (x >= 0) & (x < W) & (y >= 0) & (y < H)
    x, y = x[keep], y[keep]
    on = events["p"][keep].astype(np.int64) > 0
    n = x.size
    step = n // T
    j = np.full(n, T - 1, np.int64) if step == 0 else np.minimum(np.arange(n) // step, T - 1)
    flat = ((j * 2 + on) * H + y) * W + x
    counts = np.bincount(flat, minlength=T * 2 * H * W)
    return counts.astype(np.int32).reshape(T, 2, H, W)


def fit_events(events: np.ndarray, canvas: tuple[int, int], size: int) -> np.ndarray:
    """Map events on a ``canvas = (W, H)`` into a ``size``×``size`` square, keeping aspect.

    Events outside the canvas are dropped; the rest get integer coordinates
    ``x' = x*size // M + pad_x`` (likewise ``y'``) with ``M = max(W, H)`` and the
    shorter side centred (``pad = (size - ceil(side*size/M)) // 2``, zero-filled).
    Downscaling by an integer factor is exact sum-pooling of the counts. Returns
    ``events`` unchanged when the canvas already is ``size``×``size``. The result
    has ``EVENT_DTYPE`` fields (x, y int16; p bool; t int64).
    """
    _check_events(events)
    W, H = int(canvas[0]), int(canvas[1])
    if W == H == size:
        return events
    if size < 1 or W < 1 or H < 1:
        raise ValueError(f"need positive sizes, got canvas={canvas}, size={size}")
    x = events["x"].astype(np.int64)
    y = events["y"].astype(np.int64)
    keep = (x >= 0) & (x < W) & (y >= 0) & (y < H)
    M = max(W, H)
    pad_x = (size - -(-W * size // M)) // 2
    pad_y = (size - -(-H * size // M)) // 2
    out = np.empty(int(keep.sum()), EVENT_DTYPE)
    out["x"] = x[keep] * size // M + pad_x
    out["y"] = y[keep] * size // M + pad_y
    out["t"] = events["t"][keep]
    out["p"] = events["p"][keep].astype(np.int64) > 0
    return out
