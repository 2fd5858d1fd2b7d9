"""Build and run small C++ mains around one HLS kernel template (tests/hls/test_kernels.py).

A main is compiled once per configuration (source text + headers hashed; binaries cached
under ``build/hls_units/``) and reads its stimuli and constant arrays from files at run
time, so random and extreme cases reuse one binary. A missing g++ or missing ap_types
headers fail the test with the message of :mod:`sdmf.sim.csim` (never a skip).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from sdmf.device.words import hex_lines, pack, parse_hex_lines, unpack

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "hw" / "backends" / "hls" / "templates"
HERE = Path(__file__).resolve().parent / "hls"       # harness.h
CACHE = ROOT / "build" / "hls_units"
FLAGS = ["-std=c++14", "-O1", "-w"]


def build(name: str, source: str) -> Path:
    """The binary of main ``source`` (cached by content)."""
    from sdmf.hw.backends.hls.headers import ap_types_dir
    from sdmf.sim.csim import compiler

    cxx, ap = compiler(), ap_types_dir()
    digest = hashlib.sha256(source.encode() + " ".join([cxx, str(ap), *FLAGS]).encode())
    for header in sorted([*TEMPLATES.glob("*.h"), HERE / "harness.h"]):
        digest.update(header.read_bytes())
    out = CACHE / f"{name}-{digest.hexdigest()[:16]}"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    src = out.with_suffix(".cpp")
    src.write_text(source)
    tmp = out.with_name(f".{out.name}.{os.getpid()}")
    res = subprocess.run([cxx, *FLAGS, f"-I{ap}", f"-I{TEMPLATES}", f"-I{HERE}", str(src),
                          "-o", str(tmp)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, f"g++ failed on {src}:\n{res.stderr[-3000:]}"
    os.replace(tmp, out)
    return out


def run(binary: Path, folder: Path, files: dict[str, str]) -> Path:
    """Write ``files`` into ``folder``, run ``binary folder``; fails on any stream warning."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    res = subprocess.run([str(binary), str(folder)], capture_output=True, text=True, timeout=120)
    log = res.stdout + res.stderr
    assert res.returncode == 0 and "WARNING" not in log, f"{binary.name}: {log[-2000:]}"
    return folder


def main_source(headers: Iterable[str], structs: str, body: str) -> str:
    """A harness main: ``structs`` (configurations) then ``body`` inside main()."""
    inc = "".join(f'#include "{h}"\n' for h in headers)
    return (f'#define AP_INT_MAX_W 4096\n#include "harness.h"\n{inc}\n{structs}\n\n'
            "int main(int argc, char **argv) {\n    arg_dir = argv[1];\n"
            "    int frames = (int)read_ints(\"frames.txt\")[0];\n"
            f"{body}\n    return 0;\n}}\n")


def ints(values: np.ndarray) -> str:
    return "".join(f"{int(v)}\n" for v in np.asarray(values).reshape(-1))


def words(x: np.ndarray, bits: int) -> list[int]:
    """``x[T, C, P]`` → P position words, element ``t·C + c`` at ``[(t·C + c)·bits +: bits]``."""
    _T, _C, P = x.shape
    return [pack(x[:, :, p].reshape(-1).tolist(), bits) for p in range(P)]


def frames_hex(xs: list[np.ndarray], bits: int) -> str:
    """Position words of several frames (one after the other) as hex lines."""
    width = max(1, xs[0].shape[0] * xs[0].shape[1] * bits)
    return hex_lines([w for x in xs for w in words(x, bits)], width)


def read_frames(path: Path, frames: int, T: int, C: int, bits: int) -> np.ndarray:
    """Hex position words → ``[frames, T, C, P]``."""
    ws = parse_hex_lines(path.read_text(), str(path))
    P = len(ws) // frames
    assert len(ws) == frames * P, f"{path}: {len(ws)} words for {frames} frames"
    arr = np.array([unpack(w, T * C, bits) for w in ws], dtype=np.int64)
    return arr.reshape(frames, P, T, C).transpose(0, 2, 3, 1)
