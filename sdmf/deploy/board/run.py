#!/usr/bin/env python3
"""Run this bundle's test vectors on the board: accuracy, agreement with the golden model,
img/s and latency (docs/board.md in the SDMFormer repository).

On a PYNQ-Z2 (PYNQ 3.x image) or a KV260 (Kria-PYNQ), as root in the image's PYNQ
environment, in the bundle's folder:

    sudo -i                       # root, with the PYNQ environment (pynq-venv)
    cd /home/ubuntu/sdmf-kv260    # or /home/xilinx/sdmf-pynq_z2
    python3 run.py [--samples N] [--json]

Needs numpy, the image's pynq and this bundle's sdmformer-host wheel (``pip install
sdmformer_host-*.whl``). Loads ``sdmf.bit`` (``sdmf.hwh`` beside it) through
``sdmf.host.Accelerator``, checks the design's identification registers against
``interface.json``, streams the samples of ``vectors/`` through the DMA and compares the
class and the logits of every sample with the golden model's, exactly. Exit status: 0
when every sample agrees, 1 on any disagreement, 2 on an error (one line on stderr).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
BITFILE = "sdmf.bit"
BUNDLE_FILE = "bundle.json"          # what deploy wrote: board, design, clock, bitstream
VECTORS_DIR = "vectors"
VECTORS_META = "vectors.json"
VECTORS_FORMAT = "sdmf-vectors/1"
VECTOR_FILES = {"frames": "frames.npy", "labels": "labels.npy",
                "logits": "golden_logits.npy", "classes": "golden_classes.npy"}
EXIT_OK, EXIT_DISAGREE, EXIT_ERROR = 0, 1, 2


class BoardError(Exception):
    """Something this script cannot work around; printed as one line, exit status 2."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="run.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bitfile", type=Path, default=HERE / BITFILE,
                   help=f"bitstream (its .hwh beside it; default: this bundle's {BITFILE})")
    p.add_argument("--interface", type=Path, default=None,
                   help="interface.json of the design (default: beside the bitstream)")
    p.add_argument("--vectors", type=Path, default=HERE / VECTORS_DIR,
                   help="test vectors folder (default: this bundle's)")
    p.add_argument("--samples", type=int, default=None,
                   help="run the first N samples only (default: all)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds any wait on the device may take (default 10)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    args = p.parse_args(argv)
    if args.samples is not None and args.samples < 1:
        p.error("--samples must be >= 1")
    if not args.timeout > 0:
        p.error("--timeout must be > 0")
    return args


def _sdmf(module: str) -> Any:
    """A module of the sdmformer-host wheel; a clear error when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise BoardError(f"cannot import {module} ({e}): install this bundle's wheel into "
                         f"the Python that runs run.py ({sys.executable}): python3 -m pip "
                         "install --no-deps sdmformer_host-*.whl") from None


def read_interface(path: Path) -> Any:
    """The design's ``interface.json`` (``sdmf.device.DeviceInterface``)."""
    device = _sdmf("sdmf.device")
    try:
        return device.DeviceInterface.read(path)
    except device.InterfaceError as e:
        raise BoardError(str(e)) from None


def load_vectors(folder: Path, iface: Any, samples: int | None = None
                 ) -> dict[str, np.ndarray]:
    """The bundled vectors (frames, labels, golden logits and classes), checked against
    the design's interface: same IR, input shape and classes."""
    meta_path = folder / VECTORS_META
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        vec = {k: np.load(folder / f, allow_pickle=False) for k, f in VECTOR_FILES.items()}
    except (OSError, ValueError) as e:
        raise BoardError(f"{folder}: cannot read the test vectors ({e})") from None
    if meta.get("format") != VECTORS_FORMAT:
        raise BoardError(f"{meta_path}: format {meta.get('format')!r}, expected "
                         f"{VECTORS_FORMAT!r}")
    if meta.get("ir_hash") != iface.ir_hash:
        raise BoardError(f"{meta_path}: vectors of IR {str(meta.get('ir_hash'))[:12]}, the "
                         f"design is IR {iface.ir_hash[:12]}: not the same bundle")
    n = len(vec["labels"])
    want = {"frames": (n, *iface.input_shape), "labels": (n,),
            "logits": (n, iface.classes), "classes": (n,)}
    for key, shape in want.items():
        if vec[key].shape != shape:
            raise BoardError(f"{folder / VECTOR_FILES[key]}: shape {list(vec[key].shape)}, "
                             f"expected {list(shape)}")
    k = n if samples is None else min(samples, n)
    out = {key: v[:k] for key, v in vec.items()}
    out["frames"] = out["frames"].astype(np.int64)
    return out


def _value(v: Any) -> Any:
    """A JSON-friendly copy (numpy scalars and arrays to Python numbers and lists)."""
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    a = np.asarray(v) if v is not None else None
    if a is None or a.dtype == object:
        return v
    return a.item() if a.ndim == 0 else a.tolist()


def evaluate(result: Any, vec: dict[str, np.ndarray]) -> dict[str, Any]:
    """Accuracy, agreement with the golden model (class and logits, exactly) and the
    throughput and latency figures of a ``sdmf.host.RunResult``."""
    n = len(vec["labels"])
    logits, classes = np.asarray(result.logits), np.asarray(result.classes)
    if logits.shape != vec["logits"].shape or classes.shape != (n,):
        raise BoardError(f"the accelerator returned logits {list(logits.shape)} and classes "
                         f"{list(classes.shape)} for {n} samples, expected "
                         f"{list(vec['logits'].shape)} and [{n}]")
    same_class = classes == vec["classes"]
    same_logits = np.all(logits.astype(np.int64) == vec["logits"], axis=1)
    bad = np.flatnonzero(~(same_class & same_logits))
    return {
        "samples": n,
        "accuracy": float(np.mean(classes == vec["labels"])),
        "golden_accuracy": float(np.mean(vec["classes"] == vec["labels"])),
        "class_agreement": int(same_class.sum()), "logit_agreement": int(same_logits.sum()),
        "disagreeing_samples": bad.tolist(),
        "latency_cycles": _value(result.latency_cycles),
        "interval_cycles": _value(result.interval_cycles),
        "latency_s_counters": _value(result.latency_s_counters),
        "img_per_s_counters": _value(result.img_per_s_counters),
        "img_per_s_wall": _value(result.img_per_s_wall),
        "timing": _value(dict(result.timing)),
    }


def _num(v: Any, fmt: str = ",.1f") -> str:
    """A number, or the mean and range of a list of them (``-`` when unknown)."""
    if v is None:
        return "-"
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        return format(float(a), fmt)
    return f"{format(a.mean(), fmt)} (min {format(a.min(), fmt)}, max {format(a.max(), fmt)})"


def summary_text(report: dict[str, Any]) -> str:
    """The report for people."""
    n, t = report["samples"], report["timing"]
    split = ", ".join(f"{k.removesuffix('_s')} {float(v):.4f} s" for k, v in t.items())
    lat = report["latency_s_counters"]
    lines = [
        f"run.py: {n} samples on {report.get('board') or 'the board'} "
        f"({report.get('model') or 'design'}, IR {str(report.get('ir_hash'))[:12]}, "
        f"PL clock {_num(report.get('clock_mhz'), 'g')} MHz)",
        f"  accuracy    {100 * report['accuracy']:6.2f} %   (golden model "
        f"{100 * report['golden_accuracy']:.2f} % on the same samples)",
        f"  agreement   class {report['class_agreement']}/{n}, logits "
        f"{report['logit_agreement']}/{n} bit-exact with the golden model",
        f"  img/s       {_num(report['img_per_s_counters'])} (counters, interval "
        f"{_num(report['interval_cycles'], ',.0f')} cycles); "
        f"{_num(report['img_per_s_wall'])} (wall clock)",
        f"  latency     {_num(report['latency_cycles'], ',.0f')} cycles = "
        f"{_num(None if lat is None else np.asarray(lat, float) * 1e3, ',.3f')} ms "
        "(counters)",
        f"  wall clock  {split}",
    ]
    if report["disagreeing_samples"]:
        lines.append(f"  DISAGREE    samples {report['disagreeing_samples'][:20]}"
                     + (" ..." if len(report["disagreeing_samples"]) > 20 else ""))
    return "\n".join(lines)


def _check_files(bitfile: Path) -> None:
    """The bitstream and its .hwh, beside each other, as PYNQ needs them."""
    if not bitfile.is_file():
        raise BoardError(f"no bitstream at {bitfile}: "
                         + ("this bundle was made without one (README.txt): run make bitstream "
                            "on a machine with Vivado, then make deploy again"
                            if bitfile == HERE / BITFILE else "check --bitfile"))
    hwh = bitfile.with_suffix(".hwh")
    if not hwh.is_file():
        raise BoardError(f"no {hwh.name} beside {bitfile}: PYNQ reads the block design from "
                         "the .hwh of the same name in the same folder")


def _default_accelerator() -> Any:
    """``sdmf.host.Accelerator``, once pynq is known to be importable."""
    if importlib.util.find_spec("pynq") is None:
        raise BoardError(f"pynq is not importable by {sys.executable}: run.py needs a PYNQ "
                         "board image (PYNQ 3.x on the PYNQ-Z2, Kria-PYNQ on the KV260); run "
                         "it as root in its environment: sudo -i, then python3 run.py")
    return _sdmf("sdmf.host").Accelerator


def _bundle_info() -> dict[str, Any]:
    try:
        return json.loads((HERE / BUNDLE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def run(args: argparse.Namespace, accelerator: Any = None) -> dict[str, Any]:
    """Load, check, run and evaluate; ``accelerator``: the ``Accelerator`` class to use
    (default ``sdmf.host.Accelerator`` on PYNQ)."""
    iface_path = args.interface or args.bitfile.parent / _sdmf("sdmf.device").INTERFACE_FILE
    iface = read_interface(iface_path)
    vec = load_vectors(args.vectors, iface, args.samples)
    _check_files(args.bitfile)
    host = _sdmf("sdmf.host")
    factory = accelerator or _default_accelerator()
    try:
        with factory(args.bitfile, iface, timeout_s=args.timeout) as acc:
            acc.check()
            result = acc.run(vec["frames"])
            clock = getattr(acc, "clock_mhz", None) or iface.clock_mhz
    except host.HostError as e:
        raise BoardError(f"{type(e).__name__}: {e}") from None
    report = evaluate(result, vec)
    info = _bundle_info()
    report.update(board=info.get("board"), model=iface.model, ir_hash=iface.ir_hash,
                  clock_mhz=clock)
    return report


def main(argv: list[str] | None = None, accelerator: Any = None) -> int:
    args = parse_args(argv)
    try:
        report = run(args, accelerator)
    except BoardError as e:
        print(f"run.py: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(report, indent=2) if args.json else summary_text(report))
    agree = not report["disagreeing_samples"]
    return EXIT_OK if agree else EXIT_DISAGREE


if __name__ == "__main__":
    sys.exit(main())
