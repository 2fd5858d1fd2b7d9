"""The bitstream of an HLS project (`make bitstream BACKEND=hls`, `sdmf bitstream`): its
Vivado script builds the RTL flow's block design around the register shell and the core
that the project's Vitis HLS script exports. No Vitis HLS or Vivado here: the scripts are
generated and parsed, and the tool runs are exercised with stand-in executables on PATH
(they only record their call and write what a real run leaves).
"""

from __future__ import annotations

import re
import stat
import subprocess
from pathlib import Path

import pytest
from tiny_ir import tiny_ir

from sdmf.cli.main import main
from sdmf.device import INTERFACE_FILE, DeviceInterface
from sdmf.device import blockdesign as bd
from sdmf.hw.backends.rtl.scripts import BUILD_OUTPUTS, bitstream_status, design_id_of
from sdmf.hw.boards import BOARDS
from sdmf.hw.flow import generate
from sdmf.hw.project import Project

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ir():
    return tiny_ir()


@pytest.fixture(scope="module", params=list(BOARDS))
def projects(request, ir, tmp_path_factory):
    """(board, RTL project, HLS project) generated for the board (its default clock)."""
    board = request.param
    root = tmp_path_factory.mktemp(f"bitstream_{board}")
    for backend in ("rtl", "hls"):
        generate(ir, root / backend, backend=backend, board=board)
    return board, root / "rtl", root / "hls"


def _script(project: Path, tool: str, board: str) -> str:
    return (project / "scripts" / f"{tool}_{board}.tcl").read_text()


def _one(pattern: str, text: str) -> str:
    found = re.findall(pattern, text, re.MULTILINE)
    assert len(found) == 1, (pattern, found)
    return found[0]


def test_the_block_design_is_the_rtl_flows(projects) -> None:
    """From the block design on, the HLS script is the RTL project's script for the same
    board and clock, and its values are sdmf.device.blockdesign's and the board's."""
    board, rtl, hls = projects
    rtl_tcl, hls_tcl = _script(rtl, "vivado", board), _script(hls, "vivado", board)
    start = "\ncreate_bd_design sdmf_bd\n"
    assert hls_tcl.count(start) == 1
    assert hls_tcl[hls_tcl.index(start):] == rtl_tcl[rtl_tcl.index(start):]
    cells = re.findall(r"^create_bd_cell -type (\w+) .* (\w+)$", hls_tcl, re.MULTILINE)
    assert cells == [("ip", bd.PS_INSTANCE), ("ip", bd.DMA_INSTANCE),
                     ("module", bd.IP_INSTANCE), ("ip", bd.IRQ_INSTANCE)]
    assert _one(r"^create_bd_cell -type module -reference (\w+) sdmf$", hls_tcl) == "sdmf_ip"
    dma = {k: int(v) for k, v in re.findall(r"CONFIG\.(c_\w+) \{(\d+)\}", hls_tcl)}
    assert dma["c_m_axis_mm2s_tdata_width"] == dma["c_s_axis_s2mm_tdata_width"] == 64
    assert dma == bd.DMA_CONFIG
    assert re.findall(r"connect_bd_intf_net \[get_bd_intf_pins (\S+)\] "
                      r"\[get_bd_intf_pins (\S+)\]", hls_tcl) == [
        ("dma/M_AXIS_MM2S", "sdmf/s_axis"), ("sdmf/m_axis", "dma/S_AXIS_S2MM")]
    assert re.findall(r"connect_bd_net \[get_bd_pins (\S+)\] \[get_bd_pins irq/In(\d)\]",
                      hls_tcl) == [("dma/mm2s_introut", "0"), ("dma/s2mm_introut", "1"),
                                   ("sdmf/interrupt", "2")]
    clock = float(_one(r"^set clock_mhz (\S+)$", hls_tcl))
    assert clock == {"pynq_z2": 100.0, "kv260": 250.0}[board]
    assert f"{BOARDS[board].clock_property} $clock_mhz]" in hls_tcl
    assert DeviceInterface.read(hls / INTERFACE_FILE).clock_mhz == clock
    assert Project.load(hls).options.clock_mhz == clock
    assert f"create_project sdmf_{board} $out -part {BOARDS[board].part}" in hls_tcl
    for out in BUILD_OUTPUTS:                              # where sdmf deploy looks
        assert f"$out/{out}" in hls_tcl
    assert _one(r"^set out (\S+)$", hls_tcl) == f"$root/vivado/{board}"


def test_the_core_is_the_ip_the_vitis_script_exports(projects) -> None:
    """The IP repository is the folder Vitis HLS's export writes (the project and solution
    of the Vitis script, impl/ip), the IP instance has the exported VLNV and the name the
    shell instantiates, which is not the HLS top's; the core runs at the PL clock."""
    board, _, hls = projects
    vitis, vivado = _script(hls, "vitis_hls", board), _script(hls, "vivado", board)
    folder = _one(r"^open_project -reset (\S+)$", vitis)
    solution = _one(r"^open_solution -reset (\S+) ", vitis)
    assert _one(r"^set core_repo \$root/(\S+)$", vivado) == f"{folder}/{solution}/impl/ip"
    assert "set_property ip_repo_paths [list $core_repo] [current_project]" in vivado
    export = _one(r"^export_design (.*\\\n.*)$", vitis)
    opts = dict(re.findall(r"-(\w+) (\S+)", export))
    assert opts["format"] == "ip_catalog"
    vlnv, module = _one(r"^create_ip -vlnv (\S+) -module_name (\w+)$", vivado)
    assert vlnv == ":".join(opts[k] for k in ("vendor", "library", "ipname", "version"))
    top = _one(r"^set_top (\w+)$", vitis)
    assert opts["ipname"] == top == "sdmf_top"
    shell = (hls / "rtl" / "sdmf_shell.sv").read_text()
    assert _one(r"^  (\w+) u_core \($", shell) == module != top
    assert f"generate_synth_checkpoint false [get_files {module}.xci]" in vivado
    assert vivado.index("create_ip") < vivado.index("create_bd_design")
    period = float(_one(r"^create_clock -period (\S+) -name default$", vitis))
    mhz = float(_one(r"^set clock_mhz (\S+)$", vivado))
    assert period == pytest.approx(1000.0 / mhz, rel=1e-9)
    assert f"-part {BOARDS[board].part}" in vivado and f"set_part {{{BOARDS[board].part}}}" in vitis


def test_the_files_the_scripts_add_exist(projects) -> None:
    """Vivado adds the shell's rtl/ sources (the project's, in order; no memory images);
    Vitis HLS adds the core and the testbench; every one exists in the project."""
    board, _, hls = projects
    vitis, vivado = _script(hls, "vitis_hls", board), _script(hls, "vivado", board)
    (listed,) = re.findall(r"^add_files -norecurse \[list (.*)\]$", vivado, re.MULTILINE)
    files = [f.removeprefix("$root/") for f in listed.split()]
    assert files == [s for s in Project.load(hls).sources if s.startswith("rtl/")]
    assert files[-1] == "rtl/sdmf_ip.v" and "rtl/sdmf_shell.sv" in files
    assert ".mem" not in vivado
    hls_files = re.findall(r"^add_files (?:-tb )?(\S+) -cflags", vitis, re.MULTILINE)
    assert hls_files == ["hls/sdmf_top.cpp", "tb/sdmf_tb.cpp"]
    for rel in [*files, *hls_files]:
        assert (hls / rel).is_file(), rel


def test_the_design_id_covers_the_hls_sources(tmp_path, ir) -> None:
    """A changed C++ source changes the design id; a bitstream of the design is kept when
    the project is generated again and is stale after a clock change."""
    from sdmf.hw.backends.hls.scripts import write_scripts
    from sdmf.hw.flow import build_graph

    project = tmp_path / "p"
    generate(ir, project, backend="hls", board="kv260")
    did = design_id_of(_script(project, "vivado", "kv260"))
    assert did is not None and did != design_id_of(_script(project, "vivado", "pynq_z2"))
    manifest = Project.load(project)
    params = project / "hls" / "sdmf_params.h"
    params.write_text(params.read_text() + "// changed\n")
    write_scripts(project, build_graph(ir, "hls"), manifest.sources, 250.0)
    assert design_id_of(_script(project, "vivado", "kv260")) not in (None, did)
    generate(ir, project, backend="hls", board="kv260")         # back to the generated C++
    assert design_id_of(_script(project, "vivado", "kv260")) == did
    _fake_vivado_outputs(project, "kv260")
    assert bitstream_status(project, "kv260")[0]
    generate(ir, project, backend="hls", board="kv260")
    assert bitstream_status(project, "kv260")[0]                 # carried over, still valid
    generate(ir, project, backend="hls", board="kv260", clock_mhz=200.0)
    ok, note = bitstream_status(project, "kv260")
    assert not ok and "the design or its clock changed" in note


# ---------------------------------------------------------------------- sdmf bitstream


def _fake_vivado_outputs(project: Path, board: str) -> None:
    """What a successful run of scripts/vivado_<board>.tcl leaves."""
    out = project / "vivado" / board
    out.mkdir(parents=True, exist_ok=True)
    did = design_id_of(_script(project, "vivado", board))
    for name, text in zip(BUILD_OUTPUTS, ["BIT", "<hwh/>", "250", did]):
        (out / name).write_text(f"{text}\n")


def _tool(bin_dir: Path, name: str, body: str) -> None:
    """A stand-in executable that appends its name, arguments and folder to calls.txt."""
    path = bin_dir / name
    path.write_text(f'#!/bin/sh\nPATH=/usr/bin:/bin\necho "{name} $* @ $PWD" >> '
                    f'"{bin_dir}/calls.txt"\n{body}\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _calls(bin_dir: Path) -> list[str]:
    calls = bin_dir / "calls.txt"
    return calls.read_text().splitlines() if calls.exists() else []


@pytest.fixture()
def hls_project(tmp_path, ir) -> Path:
    project = tmp_path / "hls"
    generate(ir, project, backend="hls", board="kv260")
    return project


@pytest.fixture()
def bin_dir(tmp_path, monkeypatch) -> Path:
    """An empty PATH but for the stand-ins a test puts into it."""
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", str(path))
    return path


def test_without_the_tools_one_line_names_them_and_the_project(hls_project, bin_dir, capsys,
                                                               tmp_path, ir):
    capsys.readouterr()
    assert main(["bitstream", "--project", str(hls_project), "--board", "kv260"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sdmf bitstream: error: ")
    assert "'vitis_hls' and 'vivado' are not on PATH" in err
    assert f"generated in {hls_project}" in err
    assert "scripts/vitis_hls_kv260.tcl, scripts/vivado_kv260.tcl" in err
    assert "install Vitis HLS and Vivado" in err
    _tool(bin_dir, "vitis_hls", "exit 0")          # one of two: still nothing runs
    assert main(["bitstream", "--project", str(hls_project), "--board", "kv260"]) == 2
    err = capsys.readouterr().err
    assert "'vivado' is not on PATH" in err and "vitis_hls'" not in err
    assert _calls(bin_dir) == []
    rtl = tmp_path / "rtl"                           # an RTL project needs Vivado only
    generate(ir, rtl, backend="rtl", board="pynq_z2")
    (bin_dir / "vitis_hls").unlink()
    assert main(["bitstream", "--project", str(rtl), "--board", "pynq_z2"]) == 2
    err = capsys.readouterr().err
    assert "'vivado' is not on PATH: the rtl project for pynq_z2" in err
    assert "vitis_hls" not in err and "(scripts/vivado_pynq_z2.tcl;" in err


def test_the_tools_run_in_order_in_the_project(hls_project, bin_dir, capsys):
    """Vitis HLS, then Vivado, each in the project folder with the board's script; the
    result is checked as sdmf deploy checks it."""
    _tool(bin_dir, "vitis_hls", "exit 0")
    did = design_id_of(_script(hls_project, "vivado", "kv260"))
    outputs = "".join(f'echo {text} > vivado/kv260/{name}\n' for name, text in
                      zip(BUILD_OUTPUTS, ["BIT", "hwh", "250", did]))
    _tool(bin_dir, "vivado", f"mkdir -p vivado/kv260\n{outputs}")
    capsys.readouterr()
    assert main(["bitstream", "--project", str(hls_project), "--board", "kv260"]) == 0
    where = hls_project.resolve()
    assert _calls(bin_dir) == [f"vitis_hls -f scripts/vitis_hls_kv260.tcl @ {where}",
                               f"vivado -mode batch -source scripts/vivado_kv260.tcl @ {where}"]
    out = capsys.readouterr().out
    assert f"bitstream of design {did} in {where}/vivado/kv260" in out


def test_a_failed_or_incomplete_run_is_an_error(hls_project, bin_dir, capsys):
    _tool(bin_dir, "vitis_hls", "exit 3")
    _tool(bin_dir, "vivado", "exit 0")
    capsys.readouterr()
    assert main(["bitstream", "--project", str(hls_project), "--board", "kv260"]) == 2
    err = capsys.readouterr().err
    assert "vitis_hls -f scripts/vitis_hls_kv260.tcl exited with status 3" in err
    assert [c.split()[0] for c in _calls(bin_dir)] == ["vitis_hls"]      # Vivado not run
    _tool(bin_dir, "vitis_hls", "exit 0")
    assert main(["bitstream", "--project", str(hls_project), "--board", "kv260"]) == 2
    assert "the tools finished but left no bitstream in" in capsys.readouterr().err


def test_make_bitstream_backend_hls_runs_the_hls_project() -> None:
    """The Makefile's recipe (dry run): generate the HLS project for the board, then
    `sdmf bitstream` on that folder; the default stays the RTL project."""
    def recipe(*args: str) -> list[str]:
        res = subprocess.run(["make", "-n", "-C", str(REPO), "bitstream", *args],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        return [line for line in res.stdout.replace("\\\n", " ").splitlines()
                if "sdmf " in line]

    hls = recipe("BACKEND=hls", "BOARD=kv260", "HLS_OUT=out/h")
    assert re.search(r"sdmf hwgen .*--out out/h --backend hls --board kv260", hls[0])
    assert re.search(r"sdmf bitstream --project out/h --board kv260$", hls[1])
    rtl = recipe("BOARD=pynq_z2", "HW_OUT=out/r")
    assert re.search(r"sdmf hwgen .*--out out/r/project --backend rtl --board pynq_z2", rtl[0])
    assert re.search(r"sdmf bitstream --project out/r/project --board pynq_z2$", rtl[1])
    assert len(hls) == len(rtl) == 2
