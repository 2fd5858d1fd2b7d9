"""What a host on a board image imports must not need torch.

Each check runs in a fresh interpreter (this one has torch loaded long ago). A meta-path
hook there records the import stack the first time anything asks for ``torch``, so a
failure names the chain of project files that pulled it in. The device interface
(``sdmf.device``) is checked with all its submodules once it exists.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_IR = ROOT / "models" / "digits-dvs" / "sdmformer-1-128-int8.sdmfir"

# runs in the child: install the spy, then exec the scenario; prints one JSON line
_HARNESS = r'''
import json, sys, traceback

class _TorchSpy:
    chain = None

    def find_spec(self, name, path=None, target=None):
        if (name == "torch" or name.startswith("torch.")) and _TorchSpy.chain is None:
            _TorchSpy.chain = [f"{f.filename}:{f.lineno}" for f in traceback.extract_stack()
                               if not f.filename.startswith("<")]
        return None

already = "torch" in sys.modules
sys.meta_path.insert(0, _TorchSpy())
out = {}
exec(compile(SCENARIO, "<scenario>", "exec"), {"out": out})
print(json.dumps({"already": already, "torch": "torch" in sys.modules,
                  "chain": _TorchSpy.chain, "out": out}))
'''


def _run_fresh(scenario: str) -> dict:
    """Run ``scenario`` in a new interpreter; returns what the harness reports."""
    code = f"SCENARIO = {scenario!r}\n{_HARNESS}"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, f"scenario failed:\n{scenario}\n{proc.stderr}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not report["already"], "torch was loaded before the scenario ran (sitecustomize?)"
    return report


def _why(report: dict) -> str:
    """The project files on the import stack that first asked for torch."""
    root = str(ROOT)
    chain = [c.replace(root + "/", "") for c in report["chain"] or [] if c.startswith(root)]
    return " -> ".join(chain) or "no project file on the stack"


def _submodules(package: str) -> list[str]:
    """``package`` and its submodules once that package exists, else nothing."""
    if importlib.util.find_spec(package) is None:
        return []
    import pkgutil

    paths = getattr(importlib.import_module(package), "__path__", [])
    return [package, *(m.name for m in pkgutil.walk_packages(paths, package + "."))]


def _device_modules() -> list[str]:
    """``sdmf.device`` and its submodules, then the board host ``sdmf.host`` and its."""
    return [*_submodules("sdmf.device"), *_submodules("sdmf.host")]


BOARD_MODULES = ["sdmf", "sdmf.io", "sdmf.quant", "sdmf.quant.opdefs", "sdmf.quant.limits",
                 "sdmf.quant.bounds", "sdmf.quant.validate", "sdmf.quant.ir",
                 *_device_modules()]


@pytest.mark.parametrize("module", BOARD_MODULES)
def test_module_imports_without_torch(module):
    report = _run_fresh(f"import {module}")
    assert not report["torch"], f"importing {module} pulled in torch: {_why(report)}"


def test_loading_and_hashing_the_shipped_ir_needs_no_torch():
    """The acceptance scenario: IR loading (header, parameters, validation, bounds, hash),
    an IR built through the API, the host package and the device interface."""
    modules = _device_modules()
    scenario = f'''
import importlib
import numpy as np
from sdmf.quant.ir import IntegerIR
from sdmf.quant.opdefs import Op
for name in {modules!r}:
    importlib.import_module(name)
ir = IntegerIR.load({str(SHIPPED_IR)!r})
out["hash"] = ir.content_hash()
out["ops"] = len(ir.ops)
out["head_bits"] = ir.tensors["head"].bits
rebuilt = IntegerIR(ops=[Op.from_dict(op.to_dict()) for op in ir.ops],
                    params={{k: np.array(v) for k, v in ir.params.items()}},
                    input_shape=ir.input_shape, meta=dict(ir.meta))
out["rebuilt_hash"] = rebuilt.content_hash()
'''
    report = _run_fresh(scenario)
    assert not report["torch"], f"the IR load scenario pulled in torch: {_why(report)}"
    from sdmf.quant.ir import IntegerIR

    ir = IntegerIR.load(SHIPPED_IR)   # this interpreter may use torch; the child did not
    assert report["out"]["hash"] == report["out"]["rebuilt_hash"] == ir.content_hash()
    assert report["out"]["hash"].startswith("28f7280e")
    assert report["out"]["ops"] == len(ir.ops)
    assert report["out"]["head_bits"] == ir.tensors["head"].bits


def test_the_spy_reports_a_module_that_needs_torch():
    """Negative control: the golden model executes with torch, and the harness says so."""
    report = _run_fresh("import sdmf.quant.golden")
    assert report["torch"]
    assert "quant/golden.py" in _why(report)
