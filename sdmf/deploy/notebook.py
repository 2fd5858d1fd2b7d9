"""The bundle's Jupyter notebook (nbformat 4): the steps of ``run.py`` in cells, calling
its functions (``run.py`` lies beside the notebook), so both do the same."""

from __future__ import annotations

from typing import Any

from sdmf.device import INTERFACE_FILE

NOTEBOOK = "sdmf_demo.ipynb"

_CELLS: list[tuple[str, str]] = [
    ("markdown", """# SDMFormer accelerator: first inference

Loads this bundle's bitstream (`sdmf.bit`, `sdmf.hwh` beside it), checks the design
against `interface.json`, runs the bundled test samples and compares every class and
logit with the golden model. Run it in the board's Jupyter (PYNQ runs it as root); the
same steps as `python3 run.py` in a root shell. The sdmformer-host wheel of this bundle
must be installed (README.txt)."""),
    ("code", f"""import run                                   # run.py, beside this notebook
from sdmf.host import Accelerator

iface = run.read_interface(run.HERE / "{INTERFACE_FILE}")
vectors = run.load_vectors(run.HERE / run.VECTORS_DIR, iface, samples=None)
print(iface.model, "IR", iface.ir_hash[:12], "-", len(vectors["labels"]), "samples")"""),
    ("code", """acc = Accelerator(run.HERE / run.BITFILE, iface)   # downloads the overlay
acc.check()                                         # ID, version, IR hash, configuration"""),
    ("code", """result = acc.run(vectors["frames"])
report = run.evaluate(result, vectors)
report.update(model=iface.model, ir_hash=iface.ir_hash, clock_mhz=iface.clock_mhz)
print(run.summary_text(report))"""),
    ("code", """acc.close()"""),
]


def _lines(text: str) -> list[str]:
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


def notebook() -> dict[str, Any]:
    """The notebook as an nbformat 4.5 JSON object."""
    cells = []
    for i, (kind, text) in enumerate(_CELLS):
        cell: dict[str, Any] = {"cell_type": kind, "id": f"sdmf-{i}", "metadata": {},
                                "source": _lines(text)}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                        "name": "python3"},
                         "language_info": {"name": "python"}}}
