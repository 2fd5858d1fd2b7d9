"""Compiler wrapper (Verilator ``OBJCACHE`` hook) that caches the shared runtime objects.

Verilator's makefile runs ``$(OBJCACHE) $(CXX) ... -c -o X.o SRC.cpp``. The objects of
Verilator's own runtime (``include/verilated*.cpp``, outside the build folder) are
identical for every build with the same flags, so they are compiled once and copied
afterwards. Everything else — the design, and cocotb's ``verilator.cpp``, which
includes the design's ``Vtop.h`` — is compiled as is.
Usage: ``OBJCACHE="python _objcache.py"``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

CACHE = Path(__file__).resolve().parent.parent / "build" / "sim" / "_objcache"


def main(argv: list[str]) -> int:
    if "-c" not in argv or "-o" not in argv:
        return subprocess.call(argv)
    out = argv[argv.index("-o") + 1]
    srcs = [a for a in argv if a.endswith((".cpp", ".cc", ".c"))]
    cwd = Path.cwd().resolve()
    if len(srcs) != 1 or cwd in Path(os.path.abspath(srcs[0])).parents:
        return subprocess.call(argv)
    src = Path(os.path.abspath(srcs[0]))
    if not src.name.startswith("verilated"):  # design-dependent (e.g. cocotb's verilator.cpp)
        return subprocess.call(argv)
    st = src.stat()
    key_args = [a for a in argv if a != out]
    key = hashlib.sha256(repr((key_args, str(src), st.st_size, st.st_mtime_ns,
                               shutil.which(argv[0]))).encode()).hexdigest()[:24]
    dep = Path(out).with_suffix(".d")
    cached_o = CACHE / f"{key}.o"
    cached_d = CACHE / f"{key}.d"
    if cached_o.exists():
        shutil.copyfile(cached_o, out)
        if cached_d.exists():
            shutil.copyfile(cached_d, dep)
        return 0
    rc = subprocess.call(argv)
    if rc == 0:
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = CACHE / f"{key}.{os.getpid()}.tmp"
        shutil.copyfile(out, tmp)
        os.replace(tmp, cached_o)
        if dep.exists():
            shutil.copyfile(dep, tmp)
            os.replace(tmp, cached_d)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
