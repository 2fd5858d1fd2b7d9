"""Run the board host on the simulated board of a generated project.

:func:`run_board` builds the project's ``sdmf_ip`` with Verilator (through
:mod:`sdmf.sim.runner`, cached by content), writes the frames and a scenario into a
run folder and runs the cocotb test :mod:`sdmf.sim.tests.tb_board`, in which
:class:`sdmf.host.Accelerator` drives the RTL through :class:`sdmf.sim.board.SimPlatform`.
It returns what the host returned (logits, classes, counters, timing) or raised, per
session and run. Comparing with the golden model is the caller's business.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sdmf.device import DeviceInterface
from sdmf.hw.project import Project, ProjectError

from . import runner

TB_MODULE = "sdmf.sim.tests.tb_board"
BUILD_ARGS: list[str] = []             # (sdmf.sim.runner adds --output-split 0)
BITFILE = "sdmf.bit"                   # the name the simulated overlay is opened with
POLL_CYCLES = 4096


@dataclass
class LoadParams:
    """A session step: ``Accelerator.load_params(image)`` (None: the interface's image)."""

    image: np.ndarray | None = None


@dataclass
class Session:
    """One :class:`~sdmf.host.Accelerator` on the board: ``runs`` (frames each, or a
    :class:`LoadParams` step) back to back; ``interface`` (default the project's), board
    ``faults`` (:data:`sdmf.sim.board.FAULTS`), instances ``omit``\\ ted from the
    overlay; ``autoload``: the Accelerator's (load runtime-loaded parameters at open)."""

    runs: Sequence[np.ndarray | LoadParams]
    interface: str | Path | None = None
    faults: tuple[str, ...] = ()
    omit: tuple[str, ...] = ()
    autoload: bool = True


@dataclass
class BoardReport:
    sessions: list[dict[str, Any]]       # per session: open_error, runs (result | error)
    timeout_s: float
    clock_mhz: float
    build_seconds: float
    sim_seconds: float
    built: bool
    extra: dict[str, Any] = field(default_factory=dict)

    def run(self, session: int = 0, index: int = 0) -> dict[str, Any]:
        return self.sessions[session]["runs"][index]


def load(project: str | Path, backends: Sequence[str] = ("rtl",)
         ) -> tuple[Path, Project, DeviceInterface]:
    """A project of one of ``backends`` with the Vivado wrapper and a device interface
    (ProjectError)."""
    root = Path(project).resolve()
    manifest = Project.load(root)
    if manifest.backend not in backends or not manifest.ip_top or not manifest.interface:
        raise ProjectError(f"{root}: the simulated board needs an RTL project with its IP "
                           "wrapper and interface.json (from `sdmf hwgen`)")
    return root, manifest, DeviceInterface.read(root / manifest.interface)


def sim_timeout_s(manifest: Project, iface: DeviceInterface, clock_mhz: float) -> float:
    """A DMA timeout for the simulated board: a few inferences' worth of cycles."""
    cyc = manifest.cycles
    cycles = 4 * (cyc.sum + cyc.interval) + 16 * iface.beats_per_sample + 10_000
    return cycles / (clock_mhz * 1e6)


def build_ip(root: Path, manifest: Project, build_dir: str | Path | None = None,
             sources: Sequence[str | Path] | None = None) -> tuple[Path, bool]:
    """Verilator build of the project's ``sdmf_ip`` (reused when nothing changed) from
    its sources, or from ``sources``."""
    assert manifest.ip_top
    hdl = sources if sources is not None else [root / s for s in manifest.sources]
    return runner.build(hdl, manifest.ip_top, build_dir=build_dir, build_args=BUILD_ARGS)


def run_board(project: str | Path, sessions: Sequence[Session], work: str | Path, *,
              clock_mhz: float = 100.0, timeout_s: float | None = None,
              build_dir: str | Path | None = None,
              progress: Callable[[int], None] | None = None,
              status: Callable[[str], None] | None = None,
              sources: Sequence[str | Path] | None = None) -> BoardReport:
    """Simulate ``sessions`` of the host on ``project``'s board; ``work`` gets the run
    folder. ``progress(done)`` follows the results as the host reports them.
    ``sources``: the IP's HDL instead of the project's, which also admits an HLS project
    (its ``sdmf_ip`` shell with a stand-in for the Vitis core: tests/hls/test_shell.py)."""
    say = status or (lambda _msg: None)
    root, manifest, iface = load(project, ("rtl",) if sources is None else ("rtl", "hls"))
    timeout = timeout_s or sim_timeout_s(manifest, iface, clock_mhz)
    say("building the accelerator's IP wrapper with Verilator (cached when nothing changed)")
    t0 = time.perf_counter()
    bdir, built = build_ip(root, manifest, build_dir, sources)
    build_s = time.perf_counter() - t0
    run = _run_folder(Path(work), root, manifest, iface, sessions, clock_mhz, timeout)
    say(f"simulating the board: "
        f"{sum(len(r) for s in sessions for r in s.runs if not isinstance(r, LoadParams))} "
        "samples "
        f"through sdmf.host at {clock_mhz:g} MHz")
    t0 = time.perf_counter()
    with _Follow(run / "progress.txt", progress):
        res = runner.run_test(bdir, manifest.ip_top or "", TB_MODULE, run,
                              {"SDMF_BOARD_CONFIG": str(run / "config.json")})
    sim_s = time.perf_counter() - t0
    if not res.passed:
        raise runner.SimFailure("board testbench failed:\n" + "\n".join(res.failures)
                                + f"\n(log: {res.log})")
    data = json.loads((run / "board_results.json").read_text())
    return BoardReport(sessions=data["sessions"], timeout_s=timeout, clock_mhz=clock_mhz,
                       build_seconds=build_s, sim_seconds=sim_s, built=built)


def _run_folder(work: Path, root: Path, manifest: Project, iface: DeviceInterface,
                sessions: Sequence[Session], clock_mhz: float, timeout: float) -> Path:
    run = work.resolve() / "board"
    if run.exists():
        shutil.rmtree(run)
    (run / "frames").mkdir(parents=True)
    for mem in manifest.memories:                  # $readmemh reads them from here
        shutil.copyfile(root / mem, run / Path(mem).name)
    plan = []
    for i, s in enumerate(sessions):
        files = []
        for j, frames in enumerate(s.runs):
            path = run / "frames" / f"s{i}_r{j}.npy"
            if isinstance(frames, LoadParams):
                if frames.image is not None:
                    np.save(path, np.asarray(frames.image, dtype=np.uint64))
                files.append({"load_params": None if frames.image is None else str(path)})
                continue
            np.save(path, np.asarray(frames))
            files.append(str(path))
        plan.append({"interface": str(Path(s.interface or root / str(manifest.interface))
                                      .resolve()),
                     "faults": list(s.faults), "omit": list(s.omit), "runs": files,
                     "autoload": s.autoload})
    cycles = max(16, min(POLL_CYCLES, int(timeout * clock_mhz * 1e6) // 16))
    cfg = {"period_ns": 1000.0 / clock_mhz, "poll_cycles": cycles,
           "bitfile": str(root / BITFILE), "clock_mhz": clock_mhz, "timeout_s": timeout,
           "results": str(run / "board_results.json"), "progress": str(run / "progress.txt"),
           "sessions": plan}
    (run / "config.json").write_text(json.dumps(cfg, indent=1))
    return run


class _Follow:
    """While open, a thread reports the lines of ``path`` (one per result) to ``report``."""

    def __init__(self, path: Path, report: Callable[[int], None] | None) -> None:
        self.path, self.report = path, report
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _count(self) -> int:
        try:
            return self.path.read_text().count("\n")
        except OSError:
            return 0

    def _loop(self) -> None:
        seen = 0
        while not self.stop.wait(0.2):
            now = self._count()
            if now != seen and self.report is not None:
                self.report(now)
                seen = now

    def __enter__(self) -> _Follow:
        if self.report is not None:
            self.report(0)
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.report is not None:
            self.stop.set()
            self.thread.join(timeout=5)
            self.report(self._count())


__all__ = ["BoardReport", "LoadParams", "Session", "build_ip", "load", "run_board",
           "sim_timeout_s"]
