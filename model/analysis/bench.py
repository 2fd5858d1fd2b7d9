"""Throughput and peak memory of a model (the paper's Tables 5 and 6).

* inference: ``eval()`` mode under ``torch.no_grad``; img/s = batch·iters / time.
* training: ``train()`` mode, forward + cross-entropy + backward + AdamW step; on
  CUDA with mixed precision (fp16 autocast and a gradient scaler, as Spikformer trains).

Warm-up iterations run first and are not timed; on CUDA the device is
synchronised before the clock starts and before it stops. One "image" is one
sample of ``T`` frames. Inputs are random event counts created once on the
device, so data loading is not measured.

Peak memory per mode: on CUDA ``torch.cuda.max_memory_allocated`` after
``reset_peak_memory_stats`` (tensors only, not the allocator's cache). On CPU
a sampler thread reads the resident set size from ``/proc/self/statm`` every
millisecond during the mode; the figure is the peak minus the RSS when the mode
started (where /proc is missing: the growth of ``getrusage``'s ``ru_maxrss``,
which stays 0 once an earlier phase peaked higher).
"""

from __future__ import annotations

import os
import platform
import resource
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import torch
from torch import nn

from ..transformer import SpikingTransformer

BenchMode = Literal["inference", "train", "both"]
_MiB = 2**20


def device_name(device: torch.device) -> str:
    """Human-readable name of the device."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class PeakMemory:
    """Context manager measuring a block's peak memory growth in bytes (``.peak``)."""

    def __init__(self, device: torch.device, interval: float = 0.001) -> None:
        self.device, self.interval, self.peak = device, interval, 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            return self
        self._start = _rss_bytes()
        if self._start is None:
            self._start_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            return self
        self._max = self._start
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            rss = _rss_bytes() or 0
            self._max = max(self._max, rss)
            self._stop.wait(self.interval)

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.peak = torch.cuda.max_memory_allocated(self.device)
        elif self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._max = max(self._max, _rss_bytes() or 0)
            self.peak = self._max - self._start
        else:
            now = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            self.peak = max(0, now - self._start_maxrss)


def _timed(step: Callable[[], None], device: torch.device, warmup: int, iters: int) -> float:
    """Seconds for ``iters`` calls of ``step`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - t0


def bench_inference(model: SpikingTransformer, x: torch.Tensor, warmup: int,
                    iters: int) -> dict[str, Any]:
    """Inference img/s and peak memory."""
    model.eval()

    @torch.no_grad()
    def step() -> None:
        model(x)

    with PeakMemory(x.device) as mem:
        seconds = _timed(step, x.device, warmup, iters)
    return {"img_per_s": x.shape[0] * iters / seconds, "seconds": seconds,
            "peak_memory_MiB": mem.peak / _MiB}


def bench_train(model: SpikingTransformer, x: torch.Tensor, warmup: int, iters: int,
                amp: bool = True) -> dict[str, Any]:
    """Training img/s (forward, backward, AdamW step) and peak memory."""
    device = x.device
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.06)
    use_amp = amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    labels = torch.arange(x.shape[0], device=device) % model.cfg.num_classes
    loss_fn = nn.CrossEntropyLoss()

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.float16, enabled=use_amp):
            loss = loss_fn(model(x), labels)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    with PeakMemory(device) as mem:
        seconds = _timed(step, device, warmup, iters)
    model.eval()
    return {"img_per_s": x.shape[0] * iters / seconds, "seconds": seconds,
            "peak_memory_MiB": mem.peak / _MiB, "amp": use_amp}


def benchmark(model: SpikingTransformer, batch_size: int, T: int,
              device: torch.device,
              warmup: int = 3, iters: int = 10, mode: BenchMode = "both", amp: bool = True,
              seed: int = 0) -> dict[str, Any]:
    """Run the requested modes; returns a flat dict (see docs/analyses.md)."""
    if batch_size < 1 or T < 1 or iters < 1 or warmup < 0:
        raise ValueError("batch_size, T and iters must be >= 1 and warmup >= 0")
    if mode not in ("inference", "train", "both"):
        raise ValueError(f"mode must be inference, train or both, got {mode!r}")
    cfg = model.cfg
    model = model.to(device)
    g = torch.Generator().manual_seed(seed)
    x = torch.poisson(torch.full((batch_size, T, cfg.in_channels, cfg.img_size, cfg.img_size),
                                 0.2), generator=g).to(device)
    result: dict[str, Any] = {
        "model": cfg.name, "device": device.type, "device_name": device_name(device),
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "batch_size": batch_size, "T": T, "img_size": cfg.img_size, "mode": mode,
        "warmup": warmup, "iters": iters,
        "params": sum(p.numel() for p in model.parameters()),
        "inference_img_per_s": None, "train_img_per_s": None,
        "peak_memory_MiB": {}, "amp": None,
    }
    if mode in ("inference", "both"):
        r = bench_inference(model, x, warmup, iters)
        result["inference_img_per_s"] = r["img_per_s"]
        result["peak_memory_MiB"]["inference"] = r["peak_memory_MiB"]
    if mode in ("train", "both"):
        # train on a copy so a loaded checkpoint's weights stay as they were
        state = {k: v.clone() for k, v in model.state_dict().items()}
        r = bench_train(model, x, warmup, iters, amp)
        model.load_state_dict(state)
        result["train_img_per_s"] = r["img_per_s"]
        result["peak_memory_MiB"]["train"] = r["peak_memory_MiB"]
        result["amp"] = r["amp"]
    result["peak_memory_source"] = ("torch.cuda.max_memory_allocated" if device.type == "cuda"
                                    else "peak RSS growth (/proc/self/statm sampler)"
                                    if _rss_bytes() is not None else "ru_maxrss growth")
    return result
