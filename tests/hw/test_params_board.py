"""The board host loads runtime-loaded parameters on the simulated board (docs/params.md).

The tiny IR's project generated with ``--params loaded``: ``sdmf_ip`` has no ROM
contents, so every result below depends on the host having loaded ``params.bin``
through the DMA (``Accelerator`` does it at open). Sessions, one simulator run: a batch
right after open; a corrupted image (refused, and the next run refused by the host
before anything starts), then the project's image again and a batch; an interface
that describes ROM parameters for this bitstream; an image of the wrong length. Then
``sdmf run --board sim`` on the project.
"""

from __future__ import annotations

import dataclasses
import json
import zlib

import numpy as np
import pytest
import torch
from tiny_ir import C, H, T, W, tiny_ir

from sdmf.device import DeviceInterface
from sdmf.hw.flow import generate
from sdmf.quant.golden import GoldenModel

pytestmark = pytest.mark.rtl


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    from sdmf.sim.board_run import LoadParams, Session, run_board

    work = tmp_path_factory.mktemp("params_board")
    project = work / "project"
    ir = tiny_ir()
    generate(ir, project, counters=True, params="loaded")
    iface = DeviceInterface.read(project / "interface.json")
    rom = dataclasses.replace(iface, params=None).write(work / "rom_interface.json")
    x = np.random.default_rng(7).integers(0, 6, (4, T, C, H, W))
    good = iface.params.read_image(project)
    bad = good.copy()
    bad[3] ^= np.uint64(1 << 62)
    sessions = [Session(runs=[x[:3]]),
                Session(runs=[x[:1], LoadParams(), x[:1], LoadParams(), x[1:4], LoadParams(bad),
                              LoadParams()],
                        faults=("mm2s_flip_once",), autoload=False),
                Session(runs=[x[:1]], faults=("mm2s_drop_once",)),
                Session(runs=[x[:1]], interface=rom),
                Session(runs=[LoadParams(good[:-1])])]
    report = run_board(project, sessions, work)
    g = GoldenModel(ir).run(torch.from_numpy(x))
    return project, report, g.logits.numpy(), g.pred.numpy()


def _exact(step, logits, pred, rows) -> bool:
    assert "error" not in step, step["error"]
    res = step["result"]
    return (np.array_equal(np.array(res["logits"], dtype=np.int64), logits[rows])
            and np.array_equal(np.array(res["classes"]), pred[rows]))


def test_parameters_load_at_open_and_the_batch_is_bit_exact(board):
    _, report, logits, pred = board
    s = report.sessions[0]
    assert s["open_error"] is None
    assert _exact(s["runs"][0], logits, pred, slice(0, 3))


def test_a_beat_corrupted_or_lost_on_the_way_is_refused(board):
    """Without autoload, a run is refused by the host; a load whose beat is flipped in
    the DMA is refused by the device (its CRC register reads the CRC-32 of what arrived),
    as is the next run; a clean reload works and is bit-exact. A custom image with its
    own checksum is accepted (another weight set of the same layout). A lost beat at
    open fails the open."""
    project, report, logits, pred = board
    good = DeviceInterface.read(project / "interface.json").params.read_image(project)
    flipped = good.copy()
    flipped[len(good) // 2] ^= np.uint64(1)
    run_unloaded, flip, run_bad, reload, run_good, custom, back = report.sessions[1]["runs"]
    for step in (run_unloaded, run_bad):
        assert step["error"]["type"] == "ParamsError", step
        assert "nothing was started" in step["error"]["message"]
    msg = flip["error"]["message"]
    assert flip["error"]["type"] == "ParamsError" and "did not accept" in msg
    assert f"{zlib.crc32(flipped.astype('<u8').tobytes()):#010x}" in msg and "valid 0" in msg
    assert reload["result"] == back["result"] == {"loaded": True}
    assert custom["result"] == {"loaded": False}        # valid, but not the interface's set
    assert _exact(run_good, logits, pred, slice(1, 4))
    err = report.sessions[2]["open_error"]
    assert err["type"] == "ParamsError" and "did not accept" in err["message"]


def test_a_rom_interface_for_a_loaded_bitstream_and_a_short_image_are_refused(board):
    _, report, _, _ = board
    err = report.sessions[3]["open_error"]
    assert err["type"] == "DeviceMismatchError" and "runtime-loaded parameters" in err["message"]
    (short,) = report.sessions[4]["runs"]
    assert short["error"]["type"] == "ParamsError" and "layout takes" in short["error"]["message"]


def test_sdmf_run_on_the_simulated_board_with_loaded_parameters(board, capsys):
    from sdmf.cli.main import main

    project = board[0]
    rc = main(["run", "--board", "sim", "--project", str(project), "--random", "--samples",
               "2", "--seed", "4", "--json", "--no-progress"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["samples"] == out["matches_golden"] == 2


def test_sdmf_run_on_the_simulated_board_narrow_and_loaded(tmp_path, capsys):
    """Narrow streams (NB = T: one time step per beat) with runtime-loaded parameters: the
    host packs the input by the interface's ``word_beats`` and loads ``params.bin``; the
    simulated board's results equal the golden model's."""
    from sdmf.cli.main import main

    project = tmp_path / "narrow"
    generate(tiny_ir(), project, counters=True, params="loaded", word_beats=T)
    assert DeviceInterface.read(project / "interface.json").word_beats == T > 1
    rc = main(["run", "--board", "sim", "--project", str(project), "--random", "--samples",
               "2", "--seed", "5", "--json", "--no-progress"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["samples"] == out["matches_golden"] == 2
