"""Whole networks through the HLS backend: generated, compiled with g++, C-simulated and
compared with the golden model at every tap, logit and class (sdmf.sim.csim), including
pruned corners; the emitted C++ holds kept channels only; a wrong constant is caught; a
missing compiler or missing headers is an error naming what to install."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_ir import parts

from sdmf.hw.flow import build_graph, generate
from sdmf.quant.ir import IntegerIR
from sdmf.sim.csim import CsimToolError, csim_project

A = "blocks.0.attn"


def _empty(p: dict, *names: str) -> None:
    for name in names:
        p["params"][name] = np.zeros((0, *p["params"][name].shape[1:]), np.int64)


def corner(kind: str) -> IntegerIR:
    """The tiny IR (tests/tiny_ir.py) with one pruned corner."""
    p = parts(0)
    if kind == "t1_head_without_qk":        # T = 1; head 1 keeps v channels but no q·k one
        p["input_shape"] = (1, *p["input_shape"][1:])
        p["meta"] = {**p["meta"], "time_steps": 1}
        p["params"][f"{A}.attention.head_qk"] = np.array([0, 0, 0, 0])
    elif kind == "conv_without_inputs":     # v pruned: no attention, proj has CIN = 0
        _empty(p, f"{A}.v.conv.weight", f"{A}.v.lif.bias", f"{A}.v.lif.theta",
               f"{A}.attention.head_v", f"{A}.attn_lif.bias", f"{A}.attn_lif.theta")
        p["params"][f"{A}.proj.conv.weight"] = np.zeros((3, 0), np.int64)
    elif kind == "add_without_branch":      # proj pruned: the residual add has CB = 0
        _empty(p, f"{A}.proj.conv.weight", f"{A}.proj.lif.bias", f"{A}.proj.lif.theta")
        p["params"][f"{A}.add.channels"] = np.zeros(0, np.int64)
    return IntegerIR(**p)


def counts(ir: IntegerIR, n: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 40, (n, *ir.input_shape), generator=g)
    x[0] = 0                                 # an empty sample
    x[1] = 300                               # saturating counts
    return x


@pytest.mark.parametrize("kind", ["t1_head_without_qk", "conv_without_inputs",
                                  "add_without_branch"])
def test_pruned_corners_are_bit_exact(kind: str, tmp_path: Path) -> None:
    ir = corner(kind)
    project = tmp_path / "project"
    generate(ir, project, backend="hls", trace=True)
    rep = csim_project(project, counts(ir, 6), work_dir=tmp_path / "run")
    assert rep.bit_exact, [(s.index, s.mismatched_taps, s.logits_equal) for s in rep.samples]
    assert len(rep.samples) == 6
    g = build_graph(ir, "hls")
    kinds = {lay.kind for lay in g.layers.values()}
    if kind == "conv_without_inputs":
        assert g.layer(f"{A}.proj").attrs["CIN"] == 0 and "attention_lif" not in kinds
    if kind == "add_without_branch":
        assert g.layer(f"{A}.add").attrs["CB"] == 0 and f"{A}.proj" not in g.layers


def _array_dims(header: str) -> dict[str, list[int]]:
    return {m[1]: [int(d) for d in re.findall(r"\[(\d+)\]", m[2])]
            for m in re.finditer(r"static const \w+ (\w+)((?:\[\d+\])+)", header)}


def _array_sizes(header: str) -> dict[str, int]:
    return {name: int(np.prod(dims)) for name, dims in _array_dims(header).items()}


def test_only_kept_channels_are_emitted(tmp_path: Path) -> None:
    ir = corner("add_without_branch")
    generate(ir, tmp_path / "p", backend="hls")
    header = (tmp_path / "p" / "hls" / "sdmf_params.h").read_text()
    top = (tmp_path / "p" / "hls" / "sdmf_top.cpp").read_text()
    sizes = _array_sizes(header)
    convs = [op.name[:-len(".conv")] for op in ir.ops if op.type in ("conv2d", "conv1d")]
    for layer in convs:
        w = ir.params[f"{layer}.conv.weight"]
        if not w.shape[0]:
            continue
        ident = layer.replace(".", "_")
        assert sizes[f"{ident}_weight"] == max(1, w.size), layer
        for role in ("bias", "theta"):
            assert sizes[f"{ident}_{role}"] == ir.params[f"{layer}.lif.{role}"].size, layer
    assert "blocks_0_attn_proj" not in header + top          # pruned away entirely
    assert "cfg_blocks_0_attn_add" in header and "#pragma HLS DATAFLOW" in top


def test_a_wrong_constant_is_caught(tmp_path: Path) -> None:
    """Negative control: one head weight changed in the generated C++ → the logits differ."""
    ir = corner("t1_head_without_qk")
    project = tmp_path / "project"
    generate(ir, project, backend="hls", trace=True)
    params = project / "hls" / "sdmf_params.h"
    text = params.read_text()
    start = text.index("head_weight[")
    body = text.index("{", start) + 1
    first = re.match(r"\s*(-?\d+)", text[body:])
    assert first is not None
    text = text[:body] + text[body:].replace(first[1], str(int(first[1]) + 1), 1)
    params.write_text(text)
    rep = csim_project(project, counts(ir, 3), work_dir=tmp_path / "run")
    assert not rep.bit_exact
    assert any(not s.logits_equal for s in rep.samples)
    assert all(s.taps_equal or s.mismatched_taps == ["head"] for s in rep.samples)


def test_a_tlast_error_fails_the_c_simulation(tmp_path: Path) -> None:
    """The core's own TLAST check (the shell flags the status bit in hardware) makes the
    C simulation fail with a message: a sample whose last beat lacks TLAST."""
    import subprocess

    from sdmf.device import DeviceInterface
    from sdmf.device.stream import pack_input
    from sdmf.device.words import hex_lines
    from sdmf.hw.project import Project
    from sdmf.sim.csim import build

    ir = corner("add_without_branch")
    project = tmp_path / "project"
    generate(ir, project, backend="hls", trace=True)
    binary, _ = build(project, Project.load(project), build_root=tmp_path / "b")
    iface = DeviceInterface.read(project / "interface.json")
    run = tmp_path / "run"
    (run / "trace").mkdir(parents=True)
    x = counts(ir, 2).numpy()
    beats = [b for s in x for b in pack_input(s, iface.in_bits)]
    (run / "input.hex").write_text(hex_lines(beats, 64))
    per = iface.beats_per_sample
    args = [str(binary), str(run), "2", str(per), str(iface.output_beats)]
    ok = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "sdmf_top:" not in ok.stderr
    # the same beats as one sample of twice the length: TLAST comes in the middle
    bad = subprocess.run([str(binary), str(run), "1", str(2 * per), str(iface.output_beats)],
                         capture_output=True, text=True, timeout=60)
    assert "sdmf_top: input TLAST error" in bad.stderr


def test_missing_tools_are_errors_not_skips(tmp_path: Path, monkeypatch) -> None:
    ir = corner("add_without_branch")
    project = tmp_path / "project"
    generate(ir, project, backend="hls", trace=True)
    monkeypatch.setenv("CXX", "no-such-compiler-sdmf")
    with pytest.raises(CsimToolError, match="install g\\+\\+"):
        csim_project(project, counts(ir, 2), build_root=tmp_path / "b")
    monkeypatch.delenv("CXX")
    monkeypatch.setenv("SDMF_AP_TYPES", str(tmp_path))
    with pytest.raises(CsimToolError, match=r"lacks ap_int.h.*hls4ml==1.2.0"):
        csim_project(project, counts(ir, 2), build_root=tmp_path / "b")


def test_vitis_vectors_are_checked_by_the_testbench(tmp_path: Path) -> None:
    """tb/vectors (the cosimulation's stimuli) hold golden outputs: the C testbench accepts
    them (exit 0) and rejects a changed expected beat (exit 1); scripts name each board."""
    import shutil
    import subprocess

    from sdmf.device import DeviceInterface
    from sdmf.hw.project import Project
    from sdmf.sim.csim import build

    ir = corner("t1_head_without_qk")
    project = tmp_path / "project"
    generate(ir, project, backend="hls", trace=True)
    manifest = Project.load(project)
    assert {"scripts/vitis_hls_pynq_z2.tcl", "scripts/vitis_hls_kv260.tcl"} <= \
        set(manifest.scripts)
    tcl = (project / "scripts" / "vitis_hls_pynq_z2.tcl").read_text()
    for step in ("csim_design", "csynth_design", "cosim_design", "export_design -format "
                 "ip_catalog", "xc7z020clg400-1"):
        assert step in tcl
    binary, _ = build(project, manifest)
    iface = DeviceInterface.read(project / "interface.json")
    run = tmp_path / "run"
    shutil.copytree(project / "tb" / "vectors", run)
    (run / "trace").mkdir()
    args = [str(binary), str(run), "2", str(iface.beats_per_sample), str(iface.output_beats)]
    assert subprocess.run(args, capture_output=True, timeout=60).returncode == 0
    expected = run / "expected.txt"
    lines = expected.read_text().splitlines()
    sample, data, last = lines[0].split()
    lines[0] = f"{sample} {int(data, 16) ^ 1:016x} {last}"
    expected.write_text("\n".join(lines) + "\n")
    shutil.rmtree(run / "trace")
    (run / "trace").mkdir()
    assert subprocess.run(args, capture_output=True, timeout=60).returncode == 1


def test_cli_csim_ir_and_project(tmp_path: Path, capsys) -> None:
    """`sdmf csim --ir` (random counts) and `--project`: JSON says bit-exact, exit 0; an RTL
    project is refused with exit 2 and a message naming the backend."""
    import json

    from sdmf.cli.main import main

    ir = corner("conv_without_inputs")
    path = ir.save(tmp_path / "m.sdmfir")
    keep = tmp_path / "keep"
    assert main(["csim", "--ir", str(path), "--random", "--samples", "3", "--keep-build",
                 str(keep), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bit_exact"] and len(out["samples"]) == 3 and out["compared_taps"]
    assert main(["csim", "--project", str(keep / "project"), "--random", "--samples", "2"]) == 0
    assert "2/2 samples bit-exact" in capsys.readouterr().out
    generate(ir, tmp_path / "rtl", trace=True, counters=True)
    assert main(["csim", "--project", str(tmp_path / "rtl"), "--random", "--samples", "1"]) == 2
    assert "backend 'rtl'" in capsys.readouterr().err
    assert main(["hwgen", "--ir", str(path), "--out", str(tmp_path / "c"), "--backend", "hls",
                 "--counters"]) == 2
    assert "no busy counters" in capsys.readouterr().err
    assert main(["hwgen", "--ir", str(path), "--out", str(tmp_path / "c"), "--backend", "hls",
                 "--params", "loaded"]) == 2
    assert "--params loaded is an RTL option" in capsys.readouterr().err


def _struct_ints(header: str, name: str) -> dict[str, int]:
    body = re.search(rf"struct {name} {{(.*?)}};", header, re.S)
    assert body is not None, name
    return {m[1]: int(m[2]) for m in re.finditer(r"static const int (\w+) = (-?\d+);", body[1])}


def _pragma_after(text: str, anchor: str) -> str:
    """The line after the one line of ``text`` that contains ``anchor``."""
    lines = text.splitlines()
    hits = [i for i, line in enumerate(lines) if anchor in line]
    assert len(hits) == 1, (anchor, hits)
    return lines[hits[0] + 1].strip()


def test_parallelism_knobs_become_the_conv_pragmas(tmp_path: Path) -> None:
    """The planner's PO/PI/PK of every conv (defaults and overrides) are the factors of its
    configuration struct, which the template's UNROLL / ARRAY_PARTITION pragmas name on
    the c, i and ky loops, the frame buffer and the [COUT][CIN][K·K] weight ROM; the C
    simulation stays bit-exact."""
    from sdmf.hw.backends.hls.backend import TEMPLATES

    ir = corner("t1_head_without_qk")
    overrides = {"sps.0": {"PO": 3, "PI": 1, "PK": 3}, f"{A}.q": {"PO": 2, "PI": 4}}
    project = tmp_path / "project"
    generate(ir, project, backend="hls", trace=True, overrides=overrides)
    header = (project / "hls" / "sdmf_params.h").read_text()
    g = build_graph(ir, "hls", overrides=overrides)
    convs = [lay for lay in g.layers.values() if lay.kind == "conv_lif"]
    assert len(convs) >= 4
    for lay in convs:
        got = _struct_ints(header, f"cfg_{lay.name.replace('.', '_')}")
        want = {"PO": lay.parallel["PO"], "PI": lay.parallel["PI"],
                "PK": lay.parallel.get("PK", 1)}
        assert {k: got[k] for k in want} == want, lay.name
    assert _struct_ints(header, "cfg_sps_0")["PK"] == 3
    dims = _array_dims(header)
    for lay in convs:
        a = lay.attrs
        assert dims[f"{lay.name.replace('.', '_')}_weight"] == \
            [a["COUT"], max(1, a["CIN"]), a["K"] ** 2], lay.name
    assert _struct_ints(header, f"cfg_{A.replace('.', '_')}_q")["PI"] == 4
    tpl = (TEMPLATES / "sdmf_conv_lif.h").read_text()
    assert _pragma_after(tpl, "for (int c = 0; c < C::COUT; c++)") == \
        "#pragma HLS UNROLL factor=C::PO"
    assert _pragma_after(tpl, "for (int i = 0; i < C::CIN; i++) {") == \
        "#pragma HLS UNROLL factor=C::PI"
    assert _pragma_after(tpl, "for (int ky = 0; ky < C::K; ky++)") == \
        "#pragma HLS UNROLL factor=C::PK"
    assert _pragma_after(tpl, "static ap_uint<C::IN_BITS> x[") == \
        "#pragma HLS ARRAY_PARTITION variable=x cyclic factor=C::PI dim=3"
    for dim, how in ((1, "cyclic factor=C::PO"), (2, "cyclic factor=C::PI"),
                     (3, "block factor=C::PK")):
        assert f"#pragma HLS ARRAY_PARTITION variable=weight {how} dim={dim}" in tpl
    rep = csim_project(project, counts(ir, 4), work_dir=tmp_path / "run")
    assert rep.bit_exact, [(s.index, s.mismatched_taps) for s in rep.samples]
