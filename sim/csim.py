"""C simulation of an HLS project (``sdmf hwgen --backend hls --trace``) with g++.

:func:`build` compiles the project's testbench and top (``-DSDMF_TRACE``) against the
``ap_int``/``hls_stream.h`` headers of hls4ml (:mod:`sdmf.hw.backends.hls.headers`),
cached by content under ``build/csim/<hash>/``. :func:`csim_project` packs the samples
into input beats (:func:`sdmf.device.stream.pack_input`), runs the testbench once and
compares, per sample, every traced tap (all time steps), the logits and the class with
the golden model exactly (the comparison of :mod:`sdmf.sim.network`). The C++ core has
no registers: the RTL control shell around it holds the register map (docs/hls.md,
"Registers"; tested in Verilator by tests/hls/test_shell.py). A missing g++ or missing headers is
an error naming what to install, never a skip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sdmf.device import DeviceInterface
from sdmf.device.stream import BEAT_BITS, pack_input
from sdmf.device.words import hex_lines
from sdmf.hw.project import Project, ProjectError
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR

from .network import NetworkMismatchError, SampleReport, compare_samples

CXX_FLAGS = ["-std=c++14", "-O2", "-DSDMF_TRACE", "-w"]
DEFAULT_BUILD = Path("build") / "csim"
RUN_TIMEOUT_S = 3600
BUILD_TIMEOUT_S = 900


class CsimToolError(RuntimeError):
    """g++ or the ap_types headers are missing, or the build failed (message says which)."""


@dataclass
class CsimReport:
    project: str
    samples: list[SampleReport]
    compared_taps: list[str]
    build_seconds: float
    run_seconds: float
    built: bool

    @property
    def bit_exact(self) -> bool:
        return all(s.bit_exact for s in self.samples)

    def to_dict(self) -> dict[str, Any]:
        return {"project": self.project, "bit_exact": self.bit_exact,
                "samples": [{**s.__dict__, "bit_exact": s.bit_exact} for s in self.samples],
                "compared_taps": self.compared_taps,
                "build_seconds": self.build_seconds, "run_seconds": self.run_seconds,
                "built": self.built}


def compiler() -> str:
    """The C++ compiler (``$CXX`` or g++); :class:`CsimToolError` when there is none."""
    cxx = os.environ.get("CXX", "g++")
    path = shutil.which(cxx)
    if path is None:
        raise CsimToolError(f"C++ compiler {cxx!r} not found: install g++ (e.g. apt-get "
                            "install g++) or set CXX; the HLS C simulation needs it")
    return path


def load_hls_project(project: str | Path) -> tuple[Project, IntegerIR]:
    """Manifest and IR of an HLS project generated with ``--trace``."""
    root = Path(project)
    manifest = Project.load(root)
    if manifest.backend != "hls":
        raise ProjectError(f"{root}: backend {manifest.backend!r}; C simulation runs HLS "
                           "projects (sdmf hwgen --backend hls --trace)")
    if manifest.trace is None or manifest.ir is None or manifest.interface is None:
        raise ProjectError(f"{root} was generated without --trace (or lacks its IR or "
                           "interface); regenerate it with `sdmf hwgen --backend hls --trace`")
    ir = IntegerIR.load(root / manifest.ir)
    if ir.content_hash() != manifest.ir_hash:
        raise ProjectError(f"{root / manifest.ir}: IR hash differs from project.json")
    return manifest, ir


def build(project: str | Path, manifest: Project, build_root: Path = DEFAULT_BUILD
          ) -> tuple[Path, bool]:
    """The testbench binary of ``project`` (cached by content); (path, whether built now)."""
    from sdmf.hw.backends.hls.headers import HeadersNotFoundError, ap_types_dir

    cxx = compiler()
    try:
        ap = ap_types_dir()
    except HeadersNotFoundError as e:
        raise CsimToolError(str(e)) from None
    root = Path(project)
    digest = hashlib.sha256(" ".join([cxx, str(ap), *CXX_FLAGS]).encode())
    for src in sorted(manifest.sources):
        digest.update(src.encode() + b"\0" + (root / src).read_bytes())
    out = build_root / digest.hexdigest()[:16] / "sdmf_tb"
    if out.exists():
        return out, False
    out.parent.mkdir(parents=True, exist_ok=True)
    cpp = [str(root / s) for s in manifest.sources if s.endswith(".cpp")]
    tmp = out.with_name(f".sdmf_tb.{os.getpid()}")
    cmd = [cxx, *CXX_FLAGS, f"-I{ap}", f"-I{root / 'hls'}", *cpp, "-o", str(tmp)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    if res.returncode:
        raise CsimToolError(f"g++ failed on {root}:\n{res.stderr[-4000:]}")
    os.replace(tmp, out)
    return out, True


def _run(binary: Path, run: Path, S: int, iface: DeviceInterface) -> None:
    res = subprocess.run([str(binary), str(run), str(S), str(iface.beats_per_sample),
                          str(iface.output_beats)], capture_output=True, text=True,
                         timeout=RUN_TIMEOUT_S)
    log = (res.stdout + res.stderr).strip()
    if res.returncode or "WARNING: Hls::stream" in log or "sdmf_tb:" in log \
            or "sdmf_top:" in log:
        raise NetworkMismatchError(f"C simulation failed (exit {res.returncode}): "
                                   f"{log[-2000:]}")


def csim_project(project: str | Path, x: torch.Tensor | np.ndarray,
                 labels: list[int] | None = None, work_dir: str | Path | None = None,
                 build_root: Path = DEFAULT_BUILD,
                 status: Callable[[str], None] | None = None) -> CsimReport:
    """C-simulate ``x[S, T, C, H, W]`` through the project and compare with the golden
    model (see the module docstring)."""
    say = status or (lambda msg: None)
    manifest, ir = load_hls_project(project)
    root = Path(project)
    iface = DeviceInterface.read(root / manifest.interface)
    t0 = time.monotonic()
    binary, built = build(root, manifest, build_root)
    build_s = time.monotonic() - t0
    say(f"testbench {'built' if built else 'cached'}: {binary} ({build_s:.1f} s)")
    xs = np.asarray(x)
    S = int(xs.shape[0])
    with tempfile.TemporaryDirectory(prefix="sdmf_csim_") as tmp:
        run = Path(work_dir) if work_dir is not None else Path(tmp)
        if run.exists() and work_dir is not None:
            shutil.rmtree(run)
        (run / manifest.trace.dir).mkdir(parents=True)
        beats = [b for i in range(S) for b in pack_input(xs[i], iface.in_bits,
                                                         nb=iface.word_beats)]
        (run / "input.hex").write_text(hex_lines(beats, BEAT_BITS))
        t1 = time.monotonic()
        _run(binary, run, S, iface)
        run_s = time.monotonic() - t1
        say(f"C simulation of {S} samples: {run_s:.1f} s; comparing with the golden model")
        g = GoldenModel(ir).run(torch.as_tensor(xs), taps=True)
        tb = {"samples": [{"cycles": 0}] * S}
        samples = compare_samples(g, run, manifest.trace, tb, labels, S, 1)
    return CsimReport(project=str(root), samples=samples,
                      compared_taps=[*sorted(manifest.trace.taps), ir.ops[-1].name],
                      build_seconds=build_s, run_seconds=run_s,
                      built=built)
