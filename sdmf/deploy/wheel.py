"""The host wheel: a pure-Python distribution of what a board needs (``sdmformer-host``).

It holds the import package ``sdmf`` with only ``sdmf/__init__.py``, :mod:`sdmf.io`,
:mod:`sdmf.device` and :mod:`sdmf.host` (the repository's ``host/`` folder), requires
Python ≥ 3.10 and numpy, and nothing else: PYNQ board images (Ubuntu 22.04, Python 3.10)
bring their own ``pynq``, which is therefore no pip dependency. Every import of every
file is checked before the wheel is written (standard library, numpy, pynq, and those
four packages only), so a wheel that would need torch on the board is never built.

The wheel is written directly (PEP 427: a zip with ``*.dist-info/METADATA``, ``WHEEL``
and ``RECORD``), so building it needs neither a build backend nor a network;
timestamps are fixed, so the same sources give the same bytes.
"""

from __future__ import annotations

import ast
import base64
import hashlib
import importlib.util
import sys
import zipfile
from pathlib import Path

import sdmf
from sdmf.io import atomic_write

DIST_NAME = "sdmformer-host"
REQUIRES_PYTHON = ">=3.10"
REQUIRES = ("numpy>=1.21",)
PACKAGES = ("sdmf.io", "sdmf.device", "sdmf.host")   # with their subpackages, + sdmf/__init__
THIRD_PARTY = frozenset({"numpy", "pynq"})           # pynq: the board image's own
TAG = "py3-none-any"
_DATE = (1980, 1, 1, 0, 0, 0)                          # the earliest time a zip can record


class WheelError(RuntimeError):
    """The host packages cannot be made into a wheel (names the file and the import)."""


def wheel_name(version: str | None = None) -> str:
    """``sdmformer_host-<version>-py3-none-any.whl``."""
    return f"{DIST_NAME.replace('-', '_')}-{version or sdmf.__version__}-{TAG}.whl"


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise WheelError(f"package {name} is not importable here")
    return Path(next(iter(spec.submodule_search_locations)))


def host_files() -> dict[str, Path]:
    """``{path in the wheel: source file}`` of every module the wheel ships."""
    files = {"sdmf/__init__.py": _package_dir("sdmf") / "__init__.py"}
    for pkg in PACKAGES:
        root = _package_dir(pkg)
        prefix = pkg.replace(".", "/")
        for path in sorted(root.rglob("*.py")):
            if "__pycache__" not in path.parts:
                files[f"{prefix}/{path.relative_to(root).as_posix()}"] = path
        if f"{prefix}/__init__.py" not in files:
            raise WheelError(f"package {pkg} ({root}) has no __init__.py")
    return files


def _allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top == "sdmf":
        return module == "sdmf" or any(module == p or module.startswith(p + ".")
                                       for p in PACKAGES)
    return top in sys.stdlib_module_names or top in THIRD_PARTY or top == "__future__"


def _imports(arcname: str, source: str) -> list[tuple[int, str]]:
    """``(line, absolute module)`` of every import in a module at ``arcname``."""
    package = arcname[:-3].split("/")[:-1]          # a module's (or __init__'s) package
    out = []
    for node in ast.walk(ast.parse(source, arcname)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            if node.module is None or module == "sdmf":       # from . import x: x is a module
                out += [(node.lineno, f"{module}.{a.name}") for a in node.names
                        if not a.name.startswith("__")]
            else:
                out.append((node.lineno, module))
    return out


def check_imports(files: dict[str, Path]) -> None:
    """Refuse a module that imports anything but the standard library, numpy, pynq and the
    packages the wheel ships (:class:`WheelError` names the file, line and module)."""
    for arcname, path in files.items():
        for line, module in _imports(arcname, path.read_text(encoding="utf-8")):
            if not _allowed(module):
                raise WheelError(f"{path}:{line}: imports {module}, which the host wheel does "
                                 "not ship (allowed: the standard library, numpy, pynq, sdmf, "
                                 f"{', '.join(PACKAGES)})")


def _metadata(version: str) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {DIST_NAME}", f"Version: {version}",
             "Summary: SDMFormer accelerator host: drive a generated design on a PYNQ board "
             "(numpy + the board image's pynq)",
             "License: Apache-2.0", f"Requires-Python: {REQUIRES_PYTHON}",
             *(f"Requires-Dist: {r}" for r in REQUIRES)]
    return ("\n".join(lines) + "\n").encode()


def _wheel_info() -> bytes:
    return (f"Wheel-Version: 1.0\nGenerator: sdmf deploy {sdmf.__version__}\n"
            f"Root-Is-Purelib: true\nTag: {TAG}\n").encode()


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def build_wheel(out_dir: str | Path, version: str | None = None) -> Path:
    """Write the host wheel into ``out_dir`` (atomically); returns its path."""
    version = version or sdmf.__version__
    files = host_files()
    check_imports(files)
    info = f"{DIST_NAME.replace('-', '_')}-{version}.dist-info"
    entries = [(arc, path.read_bytes()) for arc, path in sorted(files.items())]
    entries += [(f"{info}/METADATA", _metadata(version)), (f"{info}/WHEEL", _wheel_info())]
    record = [_record_line(a, d) for a, d in entries] + [f"{info}/RECORD,,"]
    entries.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    path = Path(out_dir) / wheel_name(version)
    with atomic_write(path, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, data in entries:
            member = zipfile.ZipInfo(arc, date_time=_DATE)
            member.external_attr = 0o644 << 16
            member.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(member, data)
    return path


__all__ = ["DIST_NAME", "PACKAGES", "REQUIRES", "REQUIRES_PYTHON", "WheelError", "build_wheel",
           "check_imports", "host_files", "wheel_name"]
