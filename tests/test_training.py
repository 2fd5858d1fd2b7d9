"""Training and evaluation: schedule, augmentation, Mixup, fit/resume and the CLIs."""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from sdmf.model.checkpoint import load_model, read_checkpoint
from sdmf.model.training import (
    CosineWarmupSchedule,
    TrainConfig,
    augment_batch,
    cosine_lr,
    fit,
    mask_soft_keep,
    mixup_batch,
    smooth_one_hot,
    soft_cross_entropy,
)
from sdmf.model.training.augment import _affine_thetas

THIS_FILE = Path(__file__).resolve()


class TinyEvents(Dataset):
    """A learnable in-memory event dataset: one bright square per class, plus noise.

    With ``stall_after`` set, the ``stall_after``-th item fetch touches ``marker`` and
    sleeps, so a test can SIGKILL the process mid-epoch.
    """

    def __init__(self, n: int, seed: int, classes: int = 3, steps: int = 2, size: int = 32,
                 stall_after: int | None = None, marker: str | None = None) -> None:
        g = torch.Generator().manual_seed(seed)
        self.targets = [i % classes for i in range(n)]
        x = (torch.rand(n, steps, 2, size, size, generator=g) < 0.05).float()
        for i, c in enumerate(self.targets):
            r = 2 + 9 * c
            x[i, :, c % 2, r:r + 9, r:r + 9] += 2.0
        self.x = x
        self.info = SimpleNamespace(name="tiny-events", num_classes=classes,
                                    class_names=[f"c{k}" for k in range(classes)])
        self.stall_after, self.marker, self.fetches = stall_after, marker, 0

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        self.fetches += 1
        if self.stall_after is not None and self.fetches >= self.stall_after:
            Path(self.marker).touch()
            time.sleep(120)
        return self.x[i], self.targets[i]


def tiny_config(out: Path | str, **kw) -> TrainConfig:
    base = dict(out=str(out), model="sdmformer-1-32", dataset="tiny-events", time_steps=2,
                epochs=3, warmup_epochs=1, batch_size=8, workers=0, progress=False,
                mask_sparsity=0.05, seed=7)
    return TrainConfig(**{**base, **kw})


def quiet(_: str) -> None:
    pass


# --- schedule ---------------------------------------------------------------------------

def test_cosine_schedule_values() -> None:
    kw = dict(base_lr=1e-3, epochs=20, warmup_epochs=5, warmup_lr=1e-5, min_lr=1e-5)
    lrs = [cosine_lr(e, **kw) for e in range(20)]
    assert lrs[0] == pytest.approx(1e-5)
    assert lrs[1] == pytest.approx(1e-5 + (1e-3 - 1e-5) / 5)
    assert lrs[5] == pytest.approx(1e-3)
    assert all(a > b for a, b in itertools.pairwise(lrs[5:]))
    # Halfway through the cosine part the lr is midway between peak and floor.
    assert cosine_lr(5 + 15 / 2, **kw) == pytest.approx((1e-3 + 1e-5) / 2)
    assert cosine_lr(20, **kw) == pytest.approx(1e-5)
    assert lrs[-1] == pytest.approx(1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + math.cos(math.pi * 14 / 15)))

    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=1.0)
    sched = CosineWarmupSchedule(opt, **kw)
    assert sched.step(3) == pytest.approx(lrs[3])
    assert opt.param_groups[0]["lr"] == pytest.approx(lrs[3])
    assert sched.state_dict()["epoch"] == 3


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="warmup_epochs"):
        TrainConfig(epochs=5, warmup_epochs=10)
    with pytest.raises(ValueError, match="label_smoothing"):
        TrainConfig(label_smoothing=1.5)
    cfg = TrainConfig(mixup_off_epoch=3)
    assert cfg.mixup_active(2) and not cfg.mixup_active(3)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


# --- augmentation -----------------------------------------------------------------------

def test_augment_shape_and_determinism() -> None:
    x = (torch.rand(16, 3, 2, 32, 32, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    x = x * torch.arange(1, 4).view(1, 3, 1, 1, 1)  # distinct values per time step
    a = augment_batch(x, np.random.default_rng(5))
    b = augment_batch(x, np.random.default_rng(5))
    c = augment_batch(x, np.random.default_rng(6))
    assert a.shape == x.shape and a.dtype == x.dtype
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert not torch.equal(a, x)
    # Nearest sampling with zero fill: no new values appear.
    assert set(a.unique().tolist()) <= set(x.unique().tolist()) | {0.0}


def test_augment_same_transform_for_all_steps_and_channels() -> None:
    frame = (torch.rand(32, 32, generator=torch.Generator().manual_seed(1)) < 0.4).float()
    x = frame.expand(8, 4, 2, 32, 32).clone()
    y = augment_batch(x, np.random.default_rng(0))
    assert torch.equal(y, y[:, :1, :1].expand_as(y))


def test_affine_ops_are_exact_on_the_pixel_grid() -> None:
    x = torch.arange(2 * 16 * 16, dtype=torch.float32).view(1, 2, 16, 16)
    thetas = _affine_thetas(np.array([2, 2]), np.zeros(2), np.array([[3.0, 0.0], [0.0, -2.0]]),
                            np.zeros(2), 16, 16)
    grid = F.affine_grid(torch.from_numpy(thetas).float(), [2, 2, 16, 16], align_corners=False)
    out = F.grid_sample(x.expand(2, -1, -1, -1), grid, mode="nearest", align_corners=False)
    right = torch.zeros_like(x[0])
    right[..., 3:] = x[0, ..., :-3]
    up = torch.zeros_like(x[0])
    up[..., :-2, :] = x[0, ..., 2:, :]
    assert torch.equal(out[0], right) and torch.equal(out[1], up)
    theta = _affine_thetas(np.array([3]), np.zeros(1), np.zeros((1, 2)), np.array([90.0]), 16, 16)
    grid = F.affine_grid(torch.from_numpy(theta).float(), [1, 2, 16, 16], align_corners=False)
    turned = F.grid_sample(x, grid, mode="nearest", align_corners=False)
    assert torch.equal(turned[0], torch.rot90(x[0], -1, dims=(1, 2)))


# --- mixup and loss ---------------------------------------------------------------------

def test_mixup_soft_targets_sum_to_one() -> None:
    y = torch.tensor([0, 1, 2, 3, 4, 0])
    t = smooth_one_hot(y, 5, 0.1)
    assert torch.allclose(t.sum(1), torch.ones(6))
    assert t[0, 0] == pytest.approx(0.9 + 0.02) and t[0, 1] == pytest.approx(0.02)
    x = torch.randn(6, 2, 2, 4, 4)
    xm, tm, lam = mixup_batch(x, t, np.random.default_rng(0), alpha=0.5, prob=1.0)
    assert 0.0 < lam < 1.0
    assert torch.allclose(tm.sum(1), torch.ones(6))
    assert torch.allclose(xm, lam * x + (1 - lam) * x.flip(0))
    x0, t0, lam0 = mixup_batch(x, t, np.random.default_rng(0), prob=0.0)
    assert lam0 == 1.0 and x0 is x and t0 is t


def test_soft_cross_entropy_matches_label_smoothing() -> None:
    logits, y = torch.randn(7, 4), torch.randint(0, 4, (7,))
    ours = soft_cross_entropy(logits, smooth_one_hot(y, 4, 0.1))
    assert ours == pytest.approx(F.cross_entropy(logits, y, label_smoothing=0.1).item(), abs=1e-6)


def test_mask_sparsity_gradient_closes_masks() -> None:
    from sdmf.model import create_model

    model = create_model("sdmformer-1-32", num_classes=3, img_size=32)
    keep = mask_soft_keep(model)
    assert keep is not None and 0.0 < keep.item() < 1.0
    keep.backward()
    grads = [m.weight.grad for m in model.masks().values()]
    assert all(g is not None and bool((g > 0).all()) for g in grads)
    assert mask_soft_keep(create_model("spikformer-1-32", num_classes=3, img_size=32)) is None


# --- fit, checkpoints, resume ------------------------------------------------------------

@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The uninterrupted 3-epoch reference run (single thread, like the subprocesses)."""
    out = tmp_path_factory.mktemp("ref") / "run"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        summary = fit(tiny_config(out), TinyEvents(32, 0), TinyEvents(12, 1), log=quiet)
    finally:
        torch.set_num_threads(threads)
    return {"out": out, "summary": summary}


def test_fit_writes_logs_and_self_describing_checkpoints(trained_run: dict) -> None:
    out, summary = trained_run["out"], trained_run["summary"]
    records = [json.loads(ln) for ln in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [0, 1, 2]
    for key in ("lr", "train_loss", "train_acc", "test_loss", "test_acc", "masking_ratio",
                "time_s"):
        assert all(key in r for r in records)
    assert records[0]["lr"] == pytest.approx(1e-5) and records[1]["lr"] == pytest.approx(1e-3)
    assert 0.0 <= records[-1]["masking_ratio"] <= 1.0
    ckpt = read_checkpoint(out / "last.pt")
    for key in ("optimizer", "scheduler", "epoch", "rng", "train_config", "dataset", "metrics",
                "best"):
        assert key in ckpt
    assert set(ckpt["rng"]) >= {"python", "numpy", "torch", "loader"}
    assert ckpt["epoch"] == 2 and ckpt["train_config"]["model"] == "sdmformer-1-32"
    assert ckpt["dataset"] == {"name": "tiny-events", "T": 2, "img_size": 32, "root": None,
                               "cache_dir": None, "num_classes": 3,
                               "class_names": ["c0", "c1", "c2"]}
    model, best = load_model(out / "best.pt")  # no flags: the config travels with it
    assert model.cfg.name == "sdmformer-1-32" and model.cfg.num_classes == 3
    assert best["metrics"]["test_acc"] == pytest.approx(summary["best_acc"])
    assert model(torch.zeros(1, 2, 2, 32, 32)).shape == (1, 3)


def test_existing_run_needs_resume_and_same_recipe(trained_run: dict) -> None:
    out = trained_run["out"]
    with pytest.raises(FileExistsError, match="--resume"):
        fit(tiny_config(out), TinyEvents(32, 0), TinyEvents(12, 1), log=quiet)
    with pytest.raises(ValueError, match="lr"):
        fit(tiny_config(out, resume=True, lr=5e-4), TinyEvents(32, 0), TinyEvents(12, 1),
            log=quiet)
    done = fit(tiny_config(out, resume=True), TinyEvents(32, 0), TinyEvents(12, 1), log=quiet)
    assert done["start_epoch"] == 3 and done["last"]["epoch"] == 2


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return read_checkpoint(path)["model"]


def _assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name, tensor in a.items():
        assert torch.equal(tensor, b[name]), name


def test_data_workers_do_not_change_the_run(trained_run: dict, tmp_path: Path) -> None:
    """Data order is seeded per epoch independently of worker processes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        fit(tiny_config(tmp_path / "w2", workers=2), TinyEvents(32, 0), TinyEvents(12, 1),
            log=quiet)
    finally:
        torch.set_num_threads(threads)
    _assert_same_weights(_weights(trained_run["out"] / "last.pt"),
                         _weights(tmp_path / "w2" / "last.pt"))


_CHILD = """
import importlib.util, sys, torch
spec = importlib.util.spec_from_file_location("_training_tests", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
from sdmf.model.training import fit
torch.set_num_threads(1)
out, marker = sys.argv[2], sys.argv[3]
stall = 32 + 1 + 2 * 8 + 3 if marker != "-" else None  # mid-way through epoch 2
train = mod.TinyEvents(32, 0, stall_after=stall, marker=marker)
fit(mod.tiny_config(out, resume=True), train, mod.TinyEvents(12, 1))
"""


def _child(out: Path, marker: str) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        env.pop(var, None)
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(THIS_FILE), str(out), marker],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_sigkill_then_resume_matches_uninterrupted_run(trained_run: dict,
                                                       tmp_path: Path) -> None:
    out, marker = tmp_path / "run", tmp_path / "stalled"
    proc = _child(out, str(marker))
    deadline = time.time() + 90
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[0].decode()
        assert time.time() < deadline, "child never reached epoch 2"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # mid-epoch 2: optimizer steps taken, none saved
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert read_checkpoint(out / "last.pt")["epoch"] == 0

    resumed = _child(out, "-")
    log, _ = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, log.decode()
    assert "resuming" in log.decode()

    ref = read_checkpoint(trained_run["out"] / "last.pt")
    got = read_checkpoint(out / "last.pt")
    assert got["epoch"] == ref["epoch"] == 2
    _assert_same_weights(ref["model"], got["model"])
    assert _records(out) == _records(trained_run["out"])


def _records(out: Path) -> list[dict]:
    """Log records without their wall times."""
    return [{k: v for k, v in json.loads(ln).items() if not k.endswith("time_s")}
            for ln in (out / "log.jsonl").read_text().splitlines()]


# --- command line -----------------------------------------------------------------------

def _cli(name: str, argv: list[str]) -> int:
    """Run one subcommand the way ``sdmf.cli.main`` does, without importing its siblings."""
    module = importlib.import_module(f"sdmf.cli.{name}")
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return module.run(parser.parse_args(argv))


@pytest.fixture
def fake_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Route the CLIs' dataset look-ups to :class:`TinyEvents`."""
    from sdmf.cli import train as train_cli
    from sdmf.model.training import data as tdata

    def build(name: str, split: str, **kw) -> Dataset:
        assert name == "tiny-events" and kw["time_steps"] == 2 and kw["img_size"] in (None, 32)
        return TinyEvents(16 if split == "train" else 9, 0 if split == "train" else 1)

    monkeypatch.setattr(tdata, "build_split", build)
    monkeypatch.setattr(train_cli, "check_dataset", lambda name: None)


def test_cli_train_then_eval(fake_data: None, tmp_path: Path,
                             capsys: pytest.CaptureFixture) -> None:
    from sdmf.cli.main import COMMANDS

    assert "train" in COMMANDS and "eval" in COMMANDS
    out = tmp_path / "cli"
    rc = _cli("train", ["--model", "sdmformer-1-32", "--dataset", "tiny-events", "-T", "2",
                        "--epochs", "2", "--warmup-epochs", "1", "--batch-size", "8",
                        "--workers", "0", "--no-progress", "--no-mixup", "--no-augment",
                        "--label-smoothing", "0", "--out", str(out), "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["epochs"] == 2 and (out / "best.pt").exists()
    cfg = read_checkpoint(out / "last.pt")["train_config"]
    assert not cfg["mixup"] and not cfg["augment"] and cfg["label_smoothing"] == 0.0

    assert _cli("eval", ["--checkpoint", str(out / "best.pt"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("accuracy", "per_class_accuracy", "confusion_matrix", "num_samples"):
        assert key in report
    assert report["num_samples"] == 9 and sum(map(sum, report["confusion_matrix"])) == 9
    assert set(report["per_class_accuracy"]) == {"c0", "c1", "c2"}
    assert Path(report["confusion_png"]).parent == out
    assert Path(report["confusion_png"]).read_bytes()[:4] == b"\x89PNG"


def test_cli_errors(fake_data: None, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from sdmf.cli.common import CliError

    with pytest.raises(SystemExit) as refused:          # a missing file is refused at parse time
        _cli("eval", ["--checkpoint", str(tmp_path / "missing.pt")])
    assert refused.value.code == 2 and "missing.pt: no such file" in capsys.readouterr().err
    with pytest.raises(CliError, match="warmup_epochs"):
        _cli("train", ["--out", str(tmp_path / "x"), "--epochs", "2"])
    with pytest.raises(CliError, match="unknown model"):
        _cli("train", ["--out", str(tmp_path / "x"), "--model", "bert-2-64"])


def test_cli_train_digits_dvs_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`sdmf train` on the real embedded dataset, through the dataset layer."""
    from sdmf.cli.common import CliError

    with pytest.raises(CliError, match="unknown dataset"):
        _cli("train", ["--out", str(tmp_path / "x"), "--dataset", "no-such-set"])
    out = tmp_path / "digits"
    # Default img_size (64) and cache ($SDMF_CACHE or ~/.cache/sdmf), shared with other runs.
    assert _cli("train", ["--model", "sdmformer-1-32", "-T", "2",
                          "--epochs", "2", "--warmup-epochs", "1", "--batch-size", "32",
                          "--max-steps-per-epoch", "2", "--workers", "0", "--no-progress",
                          "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["dataset"]["name"] == "digits-dvs"
    assert _cli("eval", ["--checkpoint", str(out / "last.pt"), "--json", "--no-plot"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dataset"] == "digits-dvs" and report["T"] == 2 and report["img_size"] == 64
    assert report["num_samples"] > 0
