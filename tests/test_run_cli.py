"""``sdmf run``: argument and environment errors are one line with exit status 2 (the
runs themselves are tested on the simulated board, tests/hw/test_board_sim.py)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from test_cli_errors import one_line_error
from tiny_ir import tiny_ir


@pytest.fixture(scope="module")
def ir_file(tmp_path_factory):
    return tiny_ir().save(tmp_path_factory.mktemp("ir") / "tiny.sdmfir")


def test_a_board_run_needs_a_bitstream(capsys, ir_file):
    err = one_line_error(capsys, ["run", "--board", "pynq_z2", "--ir", str(ir_file),
                                  "--random", "--samples", "1", "--no-progress"])
    assert "needs the bitstream: --bitfile FILE" in err


def test_a_board_run_without_pynq_says_what_is_needed(capsys, ir_file, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynq", None)
    bit = tmp_path / "sdmf.bit"
    bit.write_bytes(b"")
    err = one_line_error(capsys, ["run", "--board", "kv260", "--ir", str(ir_file),
                                  "--bitfile", str(bit), "--random", "--samples", "1",
                                  "--no-progress"])
    assert "pynq is needed: run on a PYNQ board image" in err


@pytest.mark.parametrize(("extra", "match"), [
    (["--board", "zcu104"], "--board: invalid choice"),
    (["--samples", "0"], "--samples"),
    (["--timeout", "0"], "--timeout"),
    (["--random", "--frames", "FRAMES"], "--frames and --random exclude each other"),
    (["--frames", "BADFRAMES"], "the golden model refuses the frames"),
])
def test_bad_run_arguments_are_one_line(capsys, ir_file, tmp_path, extra, match):
    np.save(tmp_path / "f.npy", np.zeros((1, 2, 2, 4, 4), dtype=np.int64))
    np.save(tmp_path / "bad.npy", np.zeros((1, 2, 2, 4, 5), dtype=np.int64))
    extra = [str(tmp_path / "f.npy") if a == "FRAMES" else
             str(tmp_path / "bad.npy") if a == "BADFRAMES" else a for a in extra]
    err = one_line_error(capsys, ["run", "--ir", str(ir_file), "--no-progress", *extra])
    assert match in err


def test_planner_options_apply_to_an_ir_only(capsys, tmp_path):
    (tmp_path / "project.json").write_text("{}")
    err = one_line_error(capsys, ["run", "--project", str(tmp_path), "--budget", "10"])
    assert "--budget: --project runs the project as generated" in err
