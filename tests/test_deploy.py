"""The deployment bundle (``sdmf deploy``), the PL clock parameter and the shared block
design — CPU only: the Vivado scripts are generated and parsed, never run (no Vivado
here), and the board script runs against a stand-in accelerator.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
import tarfile
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
from tiny_ir import tiny_ir

from sdmf.cli.main import main
from sdmf.device import INTERFACE_FILE, DeviceInterface
from sdmf.device import blockdesign as bd
from sdmf.hw.backends.rtl.scripts import BUILD_OUTPUTS, design_id_of, vivado_tcl
from sdmf.hw.boards import BOARDS
from sdmf.hw.flow import generate
from sdmf.hw.project import Project, ProjectError

BUNDLE_FILES = {"README.txt", "bundle.json", INTERFACE_FILE, "run.py", "sdmf_demo.ipynb",
                "sdmformer_host-0.1.0-py3-none-any.whl", "vectors/frames.npy",
                "vectors/labels.npy", "vectors/golden_logits.npy",
                "vectors/golden_classes.npy", "vectors/vectors.json"}
SAMPLES = 3


@pytest.fixture(scope="module")
def ir_file(tmp_path_factory):
    return tiny_ir().save(tmp_path_factory.mktemp("ir") / "tiny.sdmfir")


def _project(root: Path, ir_file: Path, *args: str) -> Path:
    out = root / "project"
    assert main(["hwgen", "--ir", str(ir_file), "--out", str(out), "--json", *args]) == 0
    return out


def _tcl(project: Path, board: str) -> str:
    return (project / "scripts" / f"vivado_{board}.tcl").read_text()


def _fake_build(project: Path, board: str, clock: str, design: str | None = None) -> None:
    """What a successful Vivado run of the board's script leaves (no Vivado here)."""
    out = project / "vivado" / board
    out.mkdir(parents=True, exist_ok=True)
    did = design or design_id_of(_tcl(project, board))
    for name, text in zip(BUILD_OUTPUTS, ["BIT", "<hwh/>", clock, did]):
        (out / name).write_text(text + "\n")


def _deploy(capsys, project: Path, out: Path, board: str) -> dict:
    capsys.readouterr()
    assert main(["deploy", "--board", board, "--project", str(project), "--out", str(out),
                 "--samples", str(SAMPLES), "--no-progress", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------------- the clock


@pytest.mark.parametrize("args,clock", [([], bd.DEFAULT_CLOCK_MHZ),
                                        (["--board", "pynq_z2"], 100.0),
                                        (["--board", "kv260"], 250.0),
                                        (["--board", "pynq_z2", "--clock-mhz", "142.857"],
                                         142.857)])
def test_the_clock_is_the_designs(tmp_path, capsys, ir_file, args, clock):
    capsys.readouterr()
    project = _project(tmp_path, ir_file, *args)
    res = json.loads(capsys.readouterr().out)
    interval = res["report"]["info"]["cycles"]["interval"]
    assert res["throughput"] == {"clock_mhz": clock, "img_per_s": clock * 1e6 / interval}
    assert Project.load(project).options.clock_mhz == clock
    assert DeviceInterface.read(project / INTERFACE_FILE).clock_mhz == clock
    for name, board in BOARDS.items():
        tcl = _tcl(project, name)
        (set_clock,) = re.findall(r"^set clock_mhz (\S+)$", tcl, re.MULTILINE)
        assert float(set_clock) == clock
        assert f"{board.clock_property} $clock_mhz]" in tcl
        assert f"set actual_mhz [get_property {board.clock_actual_property} " in tcl
        assert f"> {bd.CLOCK_TOLERANCE} * $clock_mhz" in tcl
        assert re.search(r"if \{\$wns < 0 \|\| \$whs < 0\} \{\s*error", tcl)
        assert "publish_text $actual_mhz $out/clock_mhz.txt" in tcl
        assert not re.search(r"FREQMHZ \{", tcl)           # no literal clock left


def test_board_defaults_agree_and_clock_checks():
    assert {n: b.default_clock_mhz for n, b in BOARDS.items()} == bd.PL_CLOCK_MHZ
    assert bd.default_clock_mhz() == bd.DEFAULT_CLOCK_MHZ
    with pytest.raises(ValueError, match="unknown board 'zcu104'"):
        bd.default_clock_mhz("zcu104")
    assert bd.clock_matches(250.0, 249.9975) and not bd.clock_matches(250.0, 200.0)
    for bad in (0, -1.0, float("nan"), True, "100"):
        with pytest.raises(ValueError, match="not a positive frequency"):
            bd.check_clock_mhz(bad)


def test_interface_and_manifest_without_a_clock_still_read(tmp_path, ir_file):
    project = _project(tmp_path, ir_file)
    d = json.loads((project / INTERFACE_FILE).read_text())
    d.pop("clock_mhz")
    assert DeviceInterface.from_dict(d).clock_mhz is None          # an older file
    d["clock_mhz"] = "fast"
    with pytest.raises(ValueError, match="field clock_mhz: 'fast' is not a positive"):
        DeviceInterface.from_dict(d)
    m = json.loads((project / "project.json").read_text())
    m["options"].pop("clock_mhz")
    assert Project.from_json(m).options.clock_mhz is None
    m["options"]["clock_mhz"] = "fast"
    with pytest.raises(ProjectError, match=r"field options\.clock_mhz must be a number"):
        Project.from_json(m)
    m["options"]["clock_mhz"] = 100.0
    assert Project.from_json(m).options.params == "rom"
    m["options"]["params"] = "flash"
    with pytest.raises(ProjectError, match=r"project.json: field options: GenOptions.params: "
                                           r"'flash', expected one of rom, loaded"):
        Project.from_json(m)


# ---------------------------------------------------------------------- block design


def _cells(tcl: str) -> set[str]:
    """Every block-design cell the script creates or names in a pin path."""
    made = set(re.findall(r"create_bd_cell .* (\S+)$", tcl, re.MULTILINE))
    named = set(re.findall(r"get_bd_(?:intf_)?pins (?:\{)?/?(\w+)/", tcl))
    named |= set(re.findall(r"get_bd_cells (\w+)\]", tcl))
    named |= set(re.findall(r'"/(\w+)/\w+"', tcl))
    for pins in re.findall(r"foreach pin \{([^}]*)\}", tcl):
        named |= {p.split("/")[0] for p in pins.split()}
    return made | named


@pytest.mark.parametrize("board", list(BOARDS))
def test_the_tcl_is_the_shared_block_design(tmp_path, ir_file, board):
    tcl = _tcl(_project(tmp_path, ir_file, "--board", board), board)
    assert _cells(tcl) == {bd.PS_INSTANCE, bd.IP_INSTANCE, bd.DMA_INSTANCE, bd.IRQ_INSTANCE}
    assert re.search(rf"create_bd_cell -type module -reference sdmf_ip {bd.IP_INSTANCE}$",
                     tcl, re.MULTILINE)
    assert re.search(rf"axi_dma:\*\] end\] {bd.DMA_INSTANCE}$", tcl, re.MULTILINE)
    dma = dict(re.findall(r"CONFIG\.(c_\w+) \{(\d+)\}", tcl))
    assert {k: int(v) for k, v in dma.items()} == bd.DMA_CONFIG
    assert dma["c_m_axis_mm2s_tdata_width"] == dma["c_s_axis_s2mm_tdata_width"] == "64"
    assert bd.STREAM_BITS == 64
    nets = re.findall(r"connect_bd_intf_net \[get_bd_intf_pins (\S+)\] \[get_bd_intf_pins (\S+)\]",
                      tcl)
    assert nets == [("dma/M_AXIS_MM2S", "sdmf/s_axis"), ("sdmf/m_axis", "dma/S_AXIS_S2MM")]
    irqs = re.findall(r"connect_bd_net \[get_bd_pins (\S+)\] \[get_bd_pins irq/In(\d+)\]", tcl)
    assert irqs == [("dma/mm2s_introut", "0"), ("dma/s2mm_introut", "1"),
                    ("sdmf/interrupt", "2")]
    assert [(i.path, str(i.line)) for i in bd.INTERRUPTS] == irqs
    assert f"CONFIG.NUM_PORTS {{{len(bd.INTERRUPTS)}}}" in tcl
    assert f"[get_bd_pins irq/dout] [get_bd_pins ps/{BOARDS[board].irq}]" in tcl
    assert bd.IP_INTERRUPT == "sdmf/interrupt"


def test_no_instance_name_is_literal_in_the_template(monkeypatch):
    """Renaming the cells in blockdesign renames every reference in the script."""
    names = {"PS_INSTANCE": "zynq", "IP_INSTANCE": "acc0", "DMA_INSTANCE": "dma7",
             "IRQ_INSTANCE": "irqs"}
    old = {getattr(bd, k): v for k, v in names.items()}
    for key, value in names.items():
        monkeypatch.setattr(bd, key, value)
    monkeypatch.setattr(bd, "STREAM_NETS", tuple(
        tuple(f"{old[p.split('/')[0]]}/{p.split('/')[1]}" for p in net) for net in bd.STREAM_NETS))
    monkeypatch.setattr(bd, "INTERRUPTS", tuple(
        bd.Interrupt(i.line, old[i.cell], i.pin) for i in bd.INTERRUPTS))
    for board in BOARDS.values():
        tcl = vivado_tcl(board, ["rtl/a.sv"], ["mem/a.mem"], "sdmf_ip", 100.0)
        assert _cells(tcl) == set(names.values())


# ---------------------------------------------------------------------- the bundle


@pytest.mark.parametrize("board", list(BOARDS))
def test_deploy_writes_the_bundle_without_a_bitstream(tmp_path, capsys, ir_file, board):
    from sdmf.quant.golden import GoldenModel
    from sdmf.quant.ir import IntegerIR

    project = _project(tmp_path, ir_file, "--board", board)
    out = tmp_path / "deploy"
    res = _deploy(capsys, project, out, board)
    folder, tarball = out / board, out / f"sdmf-{board}.tar.gz"
    assert sorted(p.name for p in out.iterdir()) == sorted([board, tarball.name])  # no temps
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert files == BUNDLE_FILES == set(res["files"])
    assert not res["bitstream"]
    assert res["bitstream_note"].startswith(f"no bitstream: run make bitstream BOARD={board} "
                                            "on a machine with Vivado, then make deploy again")
    assert "MISSING - no bitstream" in (folder / "README.txt").read_text()
    iface = DeviceInterface.read(folder / INTERFACE_FILE)
    assert iface == DeviceInterface.read(project / INTERFACE_FILE)
    assert iface.clock_mhz == bd.PL_CLOCK_MHZ[board]
    with tarfile.open(tarball) as tar:
        assert {m.name for m in tar.getmembers() if m.isfile()} == {
            f"sdmf-{board}/{f}" for f in files}
    vec = {k: np.load(folder / "vectors" / f) for k, f in (
        ("frames", "frames.npy"), ("labels", "labels.npy"), ("logits", "golden_logits.npy"),
        ("classes", "golden_classes.npy"))}
    gold = GoldenModel(IntegerIR.load(ir_file)).run(vec["frames"].astype(np.int64))
    assert vec["frames"].shape == (SAMPLES, *iface.input_shape)
    assert np.array_equal(vec["logits"], gold.logits.numpy())
    assert np.array_equal(vec["classes"], gold.pred.numpy())
    meta = json.loads((folder / "vectors" / "vectors.json").read_text())
    assert meta["ir_hash"] == iface.ir_hash and meta["samples"] == SAMPLES
    _check_notebook(folder / "sdmf_demo.ipynb")


def test_a_loaded_parameter_design_bundles_its_load_image(tmp_path, capsys, ir_file):
    project = _project(tmp_path, ir_file, "--board", "kv260", "--params", "loaded")
    res = _deploy(capsys, project, tmp_path / "deploy", "kv260")
    folder = tmp_path / "deploy" / "kv260"
    assert set(res["files"]) == BUNDLE_FILES | {"params.bin"}
    iface = DeviceInterface.read(folder / INTERFACE_FILE)
    assert iface.params is not None
    assert (folder / "params.bin").read_bytes() == (project / "params.bin").read_bytes()
    assert len(iface.params.read_image(folder)) == iface.params.beats     # CRC checked


def _check_notebook(path: Path) -> None:
    nb = json.loads(path.read_text())
    assert (nb["nbformat"], nb["nbformat_minor"]) == (4, 5)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert len({c["id"] for c in nb["cells"]}) == len(nb["cells"])
    for cell in code:
        compile("".join(cell["source"]), path.name, "exec")
    text = "".join(s for c in code for s in c["source"])
    assert "Accelerator(" in text and "acc.check()" in text and "run.evaluate(" in text


def test_a_bitstream_of_the_design_is_bundled_and_a_stale_one_is_not(tmp_path, capsys,
                                                                     ir_file):
    project = _project(tmp_path, ir_file, "--board", "kv260")
    _fake_build(project, "kv260", "249.9975")
    _fake_build(project, "pynq_z2", "100", design="0123456789abcdef")      # another design
    project = _project(tmp_path, ir_file, "--board", "kv260")   # regenerated: builds kept
    out = tmp_path / "deploy"
    res = _deploy(capsys, project, out, "kv260")
    assert res["bitstream"] and res["clock_actual_mhz"] == 249.9975
    assert (out / "kv260" / "sdmf.bit").read_text() == "BIT\n"
    assert (out / "kv260" / "sdmf.hwh").read_text() == "<hwh/>\n"
    assert DeviceInterface.read(out / "kv260" / INTERFACE_FILE).clock_mhz == 249.9975
    assert json.loads((out / "kv260" / "bundle.json").read_text())["design_id"] == \
        design_id_of(_tcl(project, "kv260"))
    res = _deploy(capsys, project, out, "pynq_z2")
    assert not res["bitstream"] and res["bitstream_note"].startswith("stale bitstream")
    assert not (out / "pynq_z2" / "sdmf.bit").exists()
    project = _project(tmp_path, ir_file, "--board", "kv260", "--clock-mhz", "200")
    assert (project / "vivado" / "kv260" / "sdmf.bit").is_file()      # kept, but now stale
    res = _deploy(capsys, project, out, "kv260")
    assert not res["bitstream"] and res["bitstream_note"].startswith("stale bitstream")
    assert "(the design or its clock changed)" in res["bitstream_note"]
    assert not (out / "kv260" / "sdmf.bit").exists()


def test_deploy_refuses_a_project_without_a_clock(tmp_path, capsys, ir_file):
    project = _project(tmp_path, ir_file)
    m = json.loads((project / "project.json").read_text())
    m["options"]["clock_mhz"] = None
    (project / "project.json").write_text(json.dumps(m))
    capsys.readouterr()
    assert main(["deploy", "--board", "kv260", "--project", str(project), "--out",
                 str(tmp_path / "d")]) == 2
    assert "generated before the PL clock was recorded" in capsys.readouterr().err
    assert not (tmp_path / "d" / "kv260").exists()


# ---------------------------------------------------------------------- run.py


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, ir_file):
    root = tmp_path_factory.mktemp("bundle")
    project = root / "project"
    generate(ir_file, project, board="pynq_z2")
    assert main(["deploy", "--board", "pynq_z2", "--project", str(project), "--out",
                 str(root / "deploy"), "--samples", str(SAMPLES), "--no-progress"]) == 0
    return root / "deploy" / "pynq_z2"


def _board_script(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle_run", folder / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class _HostError(Exception):
    pass


class _DmaTimeoutError(_HostError):
    pass


def _fake_accelerator(vec_dir: Path, flip: int | None = None, fail: Exception | None = None):
    """A stand-in for sdmf.host.Accelerator that returns the golden results."""
    logits = np.load(vec_dir / "golden_logits.npy")
    classes = np.load(vec_dir / "golden_classes.npy")

    class Fake:
        def __init__(self, bitfile, interface=None, *, timeout_s=10.0):
            self.iface = interface

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def check(self):
            if fail:
                raise fail

        def run(self, frames):
            n = len(frames)
            lg = logits[:n].copy()
            if flip is not None:
                lg[flip, 0] += 1
            return SimpleNamespace(
                logits=lg, classes=classes[:n], latency_cycles=np.full(n, 1000),
                interval_cycles=336, img_per_s_counters=1e8 / 336, img_per_s_wall=1234.5,
                latency_s_counters=1e-5,
                timing={"pack_s": 0.001, "transfer_s": 0.002, "unpack_s": 0.0005,
                        "wall_s": 0.004})
    return Fake


@pytest.fixture
def fake_host(monkeypatch):
    host = ModuleType("sdmf.host")
    host.HostError = _HostError
    monkeypatch.setitem(sys.modules, "sdmf.host", host)
    return host


def test_run_py_reports_agreement_and_exits_by_it(tmp_path, bundle, fake_host, capsys):
    folder = tmp_path / "b"
    shutil.copytree(bundle, folder)
    (folder / "sdmf.bit").write_text("BIT")
    (folder / "sdmf.hwh").write_text("HWH")
    run = _board_script(folder)
    vec = folder / "vectors"
    assert run.main([], accelerator=_fake_accelerator(vec)) == 0
    text = capsys.readouterr().out
    assert f"class {SAMPLES}/{SAMPLES}, logits {SAMPLES}/{SAMPLES} bit-exact" in text
    assert "pack 0.0010 s, transfer 0.0020 s, unpack 0.0005 s, wall 0.0040 s" in text
    assert run.main(["--json", "--samples", "2"], accelerator=_fake_accelerator(vec)) == 0
    rep = json.loads(capsys.readouterr().out)
    labels = np.load(vec / "labels.npy")[:2]
    golden = np.load(vec / "golden_classes.npy")[:2]
    assert rep["samples"] == 2 and rep["accuracy"] == float(np.mean(golden == labels))
    assert rep["board"] == "pynq_z2" and rep["clock_mhz"] == 100.0
    assert run.main([], accelerator=_fake_accelerator(vec, flip=1)) == 1
    assert "DISAGREE    samples [1]" in capsys.readouterr().out
    fail = _DmaTimeoutError("S2MM (result) channel idle after 10 s")
    assert run.main([], accelerator=_fake_accelerator(vec, fail=fail)) == 2
    err = capsys.readouterr().err
    assert err == "run.py: error: _DmaTimeoutError: S2MM (result) channel idle after 10 s\n"


def test_run_py_names_what_is_missing(tmp_path, bundle, fake_host, capsys):
    folder = tmp_path / "b"
    shutil.copytree(bundle, folder)
    run = _board_script(folder)
    assert run.main([]) == 2
    assert "no bitstream at" in capsys.readouterr().err
    (folder / "sdmf.bit").write_text("BIT")
    assert run.main([]) == 2
    assert "no sdmf.hwh beside" in capsys.readouterr().err
    meta = json.loads((folder / "vectors" / "vectors.json").read_text())
    meta["ir_hash"] = "0" * 64
    (folder / "vectors" / "vectors.json").write_text(json.dumps(meta))
    assert run.main([]) == 2
    assert "not the same bundle" in capsys.readouterr().err


# ---------------------------------------------------------------------- the wheel


def test_the_wheel_refuses_imports_the_board_lacks(tmp_path):
    from sdmf.deploy.wheel import WheelError, check_imports

    def module(arc: str, text: str) -> dict[str, Path]:
        path = tmp_path / arc.replace("/", "_")
        path.write_text(text)
        return {arc: path}

    ok = ("from __future__ import annotations\nimport json, numpy as np\nimport pynq\n"
          "from ..device import stream\nfrom . import driver\nfrom sdmf.io import write_json\n"
          "from sdmf import __version__\n")
    check_imports(module("sdmf/host/x.py", ok))
    for text, culprit in [("import torch\n", "torch"), ("from ..quant import ir\n", "sdmf.quant"),
                          ("from sdmf import hw\n", "sdmf.hw"), ("import tqdm\n", "tqdm")]:
        files = module("sdmf/host/x.py", "import os\n" + text)
        with pytest.raises(WheelError, match=rf"x\.py:2: imports {re.escape(culprit)}"):
            check_imports(files)


def _pip_install(python: Path, wheel: Path) -> None:
    """Install ``wheel`` with its dependencies: offline first (wheels pip already finds
    through its configured --find-links), else from the configured index."""
    import subprocess

    base = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
            "--find-links", str(wheel.parent), str(wheel)]
    offline = subprocess.run([*base[:4], "--no-index", *base[4:]], capture_output=True,
                             text=True, timeout=300)
    if offline.returncode == 0:
        return
    online = subprocess.run(base, capture_output=True, text=True, timeout=600)
    assert online.returncode == 0, (f"pip install failed offline:\n{offline.stderr}\n"
                                    f"and from the index:\n{online.stderr}")


def test_the_wheel_installs_into_a_fresh_venv_with_numpy_only(tmp_path, bundle):
    import os
    import subprocess
    import venv

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    (wheel,) = bundle.glob("sdmformer_host-*.whl")
    _pip_install(python, wheel)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONNOUSERSITE": "1"}

    def run(*args: str, cwd: Path = bundle) -> subprocess.CompletedProcess:
        return subprocess.run([str(python), *args], capture_output=True, text=True, cwd=cwd,
                              env=env, timeout=120)

    listed = json.loads(run("-m", "pip", "list", "--format", "json").stdout)
    assert {d["name"].lower() for d in listed} - {"pip", "setuptools", "wheel"} == {
        "numpy", "sdmformer-host"}
    probe = run("-c", "import sys, sdmf, sdmf.io, sdmf.device, sdmf.device.blockdesign, "
                "sdmf.host; print(sdmf.__file__); "
                "print(sorted(m for m in ('torch', 'pynq') if m in sys.modules))", cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    where, loaded = probe.stdout.split("\n")[:2]
    assert Path(where).is_relative_to(env_dir) and loaded == "[]"
    helped = run("run.py", "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: run.py")
    no_bit = run("run.py")
    assert no_bit.returncode == 2
    assert no_bit.stderr.startswith("run.py: error: no bitstream at ")
    (tmp_path / "x.bit").write_text("BIT")
    (tmp_path / "x.hwh").write_text("HWH")
    no_pynq = run("run.py", "--bitfile", str(tmp_path / "x.bit"), "--interface",
                  str(bundle / INTERFACE_FILE))
    assert no_pynq.returncode == 2 and no_pynq.stderr.count("\n") == 1
    assert no_pynq.stderr.startswith("run.py: error: pynq is not importable by ")
