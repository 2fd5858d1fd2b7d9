"""The RTL regression: many input vectors through the generated hardware, every one checked.

A :class:`Suite` is one design (an IR under planner options) and the event-count
frames it runs. :func:`default_suites` builds the standard set — the shipped IR's whole
digits-dvs test split, random and saturated counts on the same design, and every
adversarial case of :mod:`sdmf.sim.adversarial` with more inputs. :func:`run` cuts the
suites into chunks, simulates them (:func:`sdmf.sim.network.simulate`, which compares
every tap, the logits and the class with the golden model, each sample's busy cycles
with the model, and — without random gaps — the pipelined interval) in parallel
processes, and returns one row per suite.
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sdmf.quant.ir import IntegerIR

from .adversarial import CASES, build_case


@dataclass
class Suite:
    """One design and its input vectors ``x[S, T, C, H, W]``."""

    name: str
    ir: IntegerIR
    x: np.ndarray
    labels: list[int] | None = None
    plan: dict[str, Any] = field(default_factory=dict)


@dataclass
class SuiteResult:
    name: str
    vectors: int = 0
    bit_exact: int = 0
    cycles_exact: int = 0          # samples whose every layer's busy cycles equal the model
    intervals: int = 0             # chunks whose overlapped interval was measured
    intervals_exact: int = 0
    interval: int | None = None    # the model's interval (cycles)
    correct: int | None = None     # predictions equal to the label (labelled suites)
    seconds: float = 0.0           # simulation wall time of its chunks, summed
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (not self.failures and self.bit_exact == self.cycles_exact == self.vectors
                and self.intervals_exact == self.intervals)


def _shipped_inputs(ir: IntegerIR, n_random: int, n_saturated: int,
                    seed: int) -> tuple[np.ndarray, np.ndarray]:
    g = torch.Generator().manual_seed(seed)
    shape = tuple(ir.input_shape)
    top = (1 << ir.ops[0].attrs["bits"]) - 1
    rand = torch.randint(0, 16, (n_random, *shape), generator=g)
    over = torch.randint(top, 2 * top + 2, (n_saturated, *shape), generator=g)
    keep = torch.rand((n_saturated, *shape), generator=g) < 0.5
    sat = torch.where(keep, over, torch.randint(0, top + 1, (n_saturated, *shape), generator=g))
    return rand.numpy(), sat.numpy()


def default_suites(ir: IntegerIR, test_split: tuple[np.ndarray, list[int]] | None,
                   n_random: int = 250, n_saturated: int = 100, adversarial_samples: int = 24,
                   seed: int = 0) -> list[Suite]:
    """The standard regression: ``test_split`` (frames, labels) and random/saturated counts
    on ``ir``'s default design, then every adversarial case with more samples."""
    suites = []
    if test_split is not None:
        suites.append(Suite("test split", ir, test_split[0], test_split[1]))
    rand, sat = _shipped_inputs(ir, n_random, n_saturated, seed)
    suites += [Suite("random counts", ir, rand), Suite("saturated counts", ir, sat)]
    for spec, _ in CASES:
        case_ir, x = build_case(_more_samples(spec, adversarial_samples))
        suites.append(Suite(f"adversarial: {spec.name}", case_ir, x.numpy(), plan=dict(spec.plan)))
    return suites


def _more_samples(spec: Any, samples: int) -> Any:
    return replace(spec, samples=max(spec.samples, samples))


# ---------------------------------------------------------------- running


def _chunks(suites: list[Suite], chunk: int) -> Iterator[tuple[int, int, int]]:
    """``(suite, start, stop)``; a last chunk of one sample joins the one before (the
    interval needs two samples overlapped)."""
    for i, s in enumerate(suites):
        starts = list(range(0, len(s.x), chunk))
        if len(starts) > 1 and len(s.x) - starts[-1] < 2:
            starts.pop()
        for j, start in enumerate(starts):
            yield i, start, starts[j + 1] if j + 1 < len(starts) else len(s.x)


def _run_chunk(suite: Suite, start: int, stop: int) -> dict[str, Any]:
    """Simulate one chunk in a worker process; a summary of what it found."""
    from .network import NetworkMismatchError, simulate
    from .runner import SimFailure

    labels = suite.labels[start:stop] if suite.labels is not None else None
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sdmf-regress-") as tmp:
        try:
            rep = simulate(suite.ir, suite.x[start:stop], labels, work_dir=tmp, **suite.plan)
        except (SimFailure, NetworkMismatchError) as exc:
            return {"error": f"samples {start}..{stop - 1}: {exc}",
                    "seconds": time.perf_counter() - t0}
    fails = [f"sample {start + s.index}: taps {s.mismatched_taps or '-'}, class "
             f"{s.rtl_class} vs {s.golden_class}" for s in rep.samples if not s.bit_exact]
    per_sample = [all(lay.measured[j] == lay.analytic for lay in rep.layers)
                  for j in range(len(rep.samples))]
    overlapped = all(lay.overlapped in (None, len(rep.samples) * lay.analytic)
                     for lay in rep.layers)
    if not overlapped:
        fails.append(f"samples {start}..{stop - 1}: overlapped busy cycles differ")
    if not rep.interval_ok:
        fails.append(f"samples {start}..{stop - 1}: interval {rep.pipelined_interval} "
                     f"measured, {rep.model_interval} by the token recurrence, "
                     f"{rep.design_interval} the design's")
    correct = None
    if labels is not None:
        correct = sum(s.golden_class == s.label for s in rep.samples if s.bit_exact)
    return {"vectors": len(rep.samples), "bit_exact": sum(s.bit_exact for s in rep.samples),
            "cycles_exact": sum(per_sample) if overlapped else 0,
            "intervals": int(rep.interval_checked), "intervals_exact": int(rep.interval_checked
                                                                           and rep.interval_ok),
            "interval": rep.design_interval, "correct": correct, "failures": fails,
            "seconds": time.perf_counter() - t0}


def _merge(res: SuiteResult, part: dict[str, Any]) -> None:
    res.seconds += part["seconds"]
    if "error" in part:
        res.failures.append(part["error"])
        return
    for key in ("vectors", "bit_exact", "cycles_exact", "intervals", "intervals_exact"):
        setattr(res, key, getattr(res, key) + part[key])
    res.interval = part["interval"]
    if part["correct"] is not None:
        res.correct = (res.correct or 0) + part["correct"]
    res.failures += part["failures"]


def run(suites: list[Suite], jobs: int = 2, chunk: int = 40,
        progress: Callable[[str], None] | None = None) -> list[SuiteResult]:
    """Simulate every suite in chunks of ``chunk`` samples on ``jobs`` processes."""
    say = progress or (lambda _msg: None)
    results = [SuiteResult(s.name) for s in suites]
    tasks = list(_chunks(suites, chunk))
    done_vectors, total = 0, sum(len(s.x) for s in suites)
    # spawn, not fork: the parent holds torch's thread pools
    with ProcessPoolExecutor(max_workers=jobs,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: dict[Future, tuple[int, int, int]] = {}
        for i, start, stop in tasks:
            pending[pool.submit(_run_chunk, suites[i], start, stop)] = (i, start, stop)
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                i, start, stop = pending.pop(fut)
                _merge(results[i], fut.result())
                done_vectors += stop - start
                say(f"{done_vectors}/{total} vectors: {suites[i].name} {start}..{stop - 1} "
                    f"{'ok' if not results[i].failures else 'MISMATCH'}")
    return results


def summary_rows(results: list[SuiteResult]) -> list[list[Any]]:
    """Table rows: suite, vectors, bit-exact, cycles exact, intervals exact, interval, ok."""
    return [[r.name, r.vectors, r.bit_exact, r.cycles_exact,
             f"{r.intervals_exact}/{r.intervals}", r.interval or 0,
             "" if r.correct is None else f"{100 * r.correct / max(r.vectors, 1):.1f} %",
             "yes" if r.ok else "NO"] for r in results]


def save(results: list[SuiteResult], path: Path, wall: float) -> Path:
    """Atomically write the results as JSON."""
    from sdmf.io import write_json

    write_json(path, {"format": "sdmf-regress/1", "wall_seconds": wall,
                      "vectors": sum(r.vectors for r in results),
                      "ok": all(r.ok for r in results),
                      "suites": [{**asdict(r), "ok": r.ok} for r in results]})
    return path
