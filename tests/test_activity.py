"""Activity-realistic IRs of untrained SDMFormers (docs/activity.md), on a tiny
configuration: sdmformer-1-64 / sdmformer-2-64 at 32×32, T = 4, a few digits-dvs samples.

Masks switch off exactly the tabulated fraction of every layer; the same seed gives
the same IR bytes; the calibrated IR's layers fire near the trained model's rates
(the plain BN re-estimation leaves the attention silent); bad arguments are one line.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader, Subset

from sdmf.cli.main import main
from sdmf.model import create_model
from sdmf.model.analysis.activity import (
    FIG5_MASKED,
    TARGET_RATES,
    mask_fractions,
    masked_fraction,
    set_mask_fractions,
)
from sdmf.model.data import build_dataset
from sdmf.quant.activity import activity_ir
from sdmf.quant.firing import component, lif_rates
from sdmf.quant.ir import IntegerIR

SIZE, T = 32, 4


@pytest.fixture(scope="module")
def data() -> tuple[Subset, Subset]:
    train = build_dataset("digits-dvs", "train", T=T, img_size=SIZE, progress=False)
    test = build_dataset("digits-dvs", "test", T=T, img_size=SIZE, progress=False)
    return Subset(train, range(16)), Subset(test, range(8))


def _build(data, seed: int = 0, rate_samples: int = 8, model: str = "sdmformer-1-64"):
    torch.set_num_threads(1)
    calib, test = data
    return activity_ir(model, img_size=SIZE, time_steps=T, seed=seed, calib_set=calib,
                       check_set=Subset(test, range(2)), rate_samples=rate_samples,
                       batch_size=8, progress=False)


@pytest.fixture(scope="module")
def built(data):
    return _build(data)


def _rates(ir: IntegerIR, test: Subset) -> dict[str, float]:
    return {k: v.rate for k, v in lif_rates(ir, DataLoader(test, batch_size=4),
                                            progress=False).items()}


# ---------------------------------------------------------------- masks


def test_table_spans_the_papers_fig5_ranges() -> None:
    """Text of §4.2: L1 0.30–0.71, L2 0.39–0.79; Q/K/V lowest, MLP2 highest."""
    l1 = [v[0] for v in FIG5_MASKED.values()]
    l2 = [v[1] for v in FIG5_MASKED.values()]
    assert (min(l1), max(l1), min(l2), max(l2)) == (0.30, 0.71, 0.39, 0.79)
    assert FIG5_MASKED["Q"] == (min(l1), min(l2)) and FIG5_MASKED["MLP2"] == (max(l1), max(l2))
    assert masked_fraction("V", 1, 3) == pytest.approx((0.34 + 0.43) / 2)
    assert masked_fraction("V", 0, 1) == 0.34


@pytest.mark.parametrize("name", ["sdmformer-2-64", "sdmformer-2-256"])
def test_masks_switch_off_exactly_the_tabulated_fraction(name: str) -> None:
    model = create_model(name, img_size=SIZE)
    record = set_mask_fractions(model, mask_fractions(model), seed=3)
    assert set(record) == set(model.masks())
    for unit, mask in model.masks().items():
        block, comp = int(unit.split(".")[1]), unit.split(".", 2)[2]
        f = FIG5_MASKED[{"attn.q": "Q", "attn.k": "K", "attn.v": "V", "attn.proj": "Proj",
                         "mlp.fc1": "MLP1", "mlp.fc2": "MLP2"}[comp]][block]
        off = int((~mask.keep()).sum())
        assert off == round(f * mask.weight.numel()) == record[unit]["masked"]
        assert abs(off / mask.weight.numel() - f) <= 0.5 / mask.weight.numel()


def test_mask_choice_is_seeded_and_independent_of_the_global_rng() -> None:
    def offs(seed: int, noise: int) -> dict[str, list[int]]:
        torch.manual_seed(noise)
        model = create_model("sdmformer-2-64", img_size=SIZE)
        set_mask_fractions(model, mask_fractions(model), seed)
        return {k: torch.nonzero(~m.keep()).flatten().tolist() for k, m in model.masks().items()}

    assert offs(1, 0) == offs(1, 99)
    assert offs(1, 0) != offs(2, 0)


def test_bad_mask_fractions_are_refused() -> None:
    model = create_model("sdmformer-1-64", img_size=SIZE)
    fractions = mask_fractions(model)
    with pytest.raises(ValueError, match=r"blocks\.0\.attn\.q"):
        set_mask_fractions(model, {**fractions, "blocks.0.attn.q": 1.0}, 0)
    with pytest.raises(ValueError, match="exactly the masks"):
        set_mask_fractions(model, {"blocks.0.attn.q": 0.3}, 0)


def test_ir_prunes_the_masked_channels(built) -> None:
    """fc2 has no attention cascade: the IR keeps C − round(f·C) of its output rows."""
    ir = built.ir
    for unit, rec in built.masks.items():
        assert ir.meta["activity"]["masked_fraction"][unit] == rec["fraction"]
    fc2 = ir.params["blocks.0.mlp.fc2.conv.weight"]
    assert fc2.shape[0] == 64 - round(0.71 * 64)
    assert "accuracy" not in ir.meta and "NOT a trained model" in ir.meta["activity"]["method"]
    assert ir.meta["qat_vs_golden"] == {"samples": 2, "bit_exact": 2}


# ---------------------------------------------------------------- determinism


def test_same_seed_same_ir_bytes_other_seed_other_ir(built, data, tmp_path: Path) -> None:
    again = _build(data)
    a = built.ir.save(tmp_path / "a.sdmfir").read_bytes()
    b = again.ir.save(tmp_path / "b.sdmfir").read_bytes()
    assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest()
    assert built.ir.content_hash() == again.ir.content_hash()
    assert _build(data, seed=1).ir.content_hash() != built.ir.content_hash()


# ---------------------------------------------------------------- activity


def test_every_layer_fires_near_its_target_on_held_out_samples(built, data) -> None:
    """Held-out test samples, golden model: no layer silent or saturated; every layer
    but Q/K/V (raised to drive the attention) within ±50 % of the trained model's rate."""
    rates = _rates(built.ir, data[1])
    assert len(rates) == 11
    for layer, rate in rates.items():
        assert 0.0 < rate < 0.6, (layer, rate)
        comp = component(layer).removeprefix("L1 ")
        if comp not in ("Q", "K", "V"):
            assert abs(rate / TARGET_RATES[comp] - 1) < 0.5, (layer, rate)


def test_weight_bits_reach_the_recipe(data) -> None:
    torch.set_num_threads(1)
    calib, test = data
    four = activity_ir("sdmformer-1-64", img_size=SIZE, time_steps=T, seed=0,
                       calib_set=Subset(calib, range(4)), check_set=Subset(test, range(1)),
                       rate_samples=0, batch_size=4, progress=False, weight_bits=4)
    assert four.ir.meta["quant_spec"]["weight_bits"] == 4
    weights = [v for k, v in four.ir.params.items() if k.endswith("conv.weight")]
    assert weights and all(int(w.min()) >= -8 and int(w.max()) <= 7 for w in weights)
    assert max(int(abs(w).max()) for w in weights) > 1


def test_plain_bn_re_estimation_leaves_the_attention_silent(data) -> None:
    """Why the rate calibration exists: without it the attention LIF (and proj) of an
    untrained network stays far below the trained model's 0.053."""
    rates = _rates(_build(data, rate_samples=0).ir, data[1])
    assert rates["blocks.0.attn.attn_lif"] < 0.01
    assert rates["blocks.0.attn.proj.lif"] < 0.01


def test_two_blocks_the_deeper_block_is_active(data) -> None:
    rates = _rates(_build(data, model="sdmformer-2-64").ir, data[1])
    for unit in ("attn.attn_lif", "attn.proj.lif", "mlp.fc1.lif", "mlp.fc2.lif"):
        assert 0.01 < rates[f"blocks.1.{unit}"] < 0.5, (unit, rates[f"blocks.1.{unit}"])


# ---------------------------------------------------------------- command line

TINY = ["--model", "sdmformer-1-64", "--img-size", "32", "-T", "4", "--calib-samples", "16",
        "--rate-samples", "8", "--samples", "4", "--reference-samples", "8", "--threads", "1",
        "--no-progress"]


def test_cli_builds_reports_and_firing_rates_agrees(capsys, tmp_path: Path) -> None:
    out = tmp_path / "a.sdmfir"
    assert main(["activity-ir", *TINY, "--out", str(out), "--json",
                 "--plot", str(tmp_path / "r.png")]) == 0
    summary = json.loads(capsys.readouterr().out)
    ir = IntegerIR.load(out)
    assert summary["hash"] == ir.content_hash() and summary["bytes"] == out.stat().st_size
    assert (tmp_path / "r.png").stat().st_size > 0
    rows = {r["layer"]: r for r in summary["rates"]}
    assert rows["blocks.0.mlp.fc2.lif"]["reference"] is not None
    assert all(r["paper"] is None for r in rows.values())
    assert main(["firing-rates", "--ir", str(out), "--samples", "4", "--reference-samples", "8",
                 "--no-progress", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["rates"] == summary["rates"]
    assert main(["firing-rates", "--ir", str(out), "--samples", "4", "--no-reference",
                 "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "blocks.0.attn.attn_lif" in text and "L1 attention" in text


@pytest.mark.parametrize("argv, words", [
    (["--model", "spikformer-1-64"], "SDMFormer"),
    (["--model", "sdmformer-x"], "unknown model name"),
    (["--img-size", "40"], "divisible by 16"),
    (["-T", "0"], "argument -T/--time-steps"),
    (["--rate-samples", "-1"], "argument --rate-samples"),
    (["--samples", "0"], "argument --samples"),
    (["--bits", "1"], "argument --bits"),
    (["--reference", "/nonexistent/ref.sdmfir"], "no such file"),
])
def test_cli_bad_arguments_are_one_line(capsys, tmp_path: Path, argv, words) -> None:
    out = tmp_path / "x.sdmfir"
    rc = main(["activity-ir", "--out", str(out), *argv])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("sdmf activity-ir: error: ") and words in err, err
    assert not out.exists()


def test_cli_out_is_a_directory(capsys, tmp_path: Path) -> None:
    assert main(["activity-ir", "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


# ---------------------------------------------------------------- the committed paper-size IR

ROOT = Path(__file__).resolve().parents[1]
PAPER_IR = ROOT / "models" / "activity" / "sdmformer-2-256-128-t16-int8.sdmfir"


def test_committed_paper_configuration_ir_is_the_documented_one() -> None:
    """models/activity holds what `make activity-ir` rebuilds: its hash is the Makefile's
    ACTIVITY_HASH (which the target checks), its masks are the table's, it has no accuracy."""
    ir = IntegerIR.load(PAPER_IR)
    recorded = next(line.split(":=")[1].strip() for line in
                    (ROOT / "Makefile").read_text().splitlines()
                    if line.startswith("ACTIVITY_HASH :="))
    assert ir.content_hash() == recorded
    assert recorded in (ROOT / "docs" / "activity.md").read_text()
    assert list(ir.input_shape) == [16, 2, 128, 128]
    assert ir.meta["model_config"]["dim"] == 256 and ir.meta["model_config"]["depth"] == 2
    assert "accuracy" not in ir.meta and ir.meta["activity"]["seed"] == 0
    for block in (0, 1):
        rows = ir.params[f"blocks.{block}.mlp.fc2.conv.weight"].shape[0]
        assert rows == 256 - round(FIG5_MASKED["MLP2"][block] * 256)
    table = mask_fractions(create_model("sdmformer-2-256", img_size=128))
    assert ir.meta["activity"]["masked_fraction"] == {
        unit: round(f * 256) / 256 for unit, f in table.items()}


@pytest.mark.parametrize("size", [64, 48])
def test_committed_4_bit_irs_are_the_documented_ones(size: int) -> None:
    """The PYNQ-Z2 designs' IRs: 4-bit weights at 64² and 48², hashes as documented."""
    ir = IntegerIR.load(ROOT / "models" / "activity" / f"sdmformer-2-256-{size}-t16-w4.sdmfir")
    assert list(ir.input_shape) == [16, 2, size, size]
    assert ir.meta["quant_spec"]["weight_bits"] == 4 and "accuracy" not in ir.meta
    assert ir.content_hash()[:16] in (ROOT / "docs" / "activity.md").read_text()
    weights = [v for k, v in ir.params.items() if k.endswith("conv.weight")]
    assert all(int(w.min()) >= -8 and int(w.max()) <= 7 for w in weights)
