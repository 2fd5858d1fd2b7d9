"""The project manifest (project.json): contents, round trip, refusals naming file and field,
and `sdmf sim --project` refusing what it cannot simulate (no Verilator needed)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from tiny_models import make_ir

from sdmf.device import DeviceInterface
from sdmf.hw.flow import generate
from sdmf.hw.project import PROJECT_FORMAT, Project, ProjectError
from sdmf.quant.ir import IntegerIR


@pytest.fixture(scope="module")
def ir() -> IntegerIR:
    return make_ir()


@pytest.fixture(scope="module")
def project(ir, tmp_path_factory):
    out = tmp_path_factory.mktemp("proj") / "p"
    report = generate(ir, out, trace=True, counters=True, budget=30,
                      overrides={"sps.1": {"PO": 2, "PI": 4}})
    return out, report


def test_manifest_describes_the_project(ir, project):
    out, report = project
    m = Project.load(out)
    info = report["info"]
    assert (m.format, m.backend, m.top, m.ip_top) == (PROJECT_FORMAT, "rtl", "sdmf_top",
                                                      "sdmf_ip")
    assert m.sources == report["sources"] == (out / "filelist.f").read_text().split()
    assert m.memories == report["memories"] and m.memories
    assert "scripts/vivado_pynq_z2.tcl" in m.scripts and "filelist.f" in m.scripts
    assert m.options.trace and m.options.counters
    assert m.ir_hash == ir.content_hash() == IntegerIR.load(out / m.ir).content_hash()
    assert m.interface == "interface.json"
    assert DeviceInterface.read(out / m.interface).to_dict() == report["interface"]
    assert (m.plan.mode, m.plan.budget, m.plan.lanes) == ("budget", 30,
                                                         info["parallelism"]["lanes"])
    assert m.plan.overrides == {"sps.1": {"PO": 2, "PI": 4}} and not m.plan.row_parallel
    layers = {lay["name"]: lay for lay in report["layers"]}
    assert m.plan.knobs == {n: lay["parallel"] for n, lay in layers.items() if lay["parallel"]}
    assert (m.cycles.interval, m.cycles.bottleneck, m.cycles.sum) == tuple(
        info["cycles"][k] for k in ("interval", "bottleneck", "sum"))
    compute = {"conv_lif", "maxpool", "attention_lif", "residual_add", "head"}
    assert {n: (c.kind, c.busy) for n, c in m.cycles.layers.items()} == {
        n: (lay["kind"], lay["cycles"]) for n, lay in layers.items() if lay["kind"] in compute}
    assert m.trace is not None and set(m.trace.taps) == set(report["trace"]["taps"])
    assert m.trace.busy_layers == report["trace"]["busy_layers"]
    assert Project.from_json(json.loads((out / "project.json").read_text())) == m
    assert Project.from_json(m.to_json()) == m


@pytest.mark.parametrize("edit,message", [
    (lambda d: d["cycles"].update(interval="41984"),
     "field cycles.interval must be an integer"),
    (lambda d: d["cycles"]["layers"]["sps.0"].pop("busy"),
     r"missing field cycles.layers\['sps.0'\].busy"),
    (lambda d: d["plan"]["knobs"]["sps.0"].update(PO=True),
     r"field plan.knobs\['sps.0'\]\['PO'\] must be an integer"),
    (lambda d: d.update(sources="rtl/sdmf_top.sv"), "field sources must be a list"),
    (lambda d: d.update(extra=1), "unknown field extra"),
    (lambda d: d["options"].update(trace="yes"), "field options.trace must be true or false"),
    (lambda d: d.update(format="sdmf-project/0"), "field format is 'sdmf-project/0'"),
])
def test_a_malformed_manifest_is_refused_naming_the_field(project, tmp_path, edit, message):
    data = json.loads((project[0] / "project.json").read_text())
    edit(data)
    with pytest.raises(ProjectError, match=rf"x\.json: {message}"):
        Project.from_json(data, "x.json")


def test_a_project_missing_a_listed_file_is_refused(ir, tmp_path):
    out = tmp_path / "p"
    generate(ir, out)
    (out / "rtl" / "sdmf_fifo.sv").unlink()
    with pytest.raises(ProjectError, match=r"project\.json: field sources\[\d+\] names "
                                           r"'rtl/sdmf_fifo\.sv', which does not exist"):
        Project.load(out)
    with pytest.raises(ProjectError, match=r"does not exist: is .* a project"):
        Project.load(tmp_path)


def test_sim_project_refuses_what_it_cannot_simulate(ir, project, tmp_path, capsys):
    from sdmf.cli.main import main
    from sdmf.sim.network import load_project

    plain = tmp_path / "plain"
    generate(ir, plain, counters=True)
    assert main(["sim", "--project", str(plain), "--random"]) == 2
    err = capsys.readouterr().err
    assert "generated without --trace;" in err and "sdmf hwgen --trace --counters" in err
    assert main(["sim", "--project", str(project[0]), "--random", "--budget", "9",
                 "--row-parallel"]) == 2
    assert "--budget, --row-parallel: --project simulates" in capsys.readouterr().err
    path = ir.save(tmp_path / "m.sdmfir")
    assert main(["sim", "--ir", str(path), "--project", str(project[0])]) == 2
    assert "not allowed with argument" in capsys.readouterr().err

    other = tmp_path / "other"
    generate(ir, other, trace=True, counters=True)
    make_ir(seed=1).save(other / "model.sdmfir")            # not the IR it was made from
    with pytest.raises(ProjectError, match="differs from field ir_hash"):
        load_project(other)


def test_a_host_reads_a_project_without_torch(project):
    """project.json (and the generator behind it) need NumPy, not torch."""
    code = ("import sys; from sdmf.hw.project import Project; import sdmf.hw.flow; "
            "Project.load(sys.argv[1]); print(sorted(m for m in sys.modules "
            "if m.split('.')[0] == 'torch'))")
    proc = subprocess.run([sys.executable, "-c", code, str(project[0])], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
