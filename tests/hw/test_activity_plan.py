"""Planning on activity (``--plan-activity``): every event-driven layer sized for its busy
cycles on the slowest planning sample (its kind's ``sample_cycles`` of the golden
tensors), not the dense worst case; the finished design's busy cycles and intervals on
those samples in the report (docs/event-driven.md, "Planning on activity")."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
import torch
from tiny_models import counts, make_ir

from sdmf.hw.activity import ActivityCycles
from sdmf.hw.flow import build_graph, generate, sample_busy
from sdmf.hw.graph import GraphError
from sdmf.hw.timing import host_pass
from sdmf.quant.golden import GoldenModel


def _taps(ir, n: int, seed: int) -> list[dict]:
    g = GoldenModel(ir).run(torch.as_tensor(counts(n, seed=seed)), taps=True)
    return [{k: v[i].numpy() for k, v in g.taps.items()} for i in range(n)]


@pytest.fixture(scope="module")
def tiny():
    ir = make_ir()
    return ir, _taps(ir, 3, seed=5)


def test_activity_cycles_are_the_slowest_samples_count(tiny):
    """The oracle answers the kind's own per-sample count, maximised over the samples;
    data-independent knobs (EV = 0) get the dense count."""
    ir, taps = tiny
    g = build_graph(ir, event_driven=True)
    act = ActivityCycles(g, taps)
    per = [sample_busy(g, t) for t in taps]
    for lay in g.of_kind("conv_lif"):
        spec = g.spec(lay)
        assert act.cycles(spec, lay, lay.parallel) == max(b[lay.name] for b in per)
        dense = {**lay.parallel, "EV": 0}
        assert act.cycles(spec, lay, dense) == spec.cycles(lay, dense)
    with pytest.raises(ValueError, match="at least one sample"):
        ActivityCycles(g, [])
    with pytest.raises(GraphError, match="no golden tensor"):
        ActivityCycles(g, [{}])


def test_activity_plan_meets_its_target_on_every_sample_with_fewer_lanes(tiny):
    """Balanced on activity: the target is the slowest layer at its fastest on the
    planning samples, every event-driven layer meets it on each of them with the
    cheapest knobs that do, and the plan needs fewer lanes than the dense one at that
    same target (sparse layers need fewer lanes than their worst case)."""
    ir, taps = tiny
    g = build_graph(ir, event_driven=True, activity=taps)
    par = g.info["parallelism"]
    assert par["activity_samples"] == 3 and par["mode"] == "balanced"
    target = par["target_cycles"]
    per = [sample_busy(g, t) for t in taps]
    for lay in g.layers.values():
        spec = g.spec(lay)
        if not (spec.compute and spec.knobs(lay)):
            continue
        got = max(b[lay.name] for b in per) if lay.name in per[0] \
            else spec.cycles(lay, lay.parallel)
        assert got <= target, lay.name
        cheaper = [k for k in spec.candidates(lay)
                   if spec.cost(lay, k) < spec.cost(lay, lay.parallel)]
        act = ActivityCycles(g, taps)
        assert all(act.cycles(spec, lay, {**k, "EV": lay.parallel.get("EV", 0)}) > target
                   for k in cheaper), lay.name
    dense_same = build_graph(ir, event_driven=True, target_cycles=target)
    assert par["lanes"] < dense_same.info["parallelism"]["lanes"]
    assert g.info["cycles"]["bound"] == dense_same.info["cycles"]["bound"] or \
        g.info["cycles"]["bound"] > target        # the dense worst case is what it is


def test_activity_report_matches_the_recurrence_and_the_kinds(tiny, tmp_path):
    """generate(..., activity=...) records the design's per-sample busy cycles and the
    back-to-back intervals of the token recurrence on the planning samples; the
    manifest records how many samples the plan saw."""
    ir, taps = tiny
    rep = generate(ir, tmp_path / "p", event_driven=True, activity=taps)
    act = rep["info"]["cycles"]["activity"]
    g = build_graph(ir, event_driven=True, activity=taps)
    per = [sample_busy(g, t) for t in taps]
    assert act["busy"] == {n: [b[n] for b in per] for n in per[0]}
    _, done = host_pass(g, taps, 0)
    assert act["done"] == done and act["intervals"] == [b - a for a, b in pairwise(done)]
    assert act["bottleneck_cycles"] == max(max(v) for v in act["busy"].values()) or \
        act["bottleneck"] not in act["busy"]
    manifest = json.loads((tmp_path / "p" / "project.json").read_text())
    assert manifest["plan"]["activity_samples"] == 3
    assert "planned on the activity of 3 sample(s)" in (tmp_path / "p" / "report.md").read_text()
    dense = generate(ir, tmp_path / "d", event_driven=True)
    assert "activity" not in dense["info"]["cycles"]
    assert json.loads((tmp_path / "d" / "project.json").read_text())["plan"][
        "activity_samples"] == 0


def test_plan_activity_needs_event_driven(tmp_path, capsys):
    """Without --event-driven no busy count depends on the data: one-line error, exit 2."""
    from sdmf.cli.main import main

    path = make_ir().save(tmp_path / "t.sdmfir")
    rc = main(["hwgen", "--ir", str(path), "--out", str(tmp_path / "o"),
               "--plan-activity", "2"])
    err = capsys.readouterr().err
    assert rc == 2 and "--plan-activity needs --event-driven" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()
