"""Every failure of the ``sdmf`` command line is one line on stderr and exit status 2
(issue 10, group 5): bad arguments at parse time, bad or damaged IR files, outputs that
cannot be written, an IR that does not fit its dataset. No tracebacks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tiny_ir import member_data_span, parts, save_unchecked, tiny_ir

from sdmf.cli.main import main
from sdmf.quant.opdefs import Op


def one_line_error(capsys, argv: list[str]) -> str:
    """Run ``sdmf argv`` in-process; asserts exit 2 and a single stderr line; returns it."""
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, (argv, err)
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"sdmf {argv[0]}: error: "), err
    return err


@pytest.fixture(scope="module")
def ir_file(tmp_path_factory) -> Path:
    return tiny_ir().save(tmp_path_factory.mktemp("ir") / "tiny.sdmfir")


@pytest.fixture(scope="module")
def flipped(ir_file, tmp_path_factory) -> Path:
    """The tiny IR with one byte flipped inside a deflated parameter (zlib error or CRC)."""
    raw = bytearray(ir_file.read_bytes())
    lo, hi = member_data_span(ir_file, "params/head.weight.npy")
    raw[(lo + hi) // 2] ^= 0xFF
    path = tmp_path_factory.mktemp("bad") / "flipped.sdmfir"
    path.write_bytes(bytes(raw))
    return path


# ---------------------------------------------------------------------- parse time

@pytest.mark.parametrize("args", [
    ["--samples", "-1"], ["--samples", "0"], ["--batch-size", "0"], ["--dump-samples", "-1"],
    ["--batch-size", "x"], ["--split", "val"],
])
def test_golden_arguments_are_refused_at_parse_time(capsys, ir_file, args):
    err = one_line_error(capsys, ["golden", "--ir", str(ir_file), *args])
    assert args[0] in err


@pytest.mark.parametrize("clock", ["nan", "inf", "0", "-5", "fast"])
def test_hwgen_clock_must_be_finite_and_positive(capsys, ir_file, tmp_path, clock):
    err = one_line_error(capsys, ["hwgen", "--ir", str(ir_file), "--out", str(tmp_path / "p"),
                                  "--clock-mhz", clock])
    assert "--clock-mhz" in err
    assert not (tmp_path / "p").exists()


def test_hwgen_out_under_an_existing_file(capsys, ir_file, tmp_path):
    (tmp_path / "file").write_text("x")
    err = one_line_error(capsys, ["hwgen", "--ir", str(ir_file),
                                  "--out", str(tmp_path / "file" / "p")])
    assert "not a directory" in err
    err = one_line_error(capsys, ["hwgen", "--ir", str(ir_file), "--out", str(tmp_path / "file")])
    assert "not a directory" in err


def test_hwgen_out_where_nothing_can_be_written(capsys, ir_file):
    err = one_line_error(capsys, ["hwgen", "--ir", str(ir_file), "--out", "/proc/sdmf/p"])
    assert "/proc" in err


@pytest.mark.parametrize("argv", [
    ["params", "--classes", "0"],
    ["params", "--checkpoint", "missing.pt"],
    ["energy", "--samples", "0"],
    ["energy", "--baseline-checkpoint", "missing.pt"],
    ["analyze", "--out", "README.md/x"],
    ["bench", "--iters", "0"],
    ["bench", "-T", "-1"],
    ["train", "--out", "runs/x", "--lr", "nan"],
    ["train", "--out", "runs/x", "--mixup-prob", "1.5"],
    ["train", "--out", "runs/x", "--label-smoothing", "1"],
    ["eval", "--checkpoint", "missing.pt"],
    ["quantize", "--checkpoint", "README.md", "--out", "x.sdmfir", "--bits", "17"],
    ["quantize", "--checkpoint", "README.md", "--out", "docs", "--bits", "8"],
    ["golden", "--ir", "missing.sdmfir"],
    ["hwgen", "--ir", "docs", "--out", "p"],
    ["hwgen", "--ir", "README.md", "--out", "p", "--budget", "0"],
    ["hwgen", "--ir", "README.md", "--out", "p", "--par", "sps.0:PO"],
    ["sim", "--ir", "README.md", "--samples", "0"],
    ["sim", "--ir", "README.md", "--gaps", "0", "300"],
    ["synth", "--project", "missing"],
    ["synth", "--project", "docs", "--jobs", "0"],
    ["synth", "--project", "docs", "--timeout", "nan"],
    ["bitstream", "--project", "missing", "--board", "kv260"],
    ["bitstream", "--project", "docs", "--board", "zcu104"],
    ["bitstream", "--project", "docs", "--board", "kv260", "--timeout-h", "0"],
    ["bitstream", "--project", "docs", "--board", "kv260"],       # not a project
    ["golden"],
])
def test_every_command_refuses_bad_arguments_in_one_line(capsys, argv):
    one_line_error(capsys, argv)


def test_no_command_is_one_line_too(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sdmf: error: ")


# ---------------------------------------------------------------------- bad IR files

@pytest.mark.parametrize("cmd", ["golden", "hwgen", "sim"])
def test_flipped_byte_in_the_ir_is_one_line_naming_the_file(capsys, flipped, tmp_path, cmd):
    argv = [cmd, "--ir", str(flipped)] + (["--out", str(tmp_path / "p")] if cmd == "hwgen" else [])
    err = one_line_error(capsys, argv)
    assert str(flipped) in err


def _bad_ir(tmp_path: Path, edit) -> Path:
    p = parts()
    edit(p)
    return save_unchecked(p, tmp_path / "bad.sdmfir")


def _channels(p: dict) -> None:
    p["params"]["blocks.0.attn.add.channels"] = np.array([0, 2, 2])


def _in_bits(p: dict) -> None:
    p["ops"][0] = Op("input", "input", attrs={"bits": 20})


def _zero_t(p: dict) -> None:
    p["input_shape"] = (0, 2, 4, 4)


@pytest.mark.parametrize(("edit", "field"), [
    (_channels, "params.channels"), (_in_bits, "ops[0].attrs.bits"), (_zero_t, "input_shape[0]"),
])
@pytest.mark.parametrize("cmd", ["golden", "hwgen"])
def test_ir_refused_by_the_gate_is_one_line_naming_the_field(capsys, tmp_path, edit, field, cmd):
    path = _bad_ir(tmp_path, edit)
    argv = [cmd, "--ir", str(path)] + (["--out", str(tmp_path / "p")] if cmd == "hwgen" else [])
    err = one_line_error(capsys, argv)
    assert field in err and str(path) in err
    assert not (tmp_path / "p").exists()


def test_golden_ir_whose_input_differs_from_the_dataset(capsys, tmp_path):
    """The tiny IR takes 4×4 frames; its metadata points at 32×32 digits-dvs samples."""
    from sdmf.model.data import build_dataset

    build_dataset("digits-dvs", "test", T=2, img_size=32, progress=False)   # cache it quietly
    p = parts()
    p["meta"]["model_config"]["img_size"] = 32
    path = tiny_ir(meta=p["meta"]).save(tmp_path / "small.sdmfir")
    err = one_line_error(capsys, ["golden", "--ir", str(path), "--no-progress"])
    assert "[2, 2, 4, 4]" in err and "[2, 2, 32, 32]" in err


def test_hwgen_still_succeeds_on_a_valid_ir(capsys, ir_file, tmp_path):
    assert main(["hwgen", "--ir", str(ir_file), "--out", str(tmp_path / "p"), "--json"]) == 0
    assert (tmp_path / "p" / "report.json").is_file()
    assert capsys.readouterr().err == ""
