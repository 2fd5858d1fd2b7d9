"""``sdmf_param_loader`` in Verilator (docs/params.md): every word of a load stream is
written to the memory and address its chunk names, the CRC register equals a bit-serial
CRC-32 written out here, and a skipped, corrupted or malformed load is never `valid`.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from sdmf.device.params import ParamMemory, bus_offset, chunk_beats, header, image_beats

pytestmark = pytest.mark.rtl

SUPPORT = Path(__file__).resolve().parents[2] / "hw" / "backends" / "rtl" / "support"
TB = "sdmf.sim.tests.tb_param_loader"
MEMS = [ParamMemory(0, "a", "weight", 3, 8), ParamMemory(1, "a", "bias", 2, 100),
        ParamMemory(2, "b", "weight", 5, 64)]


def crc32_bitwise(beats: list[int]) -> int:
    c = 0xFFFFFFFF
    for beat in beats:
        for i in range(64):
            c = (c >> 1) ^ (0xEDB88320 if (c ^ (beat >> i)) & 1 else 0)
    return c ^ 0xFFFFFFFF


def sv_table(values: list[int]) -> str:
    word = sum(v << (32 * i) for i, v in enumerate(values))
    return f"{32 * len(values)}'h{word:x}"


def run_loads(tmp_path: Path, loads: list[dict], idle: float = 0.3) -> list[dict]:
    from sdmf.sim import runner

    runner.verilator_root()
    params = {"NMEM": len(MEMS), "MAXB": max(m.beats_per_word for m in MEMS),
              "DEPTHS": sv_table([m.depth for m in MEMS]),
              "BEATS": sv_table([m.beats_per_word for m in MEMS]),
              "TOTAL_WORDS": sum(m.depth for m in MEMS)}
    (tmp_path / "case.json").write_text(json.dumps({"loads": loads, "idle": idle, "seed": 3}))
    env = {"SDMF_TB_CASE": str(tmp_path / "case.json"),
           "SDMF_TB_RESULT": str(tmp_path / "result.json")}
    runner.build_and_run([SUPPORT / "sdmf_param_loader.sv"], "sdmf_param_loader", params, TB,
                         test_dir=tmp_path, extra_env=env)
    return json.loads((tmp_path / "result.json").read_text())["loads"]


def random_images(seed: int) -> dict[int, list[int]]:
    rng = random.Random(seed)
    return {m.id: [rng.getrandbits(m.width) for _ in range(m.depth)] for m in MEMS}


def expected_writes(images: dict[int, list[int]]) -> list[list[int]]:
    return [[m.id, a, images[m.id][a]] for m in MEMS for a in range(m.depth)]


BUS_BITS = 64 * max(m.beats_per_word for m in MEMS)        # the loader's MAXB beats


def masked(writes: list[list[int]]) -> list[list[int]]:
    """Writes with the data cut to the memory's word (the unit takes its bits at
    ``bus_offset``, the top beats of the bus)."""
    return [[i, a, (d >> bus_offset(MEMS[i].width, BUS_BITS)) & ((1 << MEMS[i].width) - 1)]
            for i, a, d in writes]


@pytest.mark.parametrize("idle", [0.0, 0.3])   # back-to-back beats, random gaps
def test_loads_writes_every_word_and_flags_every_bad_load(tmp_path, idle):
    images = random_images(1)
    good = [int(b) for b in image_beats(MEMS, images)]
    crc = crc32_bitwise(good)
    skipped = good[:5] + good[6:]                         # a data beat of memory 1 lost
    corrupted = list(good)
    corrupted[7] ^= 1 << 40                               # a bit of memory 1's second word
    chunked = (chunk_beats(MEMS[0], 0, images[0]) + chunk_beats(MEMS[2], 3, images[2][3:])
               + chunk_beats(MEMS[1], 0, images[1]) + chunk_beats(MEMS[2], 0, images[2][:3]))
    bad_id = [header(3, 0, 1), 0, *good]
    too_far = [header(2, 4, 2), 1, 2, *good]
    loads = [
        {"beats": good, "expect": crc},                   # 0: the canonical image
        {"beats": skipped, "expect": crc},                # 1: a beat skipped
        {"beats": good, "expect": crc},                   # 2: reload clears the failure
        {"beats": corrupted, "expect": crc},              # 3: a corrupted bit
        {"beats": chunked, "expect": crc32_bitwise(chunked)},  # 4: chunks in any order
        {"beats": bad_id, "expect": crc32_bitwise(bad_id)},    # 5: id out of range
        {"beats": too_far, "expect": crc32_bitwise(too_far)},  # 6: beyond the depth
        {"beats": good[:-3], "expect": crc32_bitwise(good[:-3])},  # 7: half loaded
        {"beats": good, "expect": crc ^ 1},               # 8: another expected CRC
    ]
    res = run_loads(tmp_path, loads, idle)
    want = expected_writes(images)
    assert masked(res[0]["writes"]) == want
    assert (res[0]["crc"], res[0]["valid"], res[0]["error"]) == (crc, 1, 0)
    assert res[1]["valid"] == 0 and res[1]["crc"] == crc32_bitwise(skipped)
    assert masked(res[2]["writes"]) == want and (res[2]["valid"], res[2]["error"]) == (1, 0)
    assert (res[3]["valid"], res[3]["error"]) == (0, 0)
    assert res[3]["crc"] == crc32_bitwise(corrupted)
    assert sorted(map(tuple, masked(res[4]["writes"]))) == sorted(map(tuple, want))
    assert (res[4]["valid"], res[4]["error"]) == (1, 0)
    for i in (5, 6):
        assert (res[i]["valid"], res[i]["error"], res[i]["writes"]) == (0, 1, []), i
    assert (res[7]["valid"], res[7]["error"]) == (0, 1)   # ended inside memory 2's chunk
    assert res[8]["valid"] == 0 and res[8]["crc"] == crc


@pytest.mark.parametrize("nmem, maxb", [(1, 1), (3, 2), (40, 6)])
def test_loader_is_lint_clean(tmp_path, nmem, maxb):
    """``verilator --lint-only -Wall`` and Yosys (no warnings), small and large tables."""
    from sdmf.sim import runner

    runner.verilator_root()
    params = {"NMEM": nmem, "MAXB": maxb, "DEPTHS": sv_table([7 + i for i in range(nmem)]),
              "BEATS": sv_table([1 + i % maxb for i in range(nmem)]),
              "TOTAL_WORDS": sum(7 + i for i in range(nmem))}
    src = SUPPORT / "sdmf_param_loader.sv"
    runner.verilator_lint([src], "sdmf_param_loader", params)
    assert runner.yosys_check(src, "sdmf_param_loader", params, cwd=tmp_path) == []
