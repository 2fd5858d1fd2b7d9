"""digits-dvs: scikit-learn's 8×8 handwritten digits seen by an emulated DVS.

No download: the 1797 digits ship inside scikit-learn (``load_digits``). Each image
becomes an event stream, N-MNIST style:

* **Scene.** Digit values 0..16 map to relative intensity ``b + (1-b)*v/16`` with a
  background ``b`` = 0.2 (ink 5× brighter than the background, roughly a monitor's
  contrast as in N-MNIST; never zero, so the log stays finite). The scene is the
  bilinear (tent-kernel) interpolation of the 8×8 image, i.e. the digit is upsampled
  to the sensor: it spans ``fill`` = 75 % of the ``size``×``size`` sensor (48 px at
  the default 64) and is centred on it.
* **Saccades.** The sensor makes three straight micro-saccades at constant speed
  that trace an equilateral triangle (side ``amplitude`` = 0.5 digit pixels = 3
  sensor px at 64, centred on the rest position), each ``saccade_us`` = 100 ms long:
  300 ms per sample, as N-MNIST was recorded. Motion is sub-pixel (bilinear), sampled
  on a grid of ``steps`` = 30 time steps per saccade.
* **Pixels.** Every pixel compares its log intensity ``L`` with a reference level
  ``L_ref`` set by its last event (initially ``L`` at t = 0). At each step it emits
  ``n = floor(|L - L_ref| / C)`` events (contrast threshold ``C`` = 0.3; ON when ``L``
  rose, OFF when it fell) and moves ``L_ref`` by ``n*C`` towards ``L``. The k-th
  event's timestamp is where ``L``, linear within the step, crosses ``L_ref ± k*C``
  (rounded to whole µs). No noise, no refractory period: fully deterministic.
  About 2.5k events per digit at 64×64 (1.9k–3.6k; ≈ 33 KB per file, ≈ 60 MB for all
  1797).

Streams are stored in tonic's event format (:data:`~.framing.EVENT_DTYPE`, time
sorted) as one ``.npy`` per sample under
``<cache_dir>/digits-dvs/events-v<EMULATOR_VERSION>-s<size>/<index:04d>.npy``.

Split: per class, in scikit-learn's order, the first ``floor(4n/5)`` samples train
and the rest test: 1433 train / 364 test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .cache import save_array
from .framing import EVENT_DTYPE

# Bump whenever a change alters the generated events (invalidates the event cache).
EMULATOR_VERSION = 1
_BATCH = 32
_TOL = 1e-6   # firing tolerance in units of C, see emulate()


@dataclass(frozen=True)
class EmulatorConfig:
    """The DVS emulator's parameters (see the module docstring)."""

    size: int = 64
    fill: float = 0.75
    background: float = 0.2
    threshold: float = 0.3
    amplitude: float = 0.5
    saccade_us: int = 100_000
    steps: int = 30

    @property
    def scale(self) -> float:
        """Sensor pixels per digit pixel."""
        return self.fill * self.size / 8


def saccade_path(cfg: EmulatorConfig) -> tuple[np.ndarray, np.ndarray]:
    """Image offsets ``[K, 2]`` (sensor px, x/y) and times ``[K]`` (µs) of the time grid."""
    a = cfg.amplitude * cfg.scale
    corners = np.array([[0.0, 0.0], [a, 0.0], [a / 2, a * np.sqrt(3) / 2]])
    corners -= corners.mean(axis=0)
    frac = np.arange(1, cfg.steps + 1) / cfg.steps
    points = [corners[:1]]
    for k in range(3):
        start, end = corners[k], corners[(k + 1) % 3]
        points.append(start + (end - start) * frac[:, None])
    offsets = np.concatenate(points)
    times = np.rint(np.linspace(0, 3 * cfg.saccade_us, len(offsets))).astype(np.int64)
    return offsets, times


def _taps(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bilinear taps of positions (digit pixel units, centres at 0..7) into a 1-padded axis.

    Returns ``(i, w0, w1)``: sample = ``w0 * a[i] + w1 * a[i + 1]`` where ``a`` is the
    axis padded with one zero on each side (so beyond the digit reads background).
    """
    i = np.clip(np.floor(coords), -1, 7).astype(np.int64)
    w0 = np.maximum(0.0, 1.0 - np.abs(coords - i))
    w1 = np.maximum(0.0, 1.0 - np.abs(coords - i - 1))
    return i + 1, w0, w1


def iter_intensity(images: np.ndarray, cfg: EmulatorConfig) -> Iterator[np.ndarray]:
    """Relative intensity on the sensor at each time step, as ``[y, B*x]`` arrays.

    Row ``y``, column ``b*size + x`` is pixel ``(x, y)`` of digit ``b``. Plain
    element-wise arithmetic (no BLAS), so results do not depend on threading.
    """
    offsets, _ = saccade_path(cfg)
    S, B = cfg.size, len(images)
    centre = np.arange(S) + 0.5 - S / 2
    jx, ax, bx = _taps((centre[None, :] - offsets[:, :1]) / cfg.scale + 3.5)   # [K, S]
    iy, ay, by = _taps((centre[None, :] - offsets[:, 1:]) / cfg.scale + 3.5)
    contrast = np.zeros((B, 10, 10))
    contrast[:, 1:9, 1:9] = (1.0 - cfg.background) * images / 16.0
    # columns for every step at once: [B, 10, K, S] -> [K, 10, B, S]
    cols = contrast[:, :, jx] * ax + contrast[:, :, jx + 1] * bx
    cols = np.ascontiguousarray(cols.transpose(2, 1, 0, 3))
    for k in range(len(offsets)):
        rows = (cols[k, iy[k]] * ay[k][:, None, None]
                + cols[k, iy[k] + 1] * by[k][:, None, None])                # [S, B, S]
        yield rows.reshape(S, B * S) + cfg.background


def emulate(images: np.ndarray, cfg: EmulatorConfig | None = None) -> list[np.ndarray]:
    """Event streams (``EVENT_DTYPE``, time sorted) for a batch of ``[B, 8, 8]`` digits.

    The firing test ``|L - L_ref| >= C`` is first screened on intensity ratios (with
    a little slack) so that logs are taken only at pixels that may fire; the event
    count is then computed in the log domain with a ``1e-6 C`` tolerance, so that a
    return exactly to an earlier level (the saccade triangle closes) fires
    consistently instead of by rounding luck.
    """
    cfg = cfg or EmulatorConfig()
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (8, 8):
        raise ValueError(f"expected [B, 8, 8] digit images, got shape {images.shape}")
    _, times = saccade_path(cfg)
    C, S, B = cfg.threshold, cfg.size, len(images)
    up, down = np.exp(C * (1 - 1e-3)), np.exp(-C * (1 - 1e-3))
    steps = iter_intensity(images, cfg)
    before = next(steps).ravel()
    ref = np.log(before)                       # L_ref per pixel
    ref_lin = before.copy()                    # exp(L_ref)
    parts = []
    for k, frame in enumerate(steps, start=1):
        now = frame.ravel()
        ratio = now / ref_lin
        fire = np.flatnonzero((ratio >= up) | (ratio <= down))
        if fire.size:
            l_now, l_before = np.log(now[fire]), np.log(before[fire])
            diff = l_now - ref[fire]
            count = np.floor(np.abs(diff) / C + _TOL).astype(np.int64)
            keep = count > 0
            fire, count, diff, l_now, l_before = (
                a[keep] for a in (fire, count, diff, l_now, l_before))
            sign = np.sign(diff)
            kth = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + 1
            level = np.repeat(ref[fire], count) + np.repeat(sign, count) * kth * C
            l0, rise = np.repeat(l_before, count), np.repeat(l_now - l_before, count)
            frac = np.clip((level - l0) / np.where(rise == 0, 1.0, rise), 0.0, 1.0)
            t = times[k - 1] + np.rint(frac * (times[k] - times[k - 1])).astype(np.int64)
            parts.append((np.repeat(fire, count), t, np.repeat(sign > 0, count)))
            ref[fire] += sign * count * C
            ref_lin[fire] = np.exp(ref[fire])
        before = now
    who = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    t = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    on = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, bool)
    y, rest = np.divmod(who, B * S)
    owner, x = np.divmod(rest, S)
    order = np.lexsort((t, owner))
    owner, x, y, t, on = owner[order], x[order], y[order], t[order], on[order]
    bounds = np.searchsorted(owner, np.arange(B + 1))
    streams = []
    for i in range(B):
        sl = slice(bounds[i], bounds[i + 1])
        ev = np.empty(sl.stop - sl.start, EVENT_DTYPE)
        ev["x"], ev["y"], ev["t"], ev["p"] = x[sl], y[sl], t[sl], on[sl]
        streams.append(ev)
    return streams


def load_digit_images() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: images ``[1797, 8, 8]`` (0..16) and labels ``[1797]``."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images.astype(np.uint8), digits.target.astype(np.int64)


def digits_split(labels: np.ndarray, split: str) -> list[int]:
    """Indices of ``split``: per class, the first ``floor(4n/5)`` in sklearn order train."""
    out = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        n_train = 4 * len(idx) // 5
        out.extend((idx[:n_train] if split == "train" else idx[n_train:]).tolist())
    return sorted(out)


def events_dir(cache_dir: str | Path, size: int) -> Path:
    """Where the event streams of sensor size ``size`` live."""
    return Path(cache_dir) / "digits-dvs" / f"events-v{EMULATOR_VERSION}-s{size}"


def generate_events(cache_dir: str | Path, size: int, indices: list[int], *,
                    progress: bool = True) -> Path:
    """Write the missing event files for ``indices`` (atomically); return their folder."""
    folder = events_dir(cache_dir, size)
    missing = [i for i in indices if not (folder / f"{i:04d}.npy").exists()]
    if not missing:
        return folder
    images, _ = load_digit_images()
    cfg = EmulatorConfig(size=size)
    with tqdm(total=len(missing), desc=f"digits-dvs events ({size}x{size})",
              disable=not progress, leave=False) as bar:
        for start in range(0, len(missing), _BATCH):
            batch = missing[start:start + _BATCH]
            for i, events in zip(batch, emulate(images[batch], cfg), strict=True):
                save_array(folder / f"{i:04d}.npy", events)
            bar.update(len(batch))
    return folder


class DigitsSource:
    """Event source over the generated digits-dvs files of one split."""

    def __init__(self, folder: Path, indices: list[int], labels: list[int], size: int) -> None:
        self.folder = folder
        self.indices = indices
        self.labels = labels
        self.canvas = (size, size)
        self.source_tag = f"e{EMULATOR_VERSION}"

    def __len__(self) -> int:
        return len(self.indices)

    def key(self, index: int) -> str:
        return f"{self.indices[index]:04d}"

    def read(self, index: int) -> np.ndarray:
        path = self.folder / f"{self.indices[index]:04d}.npy"
        try:
            events = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise ValueError(f"{path}: unreadable digits-dvs event file ({exc}); "
                             "delete it to regenerate") from exc
        if events.dtype != EVENT_DTYPE or events.ndim != 1:
            raise ValueError(f"{path}: expected a 1-D array of {EVENT_DTYPE}, got "
                             f"{events.dtype} {events.shape}; delete it to regenerate")
        return events


def build_digits_dvs(split: str, *, size: int, cache_dir: str | Path,
                     progress: bool = True) -> DigitsSource:
    """Generate (if needed) the split's event streams and return their source."""
    _, labels = load_digit_images()
    indices = digits_split(labels, split)
    folder = generate_events(cache_dir, size, indices, progress=progress)
    return DigitsSource(folder, indices, [int(labels[i]) for i in indices], size)
