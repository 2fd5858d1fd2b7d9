"""The mutation catalog: faults that the CPU test suite must catch.

Each mutation replaces exact snippets of product code (every ``old`` must occur
exactly once in its file) and names the test files that must then fail — each of
them on its own (``run_mutations.py --per-file`` checks that; the default run
takes them together and stops at the first failure, so list the fastest first).
To add one, append a :class:`Mutation`; ``run_mutations.py`` picks it up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    file: str   # relative to the repository root
    old: str
    new: str


@dataclass(frozen=True)
class Mutation:
    id: str
    description: str
    edits: tuple[Edit, ...]
    tests: tuple[str, ...]


MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        "fold-drops-running-mean", "BN folding forgets μ in the folded bias (quant/fold.py)",
        (Edit("quant/fold.py",
              "b = (b - bn.running_mean.double()) * scale + bn.bias.detach().double()",
              "b = b * scale + bn.bias.detach().double()"),),
        ("tests/test_fold.py", "tests/test_quant.py", "tests/test_float_agreement.py")),
    Mutation(
        "lif-leak-truncates", "LIF leak rounds toward 0 instead of −∞, in the contract "
        "itself: integer and float paths (quant/ops.py)",
        (Edit("quant/ops.py", 'v = torch.div(total, 2, rounding_mode="floor")',
              'v = torch.div(total, 2, rounding_mode="trunc")'),
         Edit("quant/ops.py", "return torch.floor(x / 2)", "return torch.trunc(x / 2)")),
        ("tests/test_contract_reference.py", "tests/test_quant.py")),
    Mutation(
        "argmax-ties-highest", "prediction ties go to the highest class index (quant/ops.py)",
        (Edit("quant/ops.py", "return torch.argmax(logits, dim=-1)",
              "return logits.shape[-1] - 1 - torch.argmax(logits.flip(-1), dim=-1)"),),
        ("tests/test_contract_reference.py",)),
    Mutation(
        "head-bound-one-bit-short", "the head's logit interval halved: one bit too narrow "
        "(quant/bounds.py)",
        (Edit("quant/bounds.py", "_Interval(lin.lo * scale + b, lin.hi * scale + b)",
              "_Interval((lin.lo * scale + b) // 2, (lin.hi * scale + b) // 2)"),),
        ("tests/test_bounds.py",)),
    Mutation(
        "attention-bound-one-short", "the attention bound N·|q·k| − 1 (quant/bounds.py)",
        (Edit("quant/bounds.py", "[q[2] * per_head[int(h)] for h in hv]",
              "[q[2] * per_head[int(h)] - 1 for h in hv]"),),
        ("tests/test_bounds.py",)),
    Mutation(
        "qat-leak-diverges", "only the QAT (float) LIF path truncates: QAT ≠ golden "
        "(quant/ops.py)",
        (Edit("quant/ops.py", "return torch.floor(x / 2)", "return torch.trunc(x / 2)"),),
        ("tests/test_contract_reference.py", "tests/test_quant.py")),
    Mutation(
        "qat-threshold-floors", "the quantizer floors θ = 2^F/s instead of rounding; QAT and "
        "golden still agree with each other (quant/qat.py)",
        (Edit("quant/qat.py", "torch.clamp(round_ste(one / s), min=1)",
              "torch.clamp(torch.floor(one / s), min=1)"),),
        ("tests/test_quant.py",)),
    Mutation(
        "sim-cycle-tolerance", "busy cycles accepted within ±10 % of the model, as `sdmf sim` "
        "once did (sim/network.py)",
        (Edit("sim/network.py", "ok = self.measured == self.model",
              "ok = all(abs(m - e) <= 0.1 * e for m, e in zip(self.measured, self.model))"),
         Edit("sim/network.py", "ok &= self.overlapped == sum(self.model)",
              "ok &= abs(self.overlapped - sum(self.model)) <= 0.1 * sum(self.model)")),
        ("tests/test_sim_checks.py",)),
    Mutation(
        "sim-interval-unchecked", "`sdmf sim` passes whatever interval it measured "
        "(sim/network.py)",
        (Edit("sim/network.py", "if not self.interval_checked:", "if True:"),),
        ("tests/test_sim_checks.py",)),
    Mutation(
        "interval-is-bottleneck", "the RTL backend quotes the bottleneck's busy count as the "
        "interval, not the token recurrence's (hw/backends/rtl/backend.py)",
        (Edit("hw/backends/rtl/backend.py", "interval=steady.interval,",
              "interval=graph.info['cycles']['bound'],"),),
        ("tests/hw/test_timing.py",)),
    Mutation(
        "config-field-moved", "register 0x20's weight-bits field one bit higher than documented "
        "(sdmf/device/regmap.py)",
        (Edit("sdmf/device/regmap.py", 'Field("weight_bits", 24, 5)',
              'Field("weight_bits", 25, 5)'),),
        ("tests/test_interface_doc.py", "tests/test_ir_gate.py",
         "tests/test_device_interface.py")),
    Mutation(
        "id-changed", "the device ID's magic differs from the documented one "
        "(sdmf/device/regmap.py)",
        (Edit("sdmf/device/regmap.py", "ID_MAGIC = 0x5D3F", "ID_MAGIC = 0x5D3E"),),
        ("tests/test_interface_doc.py", "tests/test_device_interface.py")),
    Mutation(
        "version-bumped-undocumented", "the interface version raised without the register "
        "table (sdmf/device/regmap.py)",
        (Edit("sdmf/device/regmap.py", "INTERFACE_VERSION = 4", "INTERFACE_VERSION = 5"),),
        ("tests/test_device_interface.py", "tests/test_interface_doc.py")),
    Mutation(
        "params-crc-big-endian", "the parameter checksum over big-endian beats, unlike the "
        "loader's (sdmf/device/params.py)",
        (Edit("sdmf/device/params.py", 'return zlib.crc32(arr.astype("<u8").tobytes())',
              'return zlib.crc32(arr.astype(">u8").tobytes())'),),
        ("tests/test_device_params.py",)),
    Mutation(
        "params-header-count-shifted", "the chunk header's word count one bit lower "
        "(sdmf/device/params.py)",
        (Edit("sdmf/device/params.py", 'COUNT_FIELD = Field("count", 40, 24)',
              'COUNT_FIELD = Field("count", 39, 24)'),),
        ("tests/test_device_params.py",)),
    Mutation(
        "output-logits-unsigned", "output decoding forgets to sign-extend the logits "
        "(sdmf/device/stream.py)",
        (Edit("sdmf/device/stream.py", "tuple(to_signed(v, BEAT_BITS) for v in raw[:classes])",
              "tuple(raw[:classes])"),),
        ("tests/test_device_interface.py",)),
    Mutation(
        "make-test-empty-success", "`make test` turns pytest's exit 5 (no tests collected) "
        "into success (Makefile)",
        (Edit("Makefile", "\t$(PY) -m pytest $(PYTEST_ARGS) $(SLOW)\n",
              "\t@$(PY) -m pytest $(PYTEST_ARGS) $(SLOW); rc=$$?; if [ $$rc -eq 5 ]; then "
              "rc=0; fi; exit $$rc\n"),),
        ("tests/test_sim_checks.py",)),
    Mutation(
        "hls-lif-leak-truncates", "the HLS kernels' LIF leak rounds toward 0 "
        "(hw/backends/hls/templates/sdmf_common.h)",
        (Edit("hw/backends/hls/templates/sdmf_common.h", "v = ap_int<CUR_BITS>(total >> 1);",
              "v = ap_int<CUR_BITS>(total / 2);"),),
        ("tests/hls/test_kernels.py",)),
    Mutation(
        "hls-argmax-ties-highest", "the HLS head's arg-max keeps the last of equal logits "
        "(hw/backends/hls/templates/sdmf_head_argmax.h)",
        (Edit("hw/backends/hls/templates/sdmf_head_argmax.h", "if (k == 0 || logit > best) {",
              "if (k == 0 || logit >= best) {"),),
        ("tests/hls/test_kernels.py",)),
    Mutation(
        "hls-unpack-beats-reversed", "the HLS input unpacker takes a wide position's beats "
        "most significant first (hw/backends/hls/templates/sdmf_axis_io.h)",
        (Edit("hw/backends/hls/templates/sdmf_axis_io.h",
              "acc.range((b % NB) * 64 + 63, (b % NB) * 64) = beat.data;",
              "acc.range((NB - 1 - b % NB) * 64 + 63, (NB - 1 - b % NB) * 64) = beat.data;"),),
        ("tests/hls/test_kernels.py",)),
    Mutation(
        "hls-residual-channel-map", "the HLS residual add's channel map adds every branch "
        "channel into the first kept one (hw/backends/hls/kinds/residual_add.py)",
        (Edit("hw/backends/hls/kinds/residual_add.py", "branch[int(d)] = j",
              "branch[int(d)] = 0"),),
        ("tests/hls/test_network.py",)),
    Mutation(
        "hls-ip-repo-not-the-export", "the HLS project's Vivado script looks for the core "
        "in the solution folder, not where export_design unpacks it "
        "(hw/backends/hls/scripts.py)",
        (Edit("hw/backends/hls/scripts.py", 'return f"{solution_dir(board)}/impl/ip"',
              'return f"{solution_dir(board)}/impl"'),),
        ("tests/hls/test_bitstream.py",)),
    Mutation(
        "hls-core-instance-is-its-top", "the shell instantiates the core under the exported "
        "IP's own top name, which the Vivado IP instance cannot take "
        "(hw/backends/hls/shell.py)",
        (Edit("hw/backends/hls/shell.py", 'CORE_MODULE = "sdmf_core"',
              'CORE_MODULE = "sdmf_top"'),),
        ("tests/hls/test_bitstream.py",)),
    Mutation(
        "bitstream-checks-only-vivado", "sdmf bitstream looks up only the last tool before "
        "running (hw/bitstream.py)",
        (Edit("hw/bitstream.py", "missing = missing_tools(steps)\n",
              "missing = missing_tools(steps[-1:])\n"),),
        ("tests/hls/test_bitstream.py",)),
    Mutation(
        "event-rows-counted", "event-driven PK = 3 counts each non-zero row as an op instead "
        "of one op per column (hw/kinds/conv_lif.py)",
        (Edit("hw/kinds/conv_lif.py",
              'ops = taps.any(axis=0) if knobs.get("PK", 1) == 3 else taps',
              "ops = taps"),),
        ("tests/hw/test_kinds.py",)),
    Mutation(
        "event-lif-op-dropped", "the event-driven cycle count forgets the LIF op of each "
        "(og, t) (hw/kinds/conv_lif.py)",
        (Edit("hw/kinds/conv_lif.py",
              "return G * (T + nz) + 1", "return G * nz + 1"),),
        ("tests/hw/test_kinds.py",)),
    Mutation(
        "timing-emit-stall-dropped", "the token recurrence forgets that a conv's EMIT waits "
        "for its output register (hw/timing/units.py)",
        (Edit("hw/timing/units.py",
              '*([_x(self.out, p * self.nb - 1)] if p else []))', '*[])'),),
        ("tests/hw/test_timing.py",)),
    Mutation(
        "activity-plan-on-dense", "--plan-activity costs every candidate at the dense worst "
        "case again (hw/activity.py, PlanCycles)",
        (Edit("hw/activity.py",
              "return self.activity.cycles(spec, layer, knobs)",
              "return spec.cycles(layer, knobs)"),),
        ("tests/hw/test_activity_plan.py",)),
)
