"""The integer contract: QAT model ≡ golden model ≡ an independent executor, the IR's
parameters re-derived from the float model, IR validation, bounds, edge cases."""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from float_reference import derive_params, kept_channels
from int_reference import membrane_current, predict, run_program

from sdmf.model import create_model
from sdmf.model.checkpoint import load_model
from sdmf.quant.build import QuantSpec
from sdmf.quant.export import export_ir
from sdmf.quant.golden import GoldenModel, WidthError, dump_vectors, load_vectors
from sdmf.quant.ir import IntegerIR, IRError
from sdmf.quant.qat import QuantizedModel

T = 3
RELEASED = Path(__file__).resolve().parents[1] / "models" / "digits-dvs" / "sdmformer-1-128.pt"


def _model(arch: str = "sdmformer-2-32", seed: int = 0, beta: tuple[float, float] = (-0.2, 0.8),
           **kw):
    torch.manual_seed(seed)
    model = create_model(arch, num_classes=4, img_size=32, heads=4, **kw)
    # make BN statistics and masks non-trivial so every op does real work
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm):
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.2, 1.0)
                mod.weight.uniform_(0.5, 2.0)
                mod.bias.uniform_(*beta)
        for mask in model.masks().values():
            mask.weight.uniform_(-0.4, 1.0)
    return model.eval()


def _counts(seed: int = 1, batch: int = 3, high: int = 5) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, high, (batch, T, 2, 32, 32), generator=g).float()


def _assert_bit_exact(qmodel: QuantizedModel, golden: GoldenModel, x: torch.Tensor) -> dict:
    qmodel.eval()
    with torch.no_grad():
        q = qmodel.run(x, taps=True)
    g = golden.run(x, taps=True)
    assert set(q) == set(g.taps)
    for name, value in g.taps.items():
        assert torch.equal(q[name].to(torch.int64), value), name
    return g.taps


LIVELY = (-0.5, 2.5)   # BN β range at which every LIF of the tiny models fires


def _negative_odd_currents(ir: IntegerIR, ref: dict[str, np.ndarray]) -> bool:
    """Whether some LIF sees a negative odd V + I = I at t = 0 (floor ≠ truncation there)."""
    for op in ir.ops:
        if op.type == "lif":
            i = membrane_current(ref[op.inputs[0]], ir.params[op.param_key("bias")],
                                 op.attrs["frac_bits"])[:, 0]
            if ((i < 0) & (i % 2 == 1)).any():
                return True
    return False


@pytest.mark.parametrize("arch", ["sdmformer-2-32", "spikformer-1-32"])
@pytest.mark.parametrize(("bits", "frac_bits"), [(8, 4), (4, 4), (4, 1)], ids=["w8f4", "w4f4",
                                                                              "w4f1"])
def test_qat_eval_golden_and_independent_executor_agree_on_every_tap(arch, bits, frac_bits,
                                                                      tmp_path):
    """Three executions agree on every op output: the QAT model's eval forward (float64,
    its own parameters), the golden model on the IR saved and reloaded (int64), and
    ``int_reference.run_program`` — which shares no code with quant/ops.py or
    quant/program.py — on the reloaded parameters. QAT and golden share the op code, so
    the first comparison checks export, save/load and the float-vs-int paths of the ops;
    the third checks the arithmetic itself. That the parameters are the float model's
    is checked by test_ir_params_follow_from_the_float_model. With 4-bit weights and one
    fractional bit the thresholds are small (tens of LSBs), so a membrane off by one LSB
    (e.g. a leak that truncates instead of flooring) flips spikes; at 8 bits it rarely does."""
    spec = QuantSpec(weight_bits=bits, frac_bits=frac_bits)
    qmodel = QuantizedModel(_model(arch, beta=LIVELY), spec, time_steps=T)
    path = export_ir(qmodel).save(tmp_path / "m.sdmfir")
    ir = IntegerIR.load(path)
    x = _counts(high=16)
    golden = GoldenModel(ir)
    taps = _assert_bit_exact(qmodel, golden, x)
    ref = run_program([op.to_dict() for op in ir.ops], ir.params, x.numpy().astype(np.int64))
    assert set(ref) == set(taps)
    for name, value in ref.items():
        assert np.array_equal(taps[name].numpy(), value), name
    assert np.array_equal(golden.run(x).pred.numpy(), predict(ref["head"]))
    silent = [k for k, v in ref.items() if k.endswith("lif") and not v.any()]
    assert not silent, f"the test must exercise every LIF; silent: {silent}"
    assert _negative_odd_currents(ir, ref), "the test must exercise the floor of the leak"
    w = ir.params["blocks.0.attn.q.conv.weight"]
    assert np.abs(w).max() <= 2 ** (bits - 1) - 1


def _ir_vs_derived(model, bits: int, time_steps: int) -> None:
    ir = export_ir(QuantizedModel(model, QuantSpec(weight_bits=bits), time_steps=time_steps))
    derived, logit_scale = derive_params(model, bits, frac_bits=4, lpe_bits=8, T=time_steps)
    assert set(derived) == set(ir.params)
    for name, value in derived.items():
        got = ir.params[name].astype(np.int64)
        assert got.shape == value.shape, name
        assert np.array_equal(got, value), f"{name}: {int((got != value).sum())} values differ"
    assert ir.meta["logit_scale"] == pytest.approx(logit_scale, rel=1e-12)
    kept = kept_channels(model)
    for name, (out, cin) in kept.items():
        assert ir.meta["kept_channels"][name] == {"out": out, "in": cin}, name


@pytest.mark.parametrize(("arch", "bits", "kw"), [
    ("sdmformer-2-32", 8, {}), ("sdmformer-2-32", 4, {}), ("spikformer-1-32", 8, {}),
    ("sdmformer-1-32", 8, {"mlp_residual": "each"})])
def test_ir_params_follow_from_the_float_model(arch, bits, kw):
    """Every integer parameter of the exported IR (weights, LIF biases with their LPE
    terms, thresholds, head tags, residual channels, head weight and bias) equals what
    ``float_reference.derive_params`` computes from the float model's conv, BN, mask,
    LPE and head tensors with the formulas of docs/integer-semantics.md — without
    quant/fold.py, quant/qat.py or model/pruning.py."""
    _ir_vs_derived(_model(arch, **kw), bits, T)


def test_ir_params_of_the_released_checkpoint_follow_from_its_float_model():
    model, ckpt = load_model(RELEASED)
    _ir_vs_derived(model, 8, ckpt["dataset"]["T"])


def test_qat_gradients_reach_weights_biases_and_lpe():
    qmodel = QuantizedModel(_model(), QuantSpec(), time_steps=T).train()
    loss = torch.nn.functional.cross_entropy(qmodel(_counts()), torch.tensor([0, 1, 2]))
    loss.backward()
    assert qmodel.lpe.grad is not None and qmodel.lpe.grad.abs().sum() > 0
    grads = [p.grad for p in qmodel.biases if p.grad is not None]
    assert grads and any(g.abs().sum() > 0 for g in grads)


def test_layer_with_every_channel_masked_and_head_left_empty():
    model = _model()
    with torch.no_grad():
        model.masks()["blocks.0.mlp.fc1"].weight.fill_(-1.0)       # whole layer masked
        model.masks()["blocks.1.attn.q"].weight[:8] = -1.0          # heads 0 and 1 lose q
        model.masks()["blocks.1.attn.v"].weight[8:16] = -1.0
    qmodel = QuantizedModel(model, QuantSpec(), time_steps=T)
    ir = export_ir(qmodel)
    assert ir.params["blocks.0.mlp.fc1.conv.weight"].shape[0] == 0
    assert ir.params["blocks.0.mlp.fc2.conv.weight"].shape[1] == 0
    assert 0 not in ir.params["blocks.1.attn.attention.head_qk"]
    assert 1 not in ir.params["blocks.1.attn.attention.head_v"]
    _assert_bit_exact(qmodel, GoldenModel(ir), _counts())


def test_all_zero_input_and_saturated_counts():
    qmodel = QuantizedModel(_model(), QuantSpec(in_bits=3), time_steps=T)
    golden = GoldenModel(export_ir(qmodel))
    zero = torch.zeros(2, T, 2, 32, 32)
    taps = _assert_bit_exact(qmodel, golden, zero)
    assert taps["input"].sum() == 0
    big = _counts(high=40)
    taps = _assert_bit_exact(qmodel, golden, big)
    assert taps["input"].max() == 7
    clipped = golden.run(big.clamp(max=7)).logits
    assert torch.equal(golden.run(big).logits, clipped)


def test_ir_round_trip_preserves_everything(tmp_path):
    ir = export_ir(QuantizedModel(_model(), QuantSpec(), time_steps=T), {"tag": "x"})
    loaded = IntegerIR.load(ir.save(tmp_path / "a.sdmfir"))
    assert loaded.content_hash() == ir.content_hash()
    assert loaded.meta["tag"] == "x" and loaded.meta["time_steps"] == T
    assert [o.to_dict() for o in loaded.ops] == [o.to_dict() for o in ir.ops]
    for k, v in ir.params.items():
        assert np.array_equal(loaded.params[k], v) and loaded.params[k].dtype == v.dtype


def _saved_ir(tmp_path):
    ir = export_ir(QuantizedModel(_model(), QuantSpec(), time_steps=T))
    return ir.save(tmp_path / "a.sdmfir")


def _rewrite(path, out, edit_header=None, edit_param=None):
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    header = json.loads(files["ir.json"])
    if edit_header:
        edit_header(header)
    files["ir.json"] = json.dumps(header).encode()
    if edit_param:
        name, fn = edit_param
        a = np.load(io.BytesIO(files[f"params/{name}.npy"]))
        buf = io.BytesIO()
        np.save(buf, fn(a))
        files[f"params/{name}.npy"] = buf.getvalue()
    with zipfile.ZipFile(out, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    return out


@pytest.mark.parametrize(("edit", "field"), [
    (lambda h: h.update(version=99), "'version'"),
    (lambda h: h.update(format="onnx"), "'format'"),
    (lambda h: h["ops"][3].update(type="softmax"), "ops[3].type"),
    (lambda h: h["ops"][2].update(inputs=["nowhere"]), "ops[2].inputs"),
    (lambda h: h["meta"].update(time_steps=7), "'hash'"),
    (lambda h: h["tensors"]["sps.0.conv"].update(bits=3), "tensors.sps.0.conv"),
])
def test_inconsistent_ir_is_refused_naming_the_field(tmp_path, edit, field):
    path = _saved_ir(tmp_path)
    bad = _rewrite(path, tmp_path / "bad.sdmfir", edit_header=edit)
    with pytest.raises(IRError, match=re.escape(field)):
        IntegerIR.load(bad)


def test_tampered_parameter_and_truncated_file_are_refused(tmp_path):
    path = _saved_ir(tmp_path)
    bad = _rewrite(path, tmp_path / "w.sdmfir",
                   edit_param=("sps.1.conv.weight", lambda a: np.flip(a, 2).copy()))
    with pytest.raises(IRError, match="hash"):
        IntegerIR.load(bad)
    shape_bad = _rewrite(path, tmp_path / "s.sdmfir",
                         edit_param=("blocks.0.attn.q.conv.weight", lambda a: a[:, :-1].copy()))
    with pytest.raises(IRError, match=re.escape("params.blocks.0.attn.q.conv.weight")):
        IntegerIR.load(shape_bad)
    data = path.read_bytes()
    (tmp_path / "t.sdmfir").write_bytes(data[: len(data) // 2])
    with pytest.raises(IRError, match=re.escape("t.sdmfir")):
        IntegerIR.load(tmp_path / "t.sdmfir")


def test_value_forced_past_its_declared_width_is_caught():
    ir = export_ir(QuantizedModel(_model(), QuantSpec(), time_steps=T))
    spec = ir.tensors["blocks.0.attn.v.lif.current"]
    # shrink the declared interval below what real inputs reach
    ir.tensors["blocks.0.attn.v.lif.current"] = replace(spec, lo=-1, hi=1)
    with pytest.raises(WidthError, match=re.escape("blocks.0.attn.v.lif.current")):
        GoldenModel(ir).run(_counts(high=4))


def test_golden_dump_round_trip(tmp_path):
    ir = export_ir(QuantizedModel(_model(), QuantSpec(), time_steps=T))
    golden = GoldenModel(ir)
    x = _counts(batch=2)
    result = golden.run(x, taps=True)
    dump_vectors(ir, x, result, tmp_path / "vec", labels=[1, 2])
    manifest, arrays = load_vectors(tmp_path / "vec")
    assert manifest["ir_hash"] == ir.content_hash() and manifest["labels"] == [1, 2]
    assert np.array_equal(arrays["logits"], result.logits.numpy())
    assert np.array_equal(arrays["blocks.1.mlp.fc2.lif"], result.taps["blocks.1.mlp.fc2.lif"])
    assert manifest["tensors"]["sps.0.lif"]["bits"] == 1


def test_golden_rejects_non_integer_or_misshaped_input():
    golden = GoldenModel(export_ir(QuantizedModel(_model(), QuantSpec(), time_steps=T)))
    with pytest.raises(ValueError, match="integers"):
        golden.run(_counts() + 0.5)
    with pytest.raises(ValueError, match="input must be"):
        golden.run(torch.zeros(1, T + 1, 2, 32, 32))
