"""Whole-network RTL simulation against the golden model.

:func:`simulate_project` takes a project folder from ``sdmf hwgen --trace --counters``
(its ``project.json`` and ``model.sdmfir``), builds it with Verilator around
``sim/hdl/sdmf_tb_network.sv`` (through :mod:`sdmf.sim.runner`), runs the cocotb test
:mod:`sdmf.sim.tests.tb_network` on N samples and compares, per sample, the predicted
class, the logits and every stream tap with ``GoldenModel(ir).run(x, taps=True)`` —
exactly —, each layer's measured busy cycles with the project's cycle model — exactly,
per sample — and the pipelined interval measured with samples overlapped with the
model's — exactly. :func:`simulate` generates the project of an IR first.

Layers whose busy cycles depend on the data (event-driven ``EV = 1`` convolutions) are
compared, per sample, with their kind's ``sample_cycles`` of that sample's golden
tensors (:func:`sdmf.hw.flow.sample_busy`). The overlapped pass of every design is
compared ``done`` by ``done`` with the token-level recurrence
(:func:`sdmf.hw.timing.done_cycles`) on the samples' golden tensors and the host's start
cycles from the trace's event log — the interval of a data-dependent design is the
recurrence's (docs/event-driven.md).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sdmf.device import (
    INTERFACE_FILE,
    DeviceInterface,
    FramingError,
    decode_output,
    pack_input,
    regmap,
)
from sdmf.device.blockdesign import DEFAULT_CLOCK_MHZ
from sdmf.device.stream import BEAT_BITS
from sdmf.device.words import hex_lines, parse_hex_lines, to_signed, unpack
from sdmf.hw.backends.rtl.topgen import EVENTS_FILE
from sdmf.hw.flow import build_graph, generate, sample_busy
from sdmf.hw.graph import HwGraph
from sdmf.hw.kinds import Knobs
from sdmf.hw.project import IR_FILE, PROJECT_FILE, Project, ProjectError, Trace
from sdmf.hw.timing import done_cycles, stream_rates
from sdmf.io import workspace
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR

from . import runner

TB_TOP = "sdmf_tb_network"
TB_MODULE = "sdmf.sim.tests.tb_network"
TB_SOURCE = Path(__file__).resolve().parent / "hdl" / "sdmf_tb_network.sv"
BUILD_ARGS = ["+define+SDMF_TRACE", "-Wno-fatal"]


@dataclass
class SampleReport:
    index: int
    label: int | None
    golden_class: int
    rtl_class: int | None
    logits_equal: bool
    taps_equal: bool
    mismatched_taps: list[str]
    cycles: int
    golden_logits: list[int] = field(default_factory=list)
    rtl_logits: list[int] = field(default_factory=list)

    @property
    def bit_exact(self) -> bool:
        return self.logits_equal and self.taps_equal and self.rtl_class == self.golden_class


@dataclass
class LayerCycles:
    name: str
    kind: str
    analytic: int                # the model's busy cycles (data-dependent: worst case)
    measured: list[int]          # busy cycles of each inference, one in flight at a time
    overlapped: int | None = None  # busy cycles of the whole overlapped pass (all samples)
    expected: list[int] | None = None  # data-dependent: the model's value of each sample

    @property
    def model(self) -> list[int]:
        """The model's busy cycles of each inference."""
        return self.expected if self.expected is not None else \
            [self.analytic] * len(self.measured)

    @property
    def exact(self) -> bool:
        """Every inference took exactly the model's busy cycles, alone and overlapped."""
        ok = self.measured == self.model
        if self.overlapped is not None:
            ok &= self.overlapped == sum(self.model)
        return ok


@dataclass
class NetworkReport:
    project: str
    samples: list[SampleReport]
    layers: list[LayerCycles]
    compared_taps: list[str]
    internal_taps: list[str]          # IR tensors inside a fused unit (not on a stream)
    removed_taps: list[str]           # ops of units removed because all their channels were pruned
    design_interval: int              # the project's interval (hwgen's; recurrence, dense)
    pipelined_interval: int | None    # measured: cycles between the last two outputs, overlapped
    interval_checked: bool            # overlapped pass of >= 2 samples, no random gaps
    build_seconds: float
    sim_seconds: float
    built: bool
    data_dependent: list[str] = field(default_factory=list)  # layers modelled per sample
    done_measured: list[int] = field(default_factory=list)   # overlapped pass: done cycles
    done_model: list[int] = field(default_factory=list)      # ... per the token recurrence
    interval_bound: int = 0           # the bottleneck layer's busy cycles (a lower bound)
    clock_mhz: float | None = None    # the design's PL clock (img/s of the overlapped pass)

    @property
    def overlapped_intervals(self) -> list[int]:
        """Measured cycles between consecutive done cycles of the overlapped pass."""
        d = self.done_measured
        return [b - a for a, b in pairwise(d)]

    @property
    def throughput(self) -> dict[str, float] | None:
        """Images per second at ``clock_mhz`` from the overlapped pass's measured done
        cycles: the mean interval (last − first done over S − 1) and the slowest sample's
        (the largest done-to-done gap); None without an overlapped pass or a clock."""
        return stream_rates(self.overlapped_intervals, self.clock_mhz)

    @property
    def model_interval(self) -> int | None:
        """The recurrence's interval: its last two done cycles apart (None: not run)."""
        d = self.done_model
        return d[-1] - d[-2] if len(d) >= 2 else None

    @property
    def bit_exact(self) -> bool:
        return all(s.bit_exact for s in self.samples)

    @property
    def interval_ok(self) -> bool:
        """Every done cycle of the overlapped pass equals the token recurrence's, hence the
        measured interval its interval; without data-dependent layers it also equals the
        design's (the interval hwgen quotes; True when not checked: no overlapped pass, or
        random gaps)."""
        if not self.interval_checked:
            return True
        ok = self.done_measured == self.done_model and \
            self.pipelined_interval == self.model_interval
        return ok and (bool(self.data_dependent)
                       or self.pipelined_interval == self.design_interval)

    @property
    def cycles_ok(self) -> bool:
        """Busy cycles of every layer and the pipelined interval equal the model exactly."""
        return all(lay.exact for lay in self.layers) and self.interval_ok

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bit_exact"] = self.bit_exact
        d["cycles_ok"] = self.cycles_ok
        d["interval_ok"] = self.interval_ok
        d["model_interval"] = self.model_interval
        d["overlapped_intervals"] = self.overlapped_intervals
        d["throughput"] = self.throughput
        for lay, ld in zip(self.layers, d["layers"]):
            ld["exact"] = lay.exact
        for s, sd in zip(self.samples, d["samples"]):
            sd["bit_exact"] = s.bit_exact
        return d


class NetworkMismatchError(AssertionError):
    """The RTL disagreed with the golden model (message names sample and tap)."""


class ParamLoadError(AssertionError):
    """The design's runtime-loaded parameters did not load (``valid`` = 0 after the load);
    ``record`` holds what the testbench read (parameter register, CRC, the refusal)."""

    def __init__(self, message: str, record: dict[str, Any]) -> None:
        super().__init__(message)
        self.record = record


PARAMS_SLACK = 16      # load-image beats the testbench holds beyond the project's image


def decode_words(words: list[int], T: int, C: int, bits: int) -> np.ndarray:
    """Position words → ``[positions, T, C]`` unsigned elements."""
    out = np.array([unpack(w, T * C, bits) for w in words], dtype=np.int64)
    return out.reshape(len(words), T, C)


def _read_hex(path: Path) -> list[int]:
    if not path.exists():
        raise NetworkMismatchError(f"trace file {path} was not written")
    try:
        return parse_hex_lines(path.read_text(), str(path))
    except ValueError as e:
        raise NetworkMismatchError(str(e)) from None


def _write_inputs(run: Path, x: np.ndarray, in_bits: int, word_beats: int = 1) -> None:
    (run / "inputs").mkdir(parents=True, exist_ok=True)
    for i, sample in enumerate(x):
        beats = pack_input(sample, in_bits, nb=word_beats)
        (run / "inputs" / f"input_{i}.hex").write_text(hex_lines(beats, BEAT_BITS))


def load_project(project: str | Path) -> tuple[Project, IntegerIR]:
    """The manifest and IR of a project that can be simulated: an RTL project generated
    with ``--trace --counters`` that holds its IR (:class:`ProjectError` otherwise)."""
    root = Path(project)
    manifest = Project.load(root)
    if manifest.backend != "rtl":
        raise ProjectError(f"{root}: backend {manifest.backend!r}; the network testbench "
                           "simulates RTL projects")
    missing = [flag for flag, on in (("--trace", manifest.options.trace),
                                     ("--counters", manifest.options.counters)) if not on]
    if missing or manifest.trace is None:
        raise ProjectError(f"{root} was generated without {' and '.join(missing or ['--trace'])}"
                           "; regenerate it with `sdmf hwgen --trace --counters` to simulate it")
    for name, what in (("ir", "no copy of the IR to compare with"),
                       ("interface", "no device interface")):
        if getattr(manifest, name) is None:
            raise ProjectError(f"{root / PROJECT_FILE}: field {name} is null ({what}); "
                               "regenerate it with `sdmf hwgen`")
    ir = IntegerIR.load(root / manifest.ir)
    if ir.content_hash() != manifest.ir_hash:
        raise ProjectError(f"{root / manifest.ir}: IR hash {ir.content_hash()[:12]}… differs "
                           f"from field ir_hash {manifest.ir_hash[:12]}… of {PROJECT_FILE}")
    return manifest, ir



def simulate(ir: IntegerIR, x: torch.Tensor | np.ndarray, labels: list[int] | None = None,
             work_dir: str | Path | None = None, target_cycles: int | None = None,
             in_gap: int = 0, out_gap: int = 0, build_dir: str | Path | None = None,
             seed: int = 1, overlap: bool = True, row_parallel: bool = False,
             budget: int | None = None, overrides: Mapping[str, Knobs] | None = None,
             status: Callable[[str], None] | None = None,
             event_driven: int = 0, params: str = "rom",
             activity: Sequence[Mapping[str, np.ndarray]] | None = None,
             word_beats: int = 1, decouple_rows: int = 0,
             fork_tokens: int = 0, pack_fifos: bool = False) -> NetworkReport:
    """Generate the project of ``ir`` (trace monitors, counters) into ``work_dir/project``,
    then :func:`simulate_project` it.

    ``work_dir`` keeps the project, run folder and traces (a temporary folder
    otherwise, removed afterwards). ``target_cycles``, ``budget``, ``overrides``,
    ``row_parallel``, ``event_driven`` and ``activity`` (planning samples' golden
    tensors) steer the parallelism planner as in ``sdmf hwgen``, ``word_beats`` sets the
    beats per position word, ``decouple_rows`` / ``fork_tokens`` the decoupling FIFOs,
    ``pack_fifos`` FIFO words as sub-words,
    ``params`` chooses ROM or runtime-loaded parameters (docs/params.md); the other
    arguments are :func:`simulate_project`'s.
    """
    say = status or (lambda _msg: None)
    with workspace(work_dir, "sdmf-sim-") as work:
        project = work / "project"
        say(f"generating RTL with trace monitors in {project}")
        generate(ir, project, trace=True, counters=True, target_cycles=target_cycles,
                 budget=budget, overrides=overrides, row_parallel=row_parallel,
                 event_driven=event_driven, params=params, activity=activity, word_beats=word_beats,
                 decouple_rows=decouple_rows, fork_tokens=fork_tokens, pack_fifos=pack_fifos)
        return _simulate(project, x, labels, work, in_gap, out_gap, build_dir, seed, overlap,
                         say)


def simulate_project(project: str | Path, x: torch.Tensor | np.ndarray,
                     labels: list[int] | None = None, work_dir: str | Path | None = None,
                     in_gap: int = 0, out_gap: int = 0, build_dir: str | Path | None = None,
                     seed: int = 1, overlap: bool = True,
                     status: Callable[[str], None] | None = None,
                     params_image: np.ndarray | None = None,
                     params_for: str | Path | None = None) -> NetworkReport:
    """Build the project (from ``sdmf hwgen --trace --counters``), run ``x[S, T, C, H, W]``
    through it and compare with the golden model of its ``model.sdmfir``.

    The project folder is only read; ``work_dir`` keeps the run folder and traces (a
    temporary folder otherwise); ``build_dir`` pins the Verilator build (default: a
    content-addressed cache under build/sim, reused when nothing changed).
    ``in_gap``/``out_gap`` (0..255) insert random input bubbles / output back-pressure.
    With ``overlap`` the samples run a second time back to back (each started at the
    previous one's ap_ready), measuring the pipelined interval; both passes are compared.
    ``status`` receives one line per stage (build, simulate, compare).
    A project with runtime-loaded parameters is loaded first through the input stream
    (its ``params.bin``, or ``params_image``: up to ``PARAMS_SLACK`` more beats, for
    negative controls); :class:`ParamLoadError` if the device does not accept them.
    ``params_for``: a folder from ``sdmf hwgen --params-for`` (another IR of the project's
    design): its ``params.bin`` is loaded and its ``model.sdmfir`` is the golden model.
    """
    with workspace(work_dir, "sdmf-sim-") as work:
        return _simulate(Path(project).resolve(), x, labels, work, in_gap, out_gap, build_dir,
                         seed, overlap, status or (lambda _msg: None), params_image,
                         None if params_for is None else Path(params_for))


def _run_folder(work: Path, root: Path, manifest: Project, trace: Trace,
                iface: DeviceInterface, xs: np.ndarray, gaps: tuple[int, int],
                overlap: bool, params_image: np.ndarray | None = None) -> Path:
    """``work/run``: ROM images, input beats, the parameter load image (the project's,
    checked against its interface, or ``params_image``) and the testbench's
    configuration."""
    run = work / "run"
    if run.exists():
        shutil.rmtree(run)
    (run / trace.dir).mkdir(parents=True)
    for mem in manifest.memories:
        shutil.copyfile(root / mem, run / Path(mem).name)
    _write_inputs(run, xs, iface.in_bits, iface.word_beats)
    cyc = manifest.cycles
    cfg = {"samples": len(xs), "in_gap": gaps[0], "out_gap": gaps[1], "overlap": overlap,
           "timeout_cycles": 8 * (cyc.sum + cyc.interval) + 50 * iface.beats_per_sample
           + 10_000,
           "interface": str(root / manifest.interface),
           "results": str(run / "tb_results.json")}
    if iface.params is not None:
        beats = iface.params.read_image(root) if params_image is None else params_image
        (run / "inputs" / "params.hex").write_text(hex_lines([int(b) for b in beats], 64))
        cfg["params"] = {"expect": iface.params.crc32, "beats": len(beats)}
    (run / "config.json").write_text(json.dumps(cfg))
    return run


def _simulate(root: Path, x: torch.Tensor | np.ndarray, labels: list[int] | None, work: Path,
              in_gap: int, out_gap: int, build_dir: str | Path | None, seed: int,
              overlap: bool, status: Callable[[str], None],
              params_image: np.ndarray | None = None,
              params_for: Path | None = None) -> NetworkReport:
    manifest, ir = load_project(root)
    trace = manifest.trace
    if trace is None or manifest.interface is None:          # load_project refuses these
        raise ProjectError(f"{root}: no trace map or no device interface")
    iface = DeviceInterface.read(root / manifest.interface)
    if params_for is not None:
        ir, iface = _other_weights(iface, params_for)
        if params_image is None:
            params_image = iface.params.read_image(params_for)
    golden = GoldenModel(ir)
    xs = golden.to_counts(x).numpy()
    status("building with Verilator (cached when nothing changed)")
    t0 = time.perf_counter()
    bdir, built = runner.build([root / s for s in manifest.sources] + [TB_SOURCE], TB_TOP,
                               {"BEATS": iface.beats_per_sample,
                                "ADDR_BITS": iface.axil_addr_bits,
                                **({"PBEATS": iface.params.beats + PARAMS_SLACK}
                                   if iface.params else {})},
                               build_dir, build_args=BUILD_ARGS)
    build_s = time.perf_counter() - t0
    run = _run_folder(work, root, manifest, trace, iface, xs, (in_gap, out_gap), overlap,
                      params_image)
    S, cyc = len(xs), manifest.cycles
    passes = "twice (alone, then back to back)" if overlap else "once"
    status(f"simulating {S} samples {passes}: about "
           f"{S * (cyc.sum + cyc.interval) * (2 if overlap else 1):,} cycles; "
           "the table follows when the run ends")
    t0 = time.perf_counter()
    res = runner.run_test(bdir, TB_TOP, TB_MODULE, run,
                          {"SDMF_NETWORK_CONFIG": str(run / "config.json")}, seed=seed)
    sim_s = time.perf_counter() - t0
    if not res.passed:
        raise runner.SimFailure("network testbench failed:\n" + "\n".join(res.failures)
                                + f"\n(log: {res.log})")
    tb = json.loads((run / "tb_results.json").read_text())
    _check_params(tb, iface)
    status(f"simulated in {sim_s:.0f} s; comparing every tap with the golden model")
    g = golden.run(torch.from_numpy(xs), taps=True)
    runs = 2 if overlap else 1
    samples = compare_samples(g, run, trace, tb, labels, S, runs)
    graph = _project_graph(manifest, ir)
    per = [{k: v[i].numpy() for k, v in g.taps.items()} for i in range(S)]
    expected = _sample_cycles(manifest, graph, per)
    layers = _cycles(manifest, run / trace.busy, S, runs, expected)
    _check_counters(tb, run / trace.busy)
    checked = overlap and S >= 2 and in_gap == out_gap == 0
    dones = _interval_model(graph, per, run / trace.dir / EVENTS_FILE) if checked else None
    compared = [*sorted(trace.taps), ir.ops[-1].name]
    removed = list(manifest.removed_taps)
    internal = [op.name for op in ir.ops if op.name not in compared and op.name not in removed]
    return NetworkReport(project=str(root), samples=samples, layers=layers,
                         compared_taps=compared, internal_taps=internal, removed_taps=removed,
                         design_interval=cyc.interval, interval_bound=cyc.bound,
                         pipelined_interval=(tb.get("pipelined") or {}).get("interval"),
                         interval_checked=checked,
                         build_seconds=build_s, sim_seconds=sim_s, built=built,
                         data_dependent=sorted(expected),
                         done_measured=dones[0] if dones else [],
                         done_model=dones[1] if dones else [],
                         clock_mhz=manifest.options.clock_mhz or DEFAULT_CLOCK_MHZ)


def _other_weights(iface: DeviceInterface, folder: Path) -> tuple[IntegerIR, DeviceInterface]:
    """The IR and interface of ``folder`` (``sdmf hwgen --params-for``), which must describe
    the design of ``iface`` (:class:`ProjectError` otherwise)."""
    other = DeviceInterface.read(folder / INTERFACE_FILE)
    if other.params is None or other.design_hash != iface.design_hash \
            or other.registers != iface.registers or other.params.memories != \
            (iface.params.memories if iface.params else None):
        raise ProjectError(f"{folder / INTERFACE_FILE}: design {other.design_hash}, not the "
                           f"project's design {iface.design_hash} with loaded parameters")
    ir = IntegerIR.load(folder / IR_FILE)
    if ir.content_hash() != other.ir_hash:
        raise ProjectError(f"{folder / IR_FILE}: IR hash {ir.content_hash()[:12]}… differs from "
                           f"field ir_hash {other.ir_hash[:12]}… of {folder / INTERFACE_FILE}")
    return ir, other


def _check_params(tb: dict[str, Any], iface: DeviceInterface) -> None:
    """:class:`ParamLoadError` unless the parameter load (if any) left ``valid`` set."""
    rec = tb.get("params")
    if iface.params is None or rec is None:
        return
    got = regmap.PARAM.unpack(rec["status"])
    if not got["valid"]:
        raise ParamLoadError(
            f"parameters not accepted: register {rec['status']:#x} ({got}), device CRC-32 "
            f"{rec['crc']:#010x}, expected {iface.params.crc32:#010x}", rec)


def compare_samples(g: Any, run: Path, trace: Trace, tb: dict[str, Any],
                    labels: list[int] | None, S: int, runs: int) -> list[SampleReport]:
    """Per sample: class, logits and every tap, in each of the ``runs`` passes."""
    K = int(g.logits.shape[1])
    beats: dict[int, list[tuple[int, int]]] = {}
    for line in (run / "output.txt").read_text().splitlines():
        frame, data, last = line.split()
        beats.setdefault(int(frame), []).append((int(data, 16), int(last)))
    taps: dict[str, np.ndarray] = {}
    for name, t in trace.taps.items():
        words = _read_hex(run / t.file)             # one per beat, nb per position
        want = runs * S * t.positions * t.nb
        if len(words) != want:
            raise NetworkMismatchError(
                f"tap {name}: {len(words)} words in {t.file}, expected {want} "
                f"({runs}×{S} inferences × {t.positions} positions × {t.nb} beats)")
        arr = decode_words(words, t.T // t.nb, t.channels, t.elem_bits)
        taps[name] = arr.reshape(runs * S, t.positions, t.T, t.channels).transpose(0, 2, 3, 1)
    out = []
    for i in range(S):
        gl = [int(v) for v in g.logits[i]]
        logits: list[int] = []
        rtl_class: int | None = None
        logits_ok, mism = True, []
        for r in range(runs):
            frame = r * S + i
            got, cls = _decode(beats.get(frame, []), K)
            logits_ok &= cls is not None and got == gl
            if r == 0:
                logits, rtl_class = got, cls
            elif cls != rtl_class:
                rtl_class = None
            for name, arr in taps.items():
                ref = g.taps[name][i].numpy()
                if not np.array_equal(arr[frame], ref.reshape(arr[frame].shape)) \
                        and name not in mism:
                    mism.append(name)
        out.append(SampleReport(
            index=i, label=None if labels is None else int(labels[i]),
            golden_class=int(g.pred[i]), rtl_class=rtl_class, logits_equal=logits_ok,
            taps_equal=not mism, mismatched_taps=mism, cycles=int(tb["samples"][i]["cycles"]),
            golden_logits=gl, rtl_logits=logits))
    return out


def _decode(beats: list[tuple[int, int]], K: int) -> tuple[list[int], int | None]:
    """Logits and class of one output frame (``(data, last)`` beats); the class is None
    when the frame is malformed (beat count, ``TLAST``, class value), the logits are then
    those of the first K beats as far as present."""
    try:
        res = decode_output([d for d, _ in beats], K, [last for _, last in beats])
        return list(res.logits), res.cls
    except FramingError:
        return [to_signed(d, BEAT_BITS) for d, _ in beats[:K]], None


def _project_graph(manifest: Project, ir: IntegerIR) -> HwGraph:
    """The project's hardware graph, rebuilt from its IR with its knobs (checked); the
    interval is the project's (``manifest.cycles``), so the rebuild skips its model."""
    plan = manifest.plan
    graph = build_graph(ir, manifest.backend, widths=manifest.options.widths, interval=False,
                        params=manifest.options.params, **plan.build_kwargs())
    for name, knobs in plan.knobs.items():
        if graph.layers[name].parallel != knobs:
            raise ProjectError(f"layer {name}: rebuilt with knobs {graph.layers[name].parallel}"
                               f", the project has {knobs}")
    return graph


def _sample_cycles(manifest: Project, graph: HwGraph,
                   per: list[dict[str, np.ndarray]]) -> dict[str, list[int]]:
    """Per data-dependent layer, its model's busy cycles of each sample, from the golden
    tensors of that sample (``per[i]``)."""
    names = [n for n, m in manifest.cycles.layers.items() if m.data_dependent]
    if not names:
        return {}
    busy = [sample_busy(graph, taps) for taps in per]
    return {n: [b[n] for b in busy] for n in names}


def _interval_model(graph: HwGraph, per: list[dict[str, np.ndarray]],
                    events: Path) -> tuple[list[int], list[int]]:
    """The overlapped pass's ``done`` cycles: measured (the trace's event log) and the
    token-level recurrence's (:func:`sdmf.hw.timing.done_cycles`) from the golden tensors
    and the host's start cycles of that pass."""
    if not events.exists():
        raise NetworkMismatchError(f"{events} was not written: the project predates the "
                                   "trace's event log; regenerate it with `sdmf hwgen --trace "
                                   "--counters`")
    log: dict[str, list[int]] = {"start": [], "valid": [], "done": []}
    for line in events.read_text().splitlines():
        what, cycle = line.split()
        log.setdefault(what, []).append(int(cycle))
    S = len(per)
    if any(len(v) != 2 * S for v in log.values()):
        raise NetworkMismatchError(f"{events}: {({k: len(v) for k, v in log.items()})} "
                                   f"events, expected {2 * S} of each (two passes)")
    model = done_cycles(graph, per, log["start"][S:], log["valid"][S:])
    return log["done"][S:], model


def _cycles(manifest: Project, busy_file: Path, S: int, runs: int,
            expected: Mapping[str, list[int]]) -> list[LayerCycles]:
    """Busy cycles of every layer of the cycle model: per sample in the sequential pass
    (one inference in flight, counters dumped at each done), and the total of the
    overlapped pass (every unit is idle again at its last done)."""
    cum: dict[str, list[int]] = {}
    for line in busy_file.read_text().splitlines():
        _, name, value = line.split()
        cum.setdefault(name, []).append(int(value))
    layers = []
    for name, model in manifest.cycles.layers.items():
        values = cum.get(name, [])
        if len(values) != runs * S:
            raise NetworkMismatchError(f"busy counter of {name}: {len(values)} dumps, "
                                       f"expected {runs * S} (one per inference)")
        per = [b - a for a, b in zip([0, *values[:S - 1]], values[:S])]
        overlapped = values[-1] - values[S - 1] if runs > 1 else None
        layers.append(LayerCycles(name, model.kind, model.busy, per, overlapped,
                                  expected.get(name)))
    return layers


def _check_counters(tb: dict[str, Any], busy_file: Path) -> None:
    """The AXI4-Lite busy counters read after each sample equal the trace's dump."""
    dumped: dict[tuple[int, str], int] = {}
    for line in busy_file.read_text().splitlines():
        i, name, value = line.split()
        dumped[(int(i), name)] = int(value)
    for s in tb["samples"]:
        for name, value in s.get("counters", {}).items():
            want = dumped.get((s["sample"], name))
            if want != value:
                raise NetworkMismatchError(
                    f"sample {s['sample']}: AXI4-Lite busy counter of {name} reads {value}, "
                    f"the trace dumped {want}")


def check(report: NetworkReport) -> None:
    """Raise :class:`NetworkMismatchError` naming the first disagreement."""
    for s in report.samples:
        if not s.bit_exact:
            raise NetworkMismatchError(
                f"sample {s.index}: golden class {s.golden_class}, RTL {s.rtl_class}; logits "
                f"{'equal' if s.logits_equal else f'{s.rtl_logits} != {s.golden_logits}'}; "
                f"mismatched taps: {s.mismatched_taps or 'none'}")
    bad = [lay for lay in report.layers if not lay.exact]
    if bad:
        raise NetworkMismatchError("busy cycles differ from the analytic model: " + ", ".join(
            f"{lay.name} measured {lay.measured} (overlapped total {lay.overlapped}) vs "
            f"{lay.model} per inference" for lay in bad))
    if not report.interval_ok:
        raise NetworkMismatchError(
            f"pipelined interval measured {report.pipelined_interval} cycles, the token "
            f"recurrence of this pass says {report.model_interval}, the design's interval "
            f"is {report.design_interval}; done cycles measured {report.done_measured}, "
            f"modelled {report.done_model}")
