"""Deployment: everything a board needs, in one folder and a tarball (``sdmf deploy``).

* :mod:`~sdmf.deploy.bundle` — assembles the bundle of a generated project for a board;
* :mod:`~sdmf.deploy.wheel` — the pure-Python host wheel (``sdmformer-host``);
* :mod:`~sdmf.deploy.vectors` — test samples with the golden model's logits and classes;
* :mod:`~sdmf.deploy.notebook`, :mod:`~sdmf.deploy.readme` — the notebook and README.txt;
* ``board/run.py`` — the board script, copied into the bundle as it is.

The bundle side imports torch (golden model, datasets); what goes to the board does not.
docs/board.md has the steps on a PYNQ-Z2 and a KV260.
"""
