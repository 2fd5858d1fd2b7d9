"""The control-interface bench: the generated ``sdmf_ip`` of a tiny network, built once.

The network is the tiny pruned SDMFormer of tests/tiny_models.py at 16×16 input (one
token; every unit kind: 3×3 and 1×1 conv+LIF, max pooling, attention, residual adds,
forks, FIFOs, head), generated with ``--counters``; it is built with Verilator through
``sdmf.sim.runner`` (cached by content, so the tests that share it build it once). The
expected values handed to the cocotb testbench (sim/tests/tb_control.py) come from
docs/hardware.md (tests/regmap_doc.py), the IR and the golden model, never from the
generator's constants.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from regmap_doc import RegisterMap, config_value, parse
from tiny_models import counts, make_ir

from sdmf.device.stream import pack_input
from sdmf.hw.flow import generate
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR

IMG = 16
SAMPLES = 9                 # the in-flight test needs one more than the limit of 8
TOP = "sdmf_ip"
TB_MODULE = "sdmf.sim.tests.tb_control"
PERIOD_NS = 10
BUILD_ARGS = ["--output-split", "0"]   # see docs/generator.md (the wheel's PCH flag)
MASK64 = (1 << 64) - 1


def ir_config_values(ir: IntegerIR, word_beats: int = 1) -> dict[str, int]:
    """The documented configuration fields, from the IR and the design's beats per
    position word (names as regmap_doc gives them)."""
    T, _, H, W = (int(v) for v in ir.input_shape)
    return {"t": T, "h": H, "w": W, "in_bits": int(ir.ops[0].attrs["bits"]),
            "classes": int(ir.params[f"{ir.ops[-1].name}.weight"].shape[0]),
            "weight_bits": int(ir.meta["quant_spec"]["weight_bits"]),
            "word_beats": word_beats}


def rom_param_word(regs: RegisterMap) -> int:
    """The parameter register of a ROM design (docs/hardware.md): only ``valid`` is set."""
    return 1 << regs.param_bits["valid"]


def output_beats(logits: torch.Tensor, pred: torch.Tensor) -> list[list[int]]:
    """Per sample: K logits sign-extended to 64 bits, then the class (docs: output stream)."""
    return [[int(v) & MASK64 for v in row] + [int(p)] for row, p in zip(logits, pred)]


@dataclass
class IpBench:
    ir: IntegerIR
    project: Path
    report: dict[str, Any]
    build_dir: Path
    regs: RegisterMap
    x: np.ndarray                     # [S, T, C, H, W] counts
    outputs: list[list[int]]          # golden output beats per sample

    @property
    def beats(self) -> int:
        return len(pack_input(self.x[0], self.in_bits))

    @property
    def in_bits(self) -> int:
        return int(self.ir.ops[0].attrs["bits"])

    def golden_outputs(self, x: np.ndarray) -> list[list[int]]:
        g = GoldenModel(self.ir).run(torch.from_numpy(np.asarray(x)))
        return output_beats(g.logits, g.pred)

    def expect(self) -> dict[str, Any]:
        values = ir_config_values(self.ir)
        units = [lay for lay in self.report["layers"] if lay["kind"] not in ("input", "output")]
        order = list(self.report["interface"]["counters"])   # the doc: layer of counter i
        pools = [[order.index(lay["name"]), lay["attrs"]["H"] * lay["attrs"]["W"]]
                 for lay in units if lay["kind"] == "maxpool"]   # busy = H·W per inference
        return {"ir_hash": int(self.ir.content_hash()[:self.regs.hash_digits], 16),
                "config": [[off, config_value(fields, values)] for off, fields in
                           self.regs.config],
                "counters": len(units),           # every unit has a busy counter
                "param": rom_param_word(self.regs),
                "counter_checks": pools}

    def config(self, faults: dict[str, Any] | None = None) -> dict[str, Any]:
        cycles = self.report["info"]["cycles"]
        return {"period_ns": PERIOD_NS, "regs": asdict(self.regs), "expect": self.expect(),
                "beats_per_sample": self.beats,
                "samples": [{"beats": pack_input(s, self.in_bits), "outputs": o}
                            for s, o in zip(self.x, self.outputs)],
                "timeout_cycles": 2 * (cycles["sum"] + cycles["interval"]) + 10 * self.beats
                + 10_000,
                "faults": faults or {}}

    def run(self, testcase: str, work: Path, faults: dict[str, Any] | None = None
            ) -> dict[str, Any]:
        """Run one cocotb test of tb_control in ``work``; returns what it recorded."""
        from sdmf.sim import runner

        work.mkdir(parents=True, exist_ok=True)
        for mem in self.report["memories"]:     # $readmemh reads them from the run folder
            shutil.copyfile(self.project / mem, work / Path(mem).name)
        cfg = work / "config.json"
        cfg.write_text(json.dumps(self.config(faults)))
        res = runner.run_test(self.build_dir, TOP, TB_MODULE, work,
                              {"SDMF_CONTROL_CONFIG": str(cfg)}, testcase=testcase)
        if not res.passed:
            raise runner.SimFailure(f"{testcase} failed:\n" + "\n".join(res.failures)
                                    + f"\n(log: {res.log})")
        seen = work / f"{testcase}.json"
        return json.loads(seen.read_text()) if seen.exists() else {}


def prepare(root: Path) -> IpBench:
    """Generate, build (or reuse) and compute the golden outputs of the bench."""
    from sdmf.sim import runner

    runner.verilator_root()                 # a missing tool fails, never skips
    ir = make_ir(img=IMG)
    project = root / "project"
    report = generate(ir, project, counters=True)
    build_dir, _ = runner.build([project / s for s in report["sources"]], TOP,
                                build_args=BUILD_ARGS)
    x = np.concatenate([counts(1, IMG, seed=40 + i).numpy() for i in range(SAMPLES)])
    g = GoldenModel(ir).run(torch.from_numpy(x))
    bench = IpBench(ir, project, report, build_dir, parse(), x, output_beats(g.logits, g.pred))
    logits = {tuple(o[:-1]) for o in bench.outputs}
    assert len(logits) == SAMPLES, "the samples must give distinct logits (order is checked)"
    return bench
