"""The what-if scripts' own arithmetic (benchmarks/*_whatif.py): the lane-event op count
against the chunk count it is compared with, on hand-made inputs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from sdmf.hw.kinds.conv_lif import event_ops
from sdmf.hw.timing import stream_rates

ROOT = Path(__file__).resolve().parents[2]


def load(name: str):
    """A benchmarks/ script as a module (its folder on the path, as when it is run)."""
    if str(ROOT / "benchmarks") not in sys.path:
        sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


lane = load("lane_events_whatif")


@pytest.mark.parametrize("K", [1, 3])
def test_one_lane_is_the_chunk_count(K):
    """PI = 1: a chunk is one input, so per-lane and per-chunk issue count the same ops."""
    rng = np.random.default_rng(K)
    a = {"K": K, "T": 3, "CIN": 5, "H": 4, "W": 3, "positions": 12}
    x = (rng.random((3, 5, 4, 3)) < 0.3).astype(np.int64)
    xs = x if K == 3 else x.reshape(3, 5, 12)
    assert np.array_equal(lane.lane_ops(a, 1, xs), event_ops(a, {"PI": 1}, xs))


def test_lane_events_take_the_busiest_lane():
    """K = 1, PI = 2 (lane 0: channels 0, 2, 4; lane 1: 1, 3, 5): per (t, position) the
    larger of the two lanes' spike counts; chunks count the non-zero channel pairs."""
    a = {"K": 1, "T": 1, "CIN": 6, "COUT": 4, "positions": 3}
    x = np.zeros((1, 6, 3), dtype=np.int64)
    x[0, [0, 2, 4], 0] = 1            # three spikes, all lane 0: 3 lane ops, 3 chunks
    x[0, [0, 1, 2, 3], 1] = 1         # two per lane: 2 lane ops, 2 chunks
    x[0, [0, 3], 2] = 1               # one per lane in different chunks: 1 lane op, 2 chunks
    assert lane.lane_ops(a, 2, x).tolist() == [[3, 2, 1]]
    assert event_ops(a, {"PI": 2}, x).tolist() == [[3, 2, 2]]
    assert lane.busy(a, 4, lane.lane_ops(a, 2, x)) == 3 + 1 * (1 * 3 + 6)


def test_three_by_three_counts_every_tap_of_a_lane():
    """K = 3: one spike is seen by the nine (padded) windows around it, once per window."""
    a = {"K": 3, "T": 1, "CIN": 2, "H": 3, "W": 3, "positions": 9}
    x = np.zeros((1, 2, 3, 3), dtype=np.int64)
    x[0, 1, 1, 1] = 1
    assert lane.lane_ops(a, 2, x).tolist() == [[1] * 9]
    x[0, 1, 0, 0] = 1                 # the same lane: windows seeing both count 2
    got = lane.lane_ops(a, 2, x).reshape(3, 3)
    assert got.tolist() == [[2, 2, 1], [2, 2, 1], [1, 1, 1]]


def test_rebuilt_keeps_or_replaces_the_projects_decoupling_fifos(tmp_path):
    """interval_whatif.rebuilt: the project's graph as generated (its decoupling FIFOs
    included), or with ``decouple`` replacing them; ScaleFifos scales every FIFO."""
    from tiny_models import make_ir

    from sdmf.hw.flow import generate

    iw = load("interval_whatif")
    report = generate(make_ir(), tmp_path / "p", word_beats=2, event_driven=True,
                      decouple_rows=1, fork_tokens=2)
    g, _ = iw.rebuilt(tmp_path / "p")
    assert list(g.layers) == [lay["name"] for lay in report["layers"]]
    assert g.info["decouple"] == {"rows": 1, "fork_tokens": 2}
    bare, _ = iw.rebuilt(tmp_path / "p", decouple=(0, 0))
    assert set(g.layers) - set(bare.layers) == {
        "sps.1.s_fifo", "sps.2.s_fifo", "sps.3.s_fifo", "blocks.0.attn.q.s_fifo",
        "blocks.0.attn.k.s_fifo", "blocks.0.attn.v.s_fifo"}
    doubled, _ = iw.rebuilt(tmp_path / "p", extra=iw.ScaleFifos(2.0))
    assert all(doubled.layers[lay.name].attrs["DEPTH"] == 2 * lay.attrs["DEPTH"]
               for lay in g.of_kind("fifo"))


def test_interval_rates_are_the_stream_mean_and_the_slowest():
    """img/s over the stream is samples over total time (the mean interval), not the
    mean of per-interval rates; the slowest is the longest interval's."""
    r = stream_rates([500_000, 750_000], 250.0)
    assert r["mean_img_s"] == pytest.approx(400.0)
    assert r["slowest_img_s"] == pytest.approx(1000 / 3)
    assert stream_rates([], 250.0) is None
