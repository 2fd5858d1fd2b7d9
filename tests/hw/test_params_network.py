"""The whole tiny network with runtime-loaded parameters (docs/params.md), in Verilator.

The testbench loads the project's ``params.bin`` through the input stream before the
first sample; the network must then be bit-exact on every tap with the cycle counts of
the ROM design. Negative controls: a load image with one beat skipped, or one bit
flipped, leaves the parameters not valid (the CRC register reads the CRC-32 of what
was sent, computed here with ``zlib``), and ``ap_start`` is refused: cleared, the
``refused`` bit set, no result.
"""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest
from tiny_ir import C, H, T, W, tiny_ir

from sdmf.device import DeviceInterface, regmap
from sdmf.hw.flow import generate

pytestmark = pytest.mark.rtl


@pytest.fixture(scope="module")
def loaded_project(tmp_path_factory):
    out = tmp_path_factory.mktemp("loaded") / "project"
    generate(tiny_ir(), out, trace=True, counters=True, params="loaded")
    return out


def frames(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 6, (n, T, C, H, W))


def test_loaded_parameters_network_is_bit_exact(loaded_project, tmp_path):
    from sdmf.sim.network import check, simulate_project

    iface = DeviceInterface.read(loaded_project / "interface.json")
    top = (loaded_project / "rtl" / "sdmf_top.sv").read_text()
    assert iface.params is not None and "$readmemh" not in top
    assert '_FILE("")' in top and not re.search(r'_FILE\("[^"]', top)    # no ROM left
    rep = simulate_project(loaded_project, frames(3, seed=3), work_dir=tmp_path)
    check(rep)
    assert rep.bit_exact and rep.cycles_ok and len(rep.samples) == 3
    assert rep.interval_checked and rep.pipelined_interval == rep.design_interval


def _refused(loaded_project, tmp_path, image: np.ndarray) -> dict:
    from sdmf.sim.network import ParamLoadError, simulate_project

    with pytest.raises(ParamLoadError, match="parameters not accepted") as e:
        simulate_project(loaded_project, frames(1, seed=3), work_dir=tmp_path,
                         params_image=image, overlap=False)
    rec = e.value.record
    assert rec["crc"] == zlib.crc32(image.astype("<u8").tobytes())
    ref = rec["refusal"]
    param = regmap.PARAM.unpack(ref["param"])
    assert param["valid"] == 0 and param["refused"] == 1 and param["loadable"] == 1
    assert not ref["control"] & regmap.CONTROL.bit("ap_start")     # cleared, not pending
    assert ref["control"] & regmap.CONTROL.bit("ap_idle") and ref["frames_out"] == 0
    return param


def test_a_skipped_or_corrupted_load_beat_refuses_inference(loaded_project, tmp_path):
    iface = DeviceInterface.read(loaded_project / "interface.json")
    good = iface.params.read_image(loaded_project)
    skipped = np.delete(good, len(good) // 2)
    _refused(loaded_project, tmp_path / "skip", skipped)
    corrupted = good.copy()
    corrupted[-1] ^= np.uint64(1 << 5)              # the head's last bias word
    param = _refused(loaded_project, tmp_path / "flip", corrupted)
    assert param["error"] == 0                      # well-formed, only the CRC differs


def test_one_bitstream_runs_another_weight_set_bit_exactly(tmp_path):
    """--widths architecture: the project of the tiny IR runs another weight set of its
    architecture (other weights, biases and thresholds; --params-for writes its image) and
    is bit-exact against *that* IR's golden model on every tap, with the model's cycles.
    Control: the project's own image on the same samples gives other logits."""
    from sdmf.hw.paramsfor import params_for
    from sdmf.sim.network import check, simulate_project

    project = tmp_path / "a"
    generate(tiny_ir(), project, trace=True, counters=True, params="loaded",
             widths="architecture")
    other = tiny_ir(seed=5)
    params_for(project, other, tmp_path / "b")
    x = frames(2, seed=4)
    rep = simulate_project(project, x, work_dir=tmp_path / "run_b", params_for=tmp_path / "b")
    check(rep)
    assert rep.bit_exact and rep.cycles_ok and len(rep.samples) == 2
    from sdmf.quant.golden import GoldenModel

    mine, theirs = (GoldenModel(ir).run(x).logits for ir in (tiny_ir(), other))
    assert [s.rtl_logits for s in rep.samples] == theirs.tolist() != mine.tolist()
