"""Dataset layer: framing rule, on-disk formats read through build_dataset, digits-dvs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from sdmf.model.data import DATASETS, EVENT_DTYPE, build_dataset, events_to_frames, fit_events
from sdmf.model.data.aedat4 import AEDAT4_DTYPE, read_aedat4, write_aedat4
from sdmf.model.data.cache import default_cache_dir
from sdmf.model.data.digits_dvs import (
    EmulatorConfig,
    digits_split,
    emulate,
    events_dir,
    load_digit_images,
)
from sdmf.model.data.framing import slice_bounds

# ---------------------------------------------------------------- helpers


def make_events(n: int, w: int, h: int, seed: int, dtype: np.dtype = EVENT_DTYPE) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ev = np.zeros(n, dtype)
    ev["x"] = rng.integers(0, w, n)
    ev["y"] = rng.integers(0, h, n)
    ev["t"] = np.sort(rng.integers(0, 1_000_000, n))
    ev["p"] = rng.integers(0, 2, n).astype(bool)
    return ev


def reference_frames(x, y, p, steps: int, width: int, height: int) -> np.ndarray:
    """Plain-loop SpikingJelly split_by='number' framing of in-order, in-range events."""
    n = len(x)
    frames = np.zeros((steps, 2, height, width), np.int64)
    for j in range(steps):
        lo = j * (n // steps)
        hi = lo + n // steps if j < steps - 1 else n
        for i in range(lo, hi):
            frames[j, int(p[i] > 0), y[i], x[i]] += 1
    return frames


def write_gesture(root: Path, seed: int = 0) -> dict[str, list[tuple[str, int, int]]]:
    """tonic's preprocessed DVS128 Gesture layout: [N, 4] (x, y, p, t in ms) per label."""
    rng = np.random.default_rng(seed)
    written: dict[str, list[tuple[str, int, int]]] = {"train": [], "test": []}
    users = {"train": ["user01_fluorescent", "user02_lab"], "test": ["user24_led"]}
    for split, folder in (("train", "ibmGestureTrain"), ("test", "ibmGestureTest")):
        for user in users[split]:
            d = root / "DVSGesture" / folder / user
            d.mkdir(parents=True)
            for label in range(11):
                n = int(rng.integers(20, 60))
                arr = np.stack([rng.integers(0, 128, n), rng.integers(0, 128, n),
                                rng.integers(0, 2, n), np.sort(rng.integers(0, 6000, n))], 1)
                np.save(d / f"{label}.npy", arr.astype(np.int64))
                written[split].append((f"{user}/{label}.npy", label, n))
    return written


def write_ncaltech_bin(path: Path, x, y, t, p) -> None:
    """The ATIS 40-bit format: x, y, then p (bit 7) and a 23-bit µs timestamp."""
    t = np.asarray(t, np.int64)
    raw = np.zeros((len(x), 5), np.uint8)
    raw[:, 0], raw[:, 1] = x, y
    raw[:, 2] = (np.asarray(p, np.int64) << 7) | ((t >> 16) & 0x7F)
    raw[:, 3], raw[:, 4] = (t >> 8) & 0xFF, t & 0xFF
    path.write_bytes(raw.tobytes())


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


# ---------------------------------------------------------------- framing


def test_slice_bounds_match_spikingjelly_rule():
    for n in (0, 1, 5, 7, 16, 17, 100, 1001):
        for T in (1, 3, 4, 16):
            expected = [(j * (n // T), j * (n // T) + n // T if j < T - 1 else n)
                        for j in range(T)]
            assert slice_bounds(n, T) == expected


def test_events_to_frames_hand_computed():
    # 7 events, T=3: N//T = 2 -> slices [0,2), [2,4), [4,7) (the last takes the rest)
    ev = np.zeros(7, EVENT_DTYPE)
    ev["x"] = [0, 1, 2, 0, 1, 2, 2]
    ev["y"] = [0, 0, 1, 1, 2, 0, 0]
    ev["p"] = [1, 0, 1, 1, 0, 0, 0]
    ev["t"] = np.arange(7) * 10
    f = events_to_frames(ev, (3, 3, 2), 3)
    assert f.shape == (3, 2, 3, 3) and f.dtype == np.int32
    expected = np.zeros((3, 2, 3, 3), np.int32)
    expected[0, 1, 0, 0] = 1   # e0 ON at (x0, y0)
    expected[0, 0, 0, 1] = 1   # e1 OFF at (x1, y0)
    expected[1, 1, 1, 2] = 1   # e2 ON at (x2, y1)
    expected[1, 1, 1, 0] = 1   # e3 ON at (x0, y1)
    expected[2, 0, 2, 1] = 1   # e4 OFF at (x1, y2)
    expected[2, 0, 0, 2] = 2   # e5, e6 OFF at (x2, y0)
    np.testing.assert_array_equal(f, expected)


def test_events_to_frames_polarity_range_and_order():
    ev = make_events(1000, 20, 10, seed=1)
    ev["x"][:5] = 25            # outside W=20: dropped before slicing
    f = events_to_frames(ev, (20, 10, 2), 4)
    assert f.sum() == 995
    keep = ev[ev["x"] < 20]
    np.testing.assert_array_equal(f, reference_frames(keep["x"], keep["y"], keep["p"], 4, 20, 10))
    assert f[:, 1].sum() == keep["p"].sum() and f[:, 0].sum() == (~keep["p"]).sum()
    # an unsorted stream is taken in time order
    shuffled = keep[np.random.default_rng(2).permutation(len(keep))]
    np.testing.assert_array_equal(events_to_frames(shuffled, (20, 10, 2), 4), f)


def test_events_to_frames_fewer_events_than_slices():
    ev = make_events(3, 4, 4, seed=3)
    f = events_to_frames(ev, (4, 4, 2), 5)
    assert f[:4].sum() == 0 and f[4].sum() == 3
    assert events_to_frames(ev[:0], (4, 4, 2), 2).sum() == 0


def test_fit_events_pools_and_letterboxes():
    ev = make_events(500, 128, 128, seed=4)
    small = fit_events(ev, (128, 128), 64)
    np.testing.assert_array_equal(small["x"], ev["x"] // 2)
    f64 = events_to_frames(small, (64, 64, 2), 2)
    f128 = events_to_frames(ev, (128, 128, 2), 2)
    np.testing.assert_array_equal(f64, f128.reshape(2, 2, 64, 2, 64, 2).sum(axis=(3, 5)))
    assert fit_events(ev, (128, 128), 128) is ev
    wide = make_events(300, 240, 180, seed=5)
    wide["y"][0] = 180          # outside the canvas: dropped
    boxed = fit_events(wide, (240, 180), 64)
    assert len(boxed) == 299
    # 240x180 -> 64x48 content centred vertically: rows 8..55, zero padding elsewhere
    assert boxed["y"].min() >= 8 and boxed["y"].max() <= 55
    assert boxed["x"].min() >= 0 and boxed["x"].max() <= 63


# ---------------------------------------------------------------- registry / errors


def test_registry_and_bad_names(tmp_path: Path):
    assert set(DATASETS) == {"dvs128-gesture", "cifar10-dvs", "n-caltech101", "digits-dvs"}
    for info in DATASETS.values():
        assert len(info.class_names) == info.num_classes
    with pytest.raises(ValueError, match="digits-dvs"):
        build_dataset("mnist", "train")
    with pytest.raises(ValueError, match="train, test"):
        build_dataset("digits-dvs", "val")
    with pytest.raises(FileNotFoundError, match="DVSGesture"):
        build_dataset("dvs128-gesture", "train", root=tmp_path, cache_dir=tmp_path)


def test_default_cache_dir(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("SDMF_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("SDMF_CACHE")
    assert default_cache_dir() == Path.home() / ".cache" / "sdmf"


# ---------------------------------------------------------------- DVS128 Gesture


def test_dvs128_gesture_from_tonic_layout(tmp_path: Path, cache: Path):
    written = write_gesture(tmp_path / "data")
    for split in ("train", "test"):
        ds = build_dataset("dvs128-gesture", split, root=tmp_path / "data", T=4, cache_dir=cache)
        expected = sorted(written[split])
        assert len(ds) == len(expected) and ds.info.num_classes == 11
        assert ds.targets == [label for _, label, _ in expected]
        for i in (0, len(ds) - 1):
            frames, label = ds[i]
            assert frames.shape == (4, 2, 128, 128) and frames.dtype == torch.float32
            rel, want_label, n = expected[i]
            assert label == want_label and frames.sum().item() == n
            raw = np.load(tmp_path / "data" / "DVSGesture" / (
                "ibmGestureTrain" if split == "train" else "ibmGestureTest") / rel)
            ref = reference_frames(raw[:, 0], raw[:, 1], raw[:, 2], 4, 128, 128)
            np.testing.assert_array_equal(frames.numpy(), ref)
    small = build_dataset("dvs128-gesture", "test", root=tmp_path / "data", T=2, img_size=32,
                          cache_dir=cache)
    frames, _ = small[0]
    assert frames.shape == (2, 2, 32, 32) and frames.sum().item() == sorted(written["test"])[0][2]


def test_dvs128_gesture_truncated_file_named(tmp_path: Path, cache: Path):
    write_gesture(tmp_path)
    bad = tmp_path / "DVSGesture" / "ibmGestureTest" / "user24_led" / "3.npy"
    bad.write_bytes(bad.read_bytes()[:-7])
    ds = build_dataset("dvs128-gesture", "test", root=tmp_path, cache_dir=cache)
    idx = [Path(ds.source.path(i)) for i in range(len(ds))].index(bad)
    with pytest.raises(ValueError, match=str(bad)):
        ds[idx]


# ---------------------------------------------------------------- CIFAR10-DVS


def test_cifar10_dvs_from_aedat4(tmp_path: Path, cache: Path):
    counts = {}
    for c, label in (("airplane", 0), ("cat", 3)):
        d = tmp_path / "CIFAR10DVS" / c
        for i in range(12):
            ev = make_events(30 + i, 128, 128, seed=100 * label + i, dtype=AEDAT4_DTYPE)
            write_aedat4(d / f"cifar10_{c}_{i}.aedat4", ev)
            counts[f"cifar10_{c}_{i}.aedat4"] = (label, len(ev))
    train = build_dataset("cifar10-dvs", "train", root=tmp_path, T=3, cache_dir=cache)
    test = build_dataset("cifar10-dvs", "test", root=tmp_path, T=3, cache_dir=cache)
    names = {s: [Path(ds.source.path(i)).name for i in range(len(ds))]
             for s, ds in (("train", train), ("test", test))}
    # per class, sorted names (0, 1, 10, 11, 2, ... 9): first floor(0.9 n) = 10 train
    for c in ("airplane", "cat"):
        ordered = sorted(f"cifar10_{c}_{i}.aedat4" for i in range(12))
        assert [n for n in names["train"] if f"_{c}_" in n] == ordered[:10]
        assert [n for n in names["test"] if f"_{c}_" in n] == ordered[10:]
    assert train.targets == [counts[n][0] for n in names["train"]]
    assert test.targets == [0, 0, 3, 3]
    for ds, split in ((train, "train"), (test, "test")):
        for i in range(len(ds)):
            frames, label = ds[i]
            assert frames.shape == (3, 2, 128, 128)
            assert (label, frames.sum().item()) == counts[names[split][i]]


def test_aedat4_writer_matches_aedat_decoder(tmp_path: Path):
    import tonic.io

    ev = make_events(10_000, 128, 128, seed=7, dtype=AEDAT4_DTYPE)
    write_aedat4(tmp_path / "a.aedat4", ev, packet_size=3000)
    decoded = tonic.io.read_aedat4(str(tmp_path / "a.aedat4"))
    for field, name in zip(("t", "x", "y", "p"), decoded.dtype.names, strict=True):
        np.testing.assert_array_equal(decoded[name], ev[field])


def test_aedat4_round_trip_and_truncation(tmp_path: Path, cache: Path):
    ev = make_events(5000, 128, 128, seed=8, dtype=AEDAT4_DTYPE)
    path = tmp_path / "CIFAR10DVS" / "dog" / "cifar10_dog_0.aedat4"
    write_aedat4(path, ev, packet_size=1024)
    np.testing.assert_array_equal(read_aedat4(path), ev)
    path.write_bytes(path.read_bytes()[:-100])
    ds = build_dataset("cifar10-dvs", "test", root=tmp_path, cache_dir=cache)
    assert len(ds) == 1 and ds.targets == [5]
    with pytest.raises(ValueError, match=str(path)):
        ds[0]


# ---------------------------------------------------------------- N-Caltech101


def test_ncaltech101_from_bin(tmp_path: Path, cache: Path):
    rng = np.random.default_rng(9)
    counts = {}
    for c in ("accordion", "Faces_easy"):
        d = tmp_path / "NCALTECH101" / "Caltech101" / c
        d.mkdir(parents=True)
        for i in range(1, 13):
            n = int(rng.integers(20, 50))
            x, y = rng.integers(5, 230, n), rng.integers(7, 170, n)
            write_ncaltech_bin(d / f"image_{i:04d}.bin", x, y,
                               np.sort(rng.integers(0, 300_000, n)), rng.integers(0, 2, n))
            counts[f"{c}/image_{i:04d}.bin"] = n
    splits = {s: build_dataset("n-caltech101", s, root=tmp_path, T=2, img_size=64,
                               cache_dir=cache) for s in ("train", "test")}
    keys = {s: ["/".join(Path(ds.source.path(i)).parts[-2:]) for i in range(len(ds))]
            for s, ds in splits.items()}
    assert not set(keys["train"]) & set(keys["test"])
    assert set(keys["train"]) | set(keys["test"]) == set(counts)
    for c, label in (("accordion", 4), ("Faces_easy", 1)):
        files = sorted(k for k in counts if k.startswith(c + "/"))
        ranked = sorted(files, key=lambda k: hashlib.sha256(
            f"0/{k}".encode()).hexdigest())
        # round(12/10) = 1 test file per class, chosen by the seed-0 hash order
        assert [k for k in keys["test"] if k.startswith(c + "/")] == ranked[:1]
        assert [splits["test"].targets[i] for i, k in enumerate(keys["test"])
                if k.startswith(c + "/")] == [label]
    for s, ds in splits.items():
        for i in range(len(ds)):
            frames, _ = ds[i]
            assert frames.shape == (2, 2, 64, 64)
            assert frames.sum().item() == counts[keys[s][i]]
            assert frames[:, :, :8].sum() == 0 and frames[:, :, 56:].sum() == 0  # letterbox


def test_ncaltech101_truncated_bin_named(tmp_path: Path, cache: Path):
    d = tmp_path / "NCALTECH101" / "Caltech101" / "ant"
    d.mkdir(parents=True)
    for i in range(1, 6):
        write_ncaltech_bin(d / f"image_{i:04d}.bin", [1, 2], [3, 4], [10, 20], [0, 1])
    ds = build_dataset("n-caltech101", "test", root=tmp_path, cache_dir=cache)
    bad = Path(ds.source.path(0))
    bad.write_bytes(bad.read_bytes()[:-2])
    with pytest.raises(ValueError, match=str(bad)):
        ds[0]


# ---------------------------------------------------------------- digits-dvs


def test_digits_split_counts():
    _, labels = load_digit_images()
    train, test = digits_split(labels, "train"), digits_split(labels, "test")
    assert (len(train), len(test)) == (1433, 364)
    assert not set(train) & set(test) and len(set(train) | set(test)) == 1797
    assert np.bincount(labels[test]).tolist() == [36, 37, 36, 37, 37, 37, 37, 36, 35, 36]


def test_emulator_events_are_well_formed():
    images, _ = load_digit_images()
    cfg = EmulatorConfig(size=32)
    streams = emulate(images[:4], cfg)
    for ev in streams:
        assert ev.dtype == EVENT_DTYPE and len(ev) > 100
        assert np.all(np.diff(ev["t"]) >= 0)
        assert ev["t"].min() >= 0 and ev["t"].max() <= 3 * cfg.saccade_us
        assert ev["x"].min() >= 0 and ev["x"].max() < 32 and ev["y"].max() < 32
        assert 0 < ev["p"].mean() < 1
    blank = emulate(np.zeros((1, 8, 8)), cfg)[0]
    assert len(blank) == 0


def test_digits_dvs_deterministic_and_cached(tmp_path: Path):
    a = build_dataset("digits-dvs", "test", T=4, cache_dir=tmp_path / "a", progress=False)
    build_dataset("digits-dvs", "test", T=4, cache_dir=tmp_path / "b", progress=False)
    assert len(a) == 364 and a.info.sensor_size == (64, 64, 2)
    files_a = sorted(events_dir(tmp_path / "a", 64).glob("*.npy"))
    files_b = sorted(events_dir(tmp_path / "b", 64).glob("*.npy"))
    assert len(files_a) == 364 and [f.name for f in files_a] == [f.name for f in files_b]
    assert all(fa.read_bytes() == fb.read_bytes() for fa, fb in zip(files_a, files_b, strict=True))
    ev = np.load(files_a[0])
    assert ev.dtype == EVENT_DTYPE
    frames, label = a[0]
    assert frames.shape == (4, 2, 64, 64) and frames.dtype == torch.float32
    assert frames.sum().item() == len(ev) and label == a.targets[0]
    # cached: a new dataset object reads the frame file, not the events
    again = build_dataset("digits-dvs", "test", T=4, cache_dir=tmp_path / "a", progress=False)
    files_a[0].write_bytes(b"corrupt")
    torch.testing.assert_close(again[0][0], frames)
    with pytest.raises(ValueError, match=files_a[0].name):
        again.source.read(0)
    # another T is another cache entry
    t8 = build_dataset("digits-dvs", "test", T=8, cache_dir=tmp_path / "b", progress=False)
    assert t8[1][0].shape == (8, 2, 64, 64) and t8.cache.dir != a.cache.dir


def test_corrupt_frame_cache_entry_is_recomputed(tmp_path: Path):
    ds = build_dataset("digits-dvs", "test", T=4, img_size=32, cache_dir=tmp_path,
                       progress=False)
    frames, _ = ds[5]
    path = ds.cache.path(ds.source.key(5))
    path.write_bytes(b"not a zip")
    with pytest.warns(RuntimeWarning, match=path.name):
        again, _ = ds[5]
    torch.testing.assert_close(again, frames)


def test_digits_dvs_dataloader(tmp_path: Path):
    ds = build_dataset("digits-dvs", "test", T=4, img_size=32, cache_dir=tmp_path,
                       progress=False)
    assert ds.info.sensor_size == (32, 32, 2)
    x, y = next(iter(torch.utils.data.DataLoader(ds, batch_size=16)))
    assert x.shape == (16, 4, 2, 32, 32) and y.dtype == torch.int64
    assert y.tolist() == ds.targets[:16]
