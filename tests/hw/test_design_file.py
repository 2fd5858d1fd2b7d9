"""Design files (sdmf.hw.design) and ``sdmf hwgen --design FILE``.

Oracles: the design hash and report of the same design generated from the command line's
options (``--par``, ``--mem``, ...), the file's own fields read back from report.json,
and files damaged by hand, one field at a time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_ir import tiny_ir

from sdmf.cli.main import main
from sdmf.hw.design import DesignError, load_design
from sdmf.hw.project import Project

ROOT = Path(__file__).resolve().parents[2]
KNOBS = {"sps.0": {"PO": 2, "PI": 1, "PK": 1}, "blocks.0.attn.v": {"PO": 3, "PI": 1}}
PLACEMENT = {"sps.0": {"weight": "lutram"}, "blocks.0.attn.q": {"bias": "bram"}}
GENERATE = {"trace": True, "counters": True, "params": "loaded", "word_beats": 1,
            "overrides": KNOBS, "placement": PLACEMENT}


@pytest.fixture(scope="module")
def ir_file(tmp_path_factory) -> Path:
    return tiny_ir().save(tmp_path_factory.mktemp("ir") / "tiny.sdmfir")


def write_design(folder: Path, model: str, generate: dict | None = None, **top) -> Path:
    path = folder / "design.json"
    path.write_text(json.dumps({"note": "test", "model": model,
                                "generate": GENERATE if generate is None else generate, **top}))
    return path


def test_design_file_generates_the_design_of_the_same_options(tmp_path, ir_file, capsys):
    design = write_design(tmp_path, str(ir_file))
    assert main(["hwgen", "--design", str(design), "--out", str(tmp_path / "a"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["throughput"]["clock_mhz"] == 250.0
    par = [a for layer, k in KNOBS.items()
           for a in ("--par", f"{layer}:" + ",".join(f"{x}={v}" for x, v in k.items()))]
    mem = [a for layer, roles in PLACEMENT.items() for role, style in roles.items()
           for a in ("--mem", f"{layer}:{role}={style}")]
    argv = ["hwgen", "--ir", str(ir_file), "--out", str(tmp_path / "b"), "--trace",
            "--counters", "--params", "loaded", *par, *mem]
    assert main(argv) == 0
    a, b = Project.load(tmp_path / "a"), Project.load(tmp_path / "b")
    assert a.design_hash == b.design_hash
    assert (tmp_path / "a/rtl/sdmf_top.sv").read_text() == \
        (tmp_path / "b/rtl/sdmf_top.sv").read_text()
    report = json.loads((tmp_path / "a/report.json").read_text())
    layers = {lay["name"]: lay for lay in report["layers"]}
    for layer, knobs in KNOBS.items():
        assert layers[layer]["parallel"] == knobs
    # without the pins the planner chooses other knobs: the file's knobs took effect
    assert main(["hwgen", "--ir", str(ir_file), "--out", str(tmp_path / "c")]) == 0
    plain = json.loads((tmp_path / "c/report.json").read_text())
    assert {lay["name"]: lay["parallel"] for lay in plain["layers"]}["sps.0"] != KNOBS["sps.0"]


def test_design_model_is_found_above_the_file_and_ir_replaces_it(tmp_path, ir_file):
    root = tmp_path / "repo"
    (root / "models").mkdir(parents=True)
    (root / "models/tiny.sdmfir").write_bytes(ir_file.read_bytes())
    (root / "designs").mkdir()
    path = write_design(root / "designs", "models/tiny.sdmfir")
    assert load_design(path).model == root / "models/tiny.sdmfir"
    other = tiny_ir(seed=3).save(tmp_path / "other.sdmfir")
    assert main(["hwgen", "--design", str(path), "--ir", str(other),
                 "--out", str(tmp_path / "p")]) == 0
    assert Project.load(tmp_path / "p").ir_hash == tiny_ir(seed=3).content_hash()


@pytest.mark.parametrize(("change", "field"), [
    ({"extra": 1}, "extra"),
    ({"model": None}, "model"),
    ({"families": "xcup"}, "families"),
    ({"generate": {"speed": 3}}, "generate.speed"),
    ({"generate": {"trace": "yes"}}, "generate.trace"),
    ({"generate": {"word_beats": True}}, "generate.word_beats"),
    ({"generate": {"word_beats": 0}}, "generate.word_beats"),
    ({"generate": {"board": "zcu104"}}, "generate.board"),
    ({"generate": {"params": "flash"}}, "generate.params"),
    ({"generate": {"event_driven": 3}}, "generate.event_driven"),
    ({"generate": {"lut_limit": 1.5}}, "generate.lut_limit"),
    ({"generate": {"clock_mhz": 0}}, "generate.clock_mhz"),
    ({"generate": {"overrides": {"sps.0": {"PO": 0}}}}, "generate.overrides.sps.0"),
    ({"generate": {"overrides": {"sps.0": 4}}}, "generate.overrides.sps.0"),
    ({"generate": {"placement": {"sps.0": {"weight": "flash"}}}},
     "generate.placement.sps.0"),
])
def test_a_damaged_design_file_names_its_field(tmp_path, ir_file, capsys, change, field):
    data = {"note": "test", "model": str(ir_file), "generate": {}, **change}
    path = tmp_path / "d.json"
    path.write_text(json.dumps({k: v for k, v in data.items() if v is not None}))
    with pytest.raises(DesignError, match=field.replace(".", r"\.")) as exc:
        load_design(path)
    assert str(path) in str(exc.value)
    assert main(["hwgen", "--design", str(path), "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and field in err
    assert not (tmp_path / "p").exists()


def test_design_missing_model_and_bad_json(tmp_path):
    path = write_design(tmp_path, "models/none.sdmfir")
    with pytest.raises(DesignError, match=r"field .model.*none\.sdmfir"):
        load_design(path)
    path.write_text("{not json")
    with pytest.raises(DesignError, match="not JSON"):
        load_design(path)


@pytest.mark.parametrize("extra", [["--par", "sps.0:PO=2"], ["--board", "kv260"],
                                   ["--mem", "sps.0:weight=bram"], ["--trace"],
                                   ["--params-for", "p"]])
def test_design_refuses_options_it_fixes(tmp_path, ir_file, capsys, extra):
    path = write_design(tmp_path, str(ir_file))
    assert main(["hwgen", "--design", str(path), "--out", str(tmp_path / "p"), *extra]) == 2
    err = capsys.readouterr().err
    assert "--design" in err and extra[0] in err


def test_hwgen_needs_an_ir_or_a_design(tmp_path, capsys):
    assert main(["hwgen", "--out", str(tmp_path / "p")]) == 2
    assert "--ir IR" in capsys.readouterr().err


@pytest.mark.parametrize("path", sorted((ROOT / "benchmarks/calibration").glob("*.json")),
                         ids=lambda p: p.stem)
def test_the_measured_designs_are_valid_design_files(path):
    design = load_design(path)
    assert design.model.is_file() and design.families
    assert design.generate["overrides"]
