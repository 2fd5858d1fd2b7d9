"""The top level's glue in the resource model (sdmf.hw.resources.glue): the fit from
ROM and runtime-loaded designs, the prediction, the loader's word register."""

from __future__ import annotations

import json

import pytest

from sdmf.device.params import loader_word_bits
from sdmf.hw.resources.calibration import load_glue
from sdmf.hw.resources.glue import fit_glue, glue_point, predict_glue


def _pt(words: int, lut: float, ff: float, counters: int = 0) -> dict:
    return {"project": f"p{words}", "word_bits": words, "counters": counters,
            "measured": {"LUT": lut, "FF": ff}}


def test_fit_recovers_base_and_slope():
    # base 300 LUT / 350 FF; the loader costs 1.25 LUT and 1 FF per word bit
    pts = {"xcup": [_pt(0, 300, 350), _pt(1024, 1580, 1374), _pt(4096, 5420, 4446)],
           "xc7": [_pt(0, 280, 330)]}
    coeffs = fit_glue(pts)
    assert coeffs["xcup"]["LUT"] == {"base": 300.0, "per_word_bit": 1.25, "per_counter": 0.0}
    assert coeffs["xcup"]["FF"] == {"base": 350.0, "per_word_bit": 1.0, "per_counter": 0.0}
    # xc7 has no loaded design: its own base, the slope pooled from xcup's
    assert coeffs["xc7"]["LUT"] == {"base": 280.0, "per_word_bit": 1.25, "per_counter": 0.0}
    assert predict_glue(coeffs["xcup"], 2048) == {
        "LUT": 2860, "LUT_MEM": 0, "FF": 2398, "BRAM18": 0, "URAM": 0, "DSP": 0}
    assert predict_glue(coeffs["xc7"], 0)["LUT"] == 280


def test_counters_are_fitted_on_what_base_and_loader_leave():
    # 40 LUT and 2 FF per busy counter read out, on top of base and loader
    pts = {"xcup": [_pt(0, 300, 350), _pt(1024, 1580, 1374),
                    _pt(1024, 1580 + 50 * 40, 1374 + 50 * 2, counters=50)]}
    coeffs = fit_glue(pts)["xcup"]
    assert coeffs["LUT"] == {"base": 300.0, "per_word_bit": 1.25, "per_counter": 40.0}
    assert coeffs["FF"]["per_counter"] == 2.0
    assert predict_glue(coeffs, 1024, 50)["LUT"] == 3580
    assert predict_glue(coeffs, 1024)["LUT"] == 1580          # without counters
    with pytest.raises(ValueError, match="ROM design"):      # a ROM base with counters only
        fit_glue({"xcup": [_pt(0, 300, 350, counters=3)]})


def test_family_without_rom_designs_takes_the_others_base():
    coeffs = fit_glue({"xcup": [_pt(1000, 1300, 1350)], "xc7": [_pt(0, 300, 350)]})
    assert coeffs["xcup"]["LUT"] == {"base": 300.0, "per_word_bit": 1.0, "per_counter": 0.0}
    with pytest.raises(ValueError, match="ROM design"):
        fit_glue({"xcup": [_pt(1000, 1300, 1350)]})


def test_glue_point_reads_the_synthesis_and_the_report(tmp_path):
    assert glue_point(tmp_path, "xcup") is None
    (tmp_path / "reports").mkdir()
    (tmp_path / "report.json").write_text(json.dumps(
        {"options": {"params": "loaded"}, "info": {"param_bits": 4736},
         "interface": {"counters": {"sps.0": 64, "sps.1": 72}}}))
    (tmp_path / "reports" / "synth_xcup.json").write_text(json.dumps(
        {"glue": {"LUT": 6272, "LUT_MEM": 40, "FF": 5330}}))
    assert glue_point(tmp_path, "xcup") == {
        "project": tmp_path.name, "word_bits": 4736, "counters": 2,
        "measured": {"LUT": 6312, "FF": 5330}}


def test_loader_word_register_is_whole_beats_of_the_widest_word():
    assert loader_word_bits([]) == 64 and loader_word_bits([8, 64]) == 64
    assert loader_word_bits([65, 24]) == 128 and loader_word_bits([4736]) == 4736


@pytest.mark.parametrize("family", ["xc7", "xcup"])
def test_every_family_has_a_glue_calibration(family):
    coeffs = load_glue(family)
    assert coeffs["LUT"]["base"] > 0 and coeffs["LUT"]["per_word_bit"] > 0
