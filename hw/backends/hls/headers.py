"""Where the Xilinx ``ap_int`` / ``hls_stream.h`` headers come from: the ones the
``hls4ml`` package ships (``hls4ml/templates/vivado/ap_types``), found at run time and
never copied into this repository. Vitis HLS uses its own."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

ENV = "SDMF_AP_TYPES"            # override: a folder holding ap_int.h and hls_stream.h
REQUIRED = ("ap_int.h", "hls_stream.h")
INSTALL_HINT = ("install the optional extra: pip install -e '.[hls]' (hls4ml==1.2.0, which "
                "ships the headers), or set SDMF_AP_TYPES to a folder holding them")


class HeadersNotFoundError(RuntimeError):
    """The ap_types headers are missing; the message says what to install."""


def _check(folder: Path, origin: str) -> Path:
    missing = [h for h in REQUIRED if not (folder / h).is_file()]
    if missing:
        raise HeadersNotFoundError(f"{origin}: {folder} lacks {', '.join(missing)}; {INSTALL_HINT}")
    return folder


def ap_types_dir() -> Path:
    """The folder with ``ap_int.h`` and ``hls_stream.h`` (``HeadersNotFoundError`` otherwise)."""
    env = os.environ.get(ENV)
    if env:
        return _check(Path(env), f"${ENV}")
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        raise HeadersNotFoundError(f"the ap_int/hls_stream headers come from the hls4ml package, "
                              f"which is not installed; {INSTALL_HINT}")
    root = Path(next(iter(spec.submodule_search_locations)))
    return _check(root / "templates" / "vivado" / "ap_types", "hls4ml")
